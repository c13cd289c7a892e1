import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TarReader, readTar } from '../../core/layer/tar-read.ts';
import { TarWriter, packTar, type TarInput } from '../../core/layer/tar-write.ts';
import { encodeHeader, parseHeaderBlock, readNumber, type TarHeader } from '../../core/layer/tar-header.ts';
import { BerthError } from '../../core/errors.ts';

const enc = new TextEncoder();
const dec = new TextDecoder();

function streamOf(data: Uint8Array, chunk = 512): ReadableStream<Uint8Array> {
  let off = 0;
  return new ReadableStream({
    pull(c) {
      if (off >= data.byteLength) { c.close(); return; }
      c.enqueue(data.slice(off, off + chunk));
      off += chunk;
    },
  });
}

async function readAll(data: Uint8Array, chunk = 512): Promise<{ h: TarHeader; body: string }[]> {
  const out: { h: TarHeader; body: string }[] = [];
  for await (const e of readTar(streamOf(data, chunk))) {
    out.push({ h: { ...e }, body: dec.decode(await new Response(e.body).arrayBuffer()) });
  }
  return out;
}

const longDir = `${'d'.repeat(120)}/${'e'.repeat(60)}`;
const veryLong = `${'x'.repeat(150)}/${'y'.repeat(150)}/file.txt`;
const cap = new Uint8Array([0x01, 0x00, 0x00, 0x02, 0x00, 0x20, 0x00, 0x00, 0xff, 0x80, 0x00, 0x00]);
const mtime = new Date('2024-05-06T07:08:09Z');

const entries: TarInput[] = [
  { header: { name: 'etc', type: 'directory', mode: 0o1777, mtime } },
  { header: { name: 'etc/passwd', mode: 0o644, uid: 1234, gid: 5678, uname: 'alice', gname: 'staff', mtime }, body: 'root:x:0:0\n' },
  { header: { name: 'bin/su', mode: 0o4755, mtime, xattrs: { 'security.capability': cap, 'user.x': 'hello' } }, body: 'ELF' },
  { header: { name: 'bin/sg', mode: 0o2755 }, body: '' },
  { header: { name: 'bin/sh', type: 'symlink', linkname: '/bin/busybox' } },
  { header: { name: 'bin/su2', type: 'hardlink', linkname: 'bin/su' } },
  { header: { name: 'dev/null', type: 'character-device', mode: 0o666, devmajor: 1, devminor: 3 } },
  { header: { name: 'dev/sda', type: 'block-device', mode: 0o660, devmajor: 8, devminor: 0 } },
  { header: { name: 'dev/huge', type: 'character-device', devmajor: 4095, devminor: 0x3fffffff } },
  { header: { name: 'run/fifo', type: 'fifo', mode: 0o600 } },
  { header: { name: `${longDir}/ustar-split.txt` }, body: 'split' },
  { header: { name: veryLong }, body: 'pax path' },
  { header: { name: 'link-long', type: 'symlink', linkname: veryLong } },
  { header: { name: 'unicodé/naïve.txt', uid: 3_000_000, gid: 70_000_000 }, body: 'ü' },
];

test('write then read round-trips every field', async () => {
  const tar = await packTar(entries);
  assert.equal(tar.byteLength % 512, 0);
  for (const chunk of [512, 1, 100, 1 << 20]) {
    const got = await readAll(tar, chunk);
    assert.deepEqual(got.map((g) => g.h.name), entries.map((e) => e.header.type === 'directory' ? `${e.header.name}/` : e.header.name));
    const by = new Map(got.map((g) => [g.h.name.replace(/\/$/, ''), g]));
    const etc = by.get('etc')!.h;
    assert.equal(etc.type, 'directory');
    assert.equal(etc.mode, 0o1777);
    assert.equal(etc.mtime.getTime(), mtime.getTime());
    const passwd = by.get('etc/passwd')!;
    assert.deepEqual([passwd.h.uid, passwd.h.gid, passwd.h.uname, passwd.h.gname, passwd.h.size], [1234, 5678, 'alice', 'staff', 11]);
    assert.equal(passwd.body, 'root:x:0:0\n');
    const su = by.get('bin/su')!.h;
    assert.equal(su.mode, 0o4755);
    assert.deepEqual(su.xattrs['security.capability'], cap, 'binary xattr values survive byte for byte');
    assert.equal(dec.decode(su.xattrs['user.x']), 'hello');
    assert.equal(by.get('bin/sg')!.h.mode, 0o2755);
    assert.deepEqual([by.get('bin/sh')!.h.type, by.get('bin/sh')!.h.linkname], ['symlink', '/bin/busybox']);
    assert.deepEqual([by.get('bin/su2')!.h.type, by.get('bin/su2')!.h.linkname], ['hardlink', 'bin/su']);
    const nul = by.get('dev/null')!.h;
    assert.deepEqual([nul.type, nul.devmajor, nul.devminor, nul.mode], ['character-device', 1, 3, 0o666]);
    assert.deepEqual([by.get('dev/sda')!.h.type, by.get('dev/sda')!.h.devmajor], ['block-device', 8]);
    assert.deepEqual([by.get('dev/huge')!.h.devmajor, by.get('dev/huge')!.h.devminor], [4095, 0x3fffffff]);
    assert.equal(by.get('run/fifo')!.h.type, 'fifo');
    assert.equal(by.get(`${longDir}/ustar-split.txt`)!.body, 'split');
    assert.equal(by.get(veryLong)!.body, 'pax path');
    assert.equal(by.get('link-long')!.h.linkname, veryLong);
    const u = by.get('unicodé/naïve.txt')!;
    assert.deepEqual([u.body, u.h.uid, u.h.gid], ['ü', 3_000_000, 70_000_000]);
  }
});

test('the ustar prefix field carries a long path without PAX', () => {
  const blocks = encodeHeader({ name: `${longDir}/ustar-split.txt` });
  assert.equal(blocks.length, 1);
  const raw = parseHeaderBlock(blocks[0]!);
  assert.equal(raw.name, `${longDir}/ustar-split.txt`);
});

test('base-256 and space-padded octal numbers are read', () => {
  const b = new Uint8Array(12);
  b[0] = 0x80; b[8] = 0x01; b[9] = 0x02; b[10] = 0x03; b[11] = 0x04;
  assert.equal(readNumber(b, 0, 12, 'size'), 0x01020304);
  const neg = new Uint8Array(8).fill(0xff);
  assert.equal(readNumber(neg, 0, 8, 'mtime'), -1);
  assert.equal(readNumber(enc.encode('  755 \0\0'), 0, 8, 'mode'), 0o755);
  assert.throws(() => readNumber(enc.encode('0009\0'), 0, 5, 'uid'), /not an octal number/);
});

test('a big file size goes through base-256 when read', () => {
  const [block] = encodeHeader({ name: 'big', size: 0 });
  const b = block!.slice();
  b.fill(0, 124, 136);
  b[124] = 0x80; b[131] = 0x02; // 2 << 32 bytes
  b.fill(0x20, 148, 156);
  let sum = 0; for (const x of b) sum += x;
  b.set(enc.encode(sum.toString(8).padStart(6, '0') + '\0'), 148);
  assert.equal(parseHeaderBlock(b).size, 2 * 2 ** 32);
});

test('the stream is read to its very end, past the end-of-archive blocks', async () => {
  const tar = await packTar([{ header: { name: 'a' }, body: 'A' }]);
  const padded = new Uint8Array(tar.byteLength + 8192); // GNU tar pads to 10 KiB records
  padded.set(tar);
  let delivered = 0;
  const src = streamOf(padded, 1000).pipeThrough(new TransformStream({
    transform(c, ctl) { delivered += c.byteLength; ctl.enqueue(c); },
  }));
  const r = new TarReader(src);
  assert.equal((await r.next())!.name, 'a');
  assert.equal(await r.next(), null);
  assert.equal(delivered, padded.byteLength);
});

test('an archive without end blocks ends cleanly at a block boundary', async () => {
  const tar = await packTar([{ header: { name: 'a' }, body: 'A' }]);
  const got = await readAll(tar.subarray(0, tar.byteLength - 1024));
  assert.deepEqual(got.map((g) => g.body), ['A']);
});

test('an archive that stops right after the last body, its padding missing, ends cleanly (Go does); part of a padding is truncation', async () => {
  const tar = await packTar([{ header: { name: 'a' }, body: 'A' }, { header: { name: 'b' }, body: 'BB' }]);
  const end = 512 * 3 + 2; // a's header and padded body, b's header, b's two bytes
  assert.deepEqual((await readAll(tar.subarray(0, end))).map((g) => g.body), ['A', 'BB']);
  const isTruncated = (e: unknown) => e instanceof BerthError && e.code === 'invalid_layer' && /truncated/.test(e.message);
  await assert.rejects(readAll(tar.subarray(0, end + 100)), isTruncated);
  await assert.rejects(readAll(tar.subarray(0, end - 1)), isTruncated);
});

test('corrupt, truncated and non-tar input fail with invalid_layer', async () => {
  const tar = await packTar([{ header: { name: 'file' }, body: 'x'.repeat(2000) }]);
  const isLayerError = (re: RegExp) => (e: unknown) => e instanceof BerthError && e.code === 'invalid_layer' && re.test(e.message);
  await assert.rejects(readAll(tar.subarray(0, 1024)), isLayerError(/truncated/));
  await assert.rejects(readAll(tar.subarray(0, 300)), isLayerError(/truncated/));
  const bad = tar.slice(); bad[10] ^= 1;
  await assert.rejects(readAll(bad), isLayerError(/checksum/));
  await assert.rejects(readAll(enc.encode('{"not": "a tar"}'.padEnd(1024, ' '))), isLayerError(/not a tar archive/));
  const lone = new Uint8Array(tar.byteLength + 1024);
  lone.set(tar.subarray(0, tar.byteLength - 1024), 512); // zero block, then a header
  await assert.rejects(readAll(lone), isLayerError(/lone zero block/));
});

test('PAX global headers apply to later entries; malformed PAX is an error', async () => {
  const rec = (k: string, v: string) => { const body = ` ${k}=${v}\n`; let n = body.length + 2; if (String(n).length + body.length !== n) n++; return `${n}${body}`; };
  const paxBody = enc.encode(rec('uname', 'globaluser') + rec('comment', 'made by git'));
  const g = encodeHeader({ name: 'pax_global_header', size: paxBody.byteLength })[0]!.slice();
  g[156] = 0x67; // 'g'
  g.fill(0x20, 148, 156);
  let sum = 0; for (const x of g) sum += x;
  g.set(enc.encode(sum.toString(8).padStart(6, '0') + '\0'), 148);
  const padded = new Uint8Array(512); padded.set(paxBody);
  const rest = await packTar([{ header: { name: 'one', uname: 'u1' }, body: '1' }]);
  const all = new Uint8Array([...g, ...padded, ...rest]);
  const got = await readAll(all);
  assert.equal(got[0]!.h.uname, 'globaluser');
  assert.equal(got[0]!.h.pax['comment'], 'made by git');

  padded.set(enc.encode('99 path=oops\n'));
  await assert.rejects(readAll(new Uint8Array([...g, ...padded, ...rest])), /malformed PAX record/);
});

test('unread bodies are skipped; a body read after moving on errors', async () => {
  const tar = await packTar([{ header: { name: 'a' }, body: 'A'.repeat(5000) }, { header: { name: 'b' }, body: 'B' }]);
  const names: string[] = [];
  let stale: ReadableStream<Uint8Array> | undefined;
  for await (const e of readTar(streamOf(tar, 700))) {
    names.push(e.name);
    if (e.name === 'a') stale = e.body;
  }
  assert.deepEqual(names, ['a', 'b']);
  await assert.rejects(new Response(stale).arrayBuffer(), /after the next entry/);
});

test('GNU sparse files and unknown entry types are refused by name', async () => {
  const [b] = encodeHeader({ name: 'sparse.img', size: 0 });
  const s = b!.slice(); s[156] = 0x53; // 'S'
  s.fill(0x20, 148, 156);
  let sum = 0; for (const x of s) sum += x;
  s.set(enc.encode(sum.toString(8).padStart(6, '0') + '\0'), 148);
  await assert.rejects(readAll(new Uint8Array([...s, ...new Uint8Array(1024)])), /"sparse.img".*GNU sparse/);
});

test('TarWriter checks sizes and streams bodies with backpressure', async () => {
  const w = new TarWriter(4096);
  const big = new Uint8Array(1 << 20).fill(7);
  const done = (async () => {
    await w.add({ name: 'big', size: big.byteLength }, streamOf(big, 65536));
    await w.finish();
  })();
  const got = await readAll(new Uint8Array(await new Response(w.readable).arrayBuffer()));
  await done;
  assert.equal(got[0]!.h.size, big.byteLength);
  const w2 = new TarWriter();
  w2.readable.pipeTo(new WritableStream()).catch(() => {});
  await assert.rejects(w2.add({ name: 'short', size: 10 }, streamOf(new Uint8Array(3))), /body has 3 bytes, header says 10/);
  await assert.rejects(packTar([{ header: { name: 'd', type: 'directory' }, body: 'x' }]), /cannot have a body/);
});
