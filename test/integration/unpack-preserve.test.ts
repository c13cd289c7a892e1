// What extraction keeps (as root): owners, setuid/setgid/sticky, xattrs, mtimes, devices, fifos,
// hardlinks; gzip, zstd and plain layers; whiteouts in overlay and apply form.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { gzipSync } from 'node:zlib';
import { unpackLayer } from '../../host-linux/snapshot/unpack.ts';
import { decompressStream } from '../../core/layer/compression.ts';
import { packTar, type TarInput } from '../../core/layer/tar-write.ts';
import { nodeCodecs } from '../../host-linux/services.ts';
import { getXattr, native } from '../../host-linux/native/index.ts';

let base: string;
let n = 0;
before(() => { base = mkdtempSync(join(tmpdir(), 'berth-unpack-')); });
after(() => rmSync(base, { recursive: true, force: true }));

function newRoot(): string {
  const root = join(base, `root${n++}`);
  mkdirSync(root);
  return root;
}
function streamOf(data: Uint8Array, chunk = 64 * 1024): ReadableStream<Uint8Array> {
  let off = 0;
  return new ReadableStream({
    pull(c) {
      if (off >= data.byteLength) { c.close(); return; }
      c.enqueue(data.slice(off, off + chunk));
      off += chunk;
    },
  });
}
async function extract(entries: TarInput[], whiteouts: 'overlay' | 'apply' = 'overlay', root = newRoot()): Promise<string> {
  await unpackLayer(streamOf(await packTar(entries)), root, { whiteouts });
  return root;
}

const t1 = new Date('2021-02-03T04:05:06Z');
const t2 = new Date('2019-01-01T00:00:00Z');
const cap = new Uint8Array([0x01, 0x00, 0x00, 0x02, 0x00, 0x20, 0x00, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);

test('owners, modes, xattrs, mtimes, devices, fifos and hardlinks are kept', async () => {
  const big = new Uint8Array(3 * 1024 * 1024).map((_, i) => i * 7);
  const root = await extract([
    { header: { name: 'tmp', type: 'directory', mode: 0o1777, mtime: t2 } },
    { header: { name: 'srv', type: 'directory', mode: 0o2750, uid: 1234, gid: 5678, mtime: t2 } },
    { header: { name: 'srv/owned', mode: 0o640, uid: 1234, gid: 5678, mtime: t1 }, body: 'data' },
    { header: { name: 'srv/later', mtime: t1 }, body: 'added after srv: srv keeps its own mtime' },
    { header: { name: 'bin/suid', mode: 0o4755, uid: 0, gid: 0, mtime: t1 }, body: '#!/bin/sh\n' },
    { header: { name: 'bin/ping', mode: 0o755, xattrs: { 'security.capability': cap }, mtime: t1 }, body: 'ELF' },
    { header: { name: 'etc/x', mode: 0o644, xattrs: { 'user.x': 'hello', 'trusted.t': new Uint8Array([0, 255]) }, mtime: t1 }, body: '' },
    { header: { name: 'dev/null', type: 'character-device', mode: 0o666, devmajor: 1, devminor: 3, mtime: t1 } },
    { header: { name: 'dev/loop0', type: 'block-device', mode: 0o660, devmajor: 7, devminor: 0, gid: 6 } },
    { header: { name: 'run/fifo', type: 'fifo', mode: 0o620, uid: 1234, mtime: t1 } },
    { header: { name: 'bin/sh', type: 'symlink', linkname: 'busybox', uid: 1234, gid: 5678, mtime: t2 } },
    { header: { name: 'bin/suid2', type: 'hardlink', linkname: 'bin/suid' } },
    { header: { name: 'big.bin', mode: 0o600, mtime: t1 }, body: big },
  ]);
  const st = (p: string) => lstatSync(join(root, p));
  assert.equal(st('tmp').mode & 0o7777, 0o1777);
  assert.equal(st('tmp').mtimeMs, t2.getTime());
  assert.deepEqual([st('srv').uid, st('srv').gid, st('srv').mode & 0o7777], [1234, 5678, 0o2750]);
  assert.equal(st('srv').mtimeMs, t2.getTime(), 'directory mtimes are set after their children');
  assert.deepEqual([st('srv/owned').uid, st('srv/owned').gid, st('srv/owned').mode & 0o7777], [1234, 5678, 0o640]);
  assert.equal(st('srv/owned').mtimeMs, t1.getTime());
  assert.equal(readFileSync(join(root, 'srv/owned'), 'utf8'), 'data');
  assert.equal(st('bin/suid').mode & 0o7777, 0o4755);
  assert.deepEqual(new Uint8Array(getXattr(join(root, 'bin/ping'), 'security.capability')!), cap);
  assert.equal(getXattr(join(root, 'etc/x'), 'user.x')?.toString(), 'hello');
  assert.deepEqual([...getXattr(join(root, 'etc/x'), 'trusted.t')!], [0, 255]);
  assert.ok(st('dev/null').isCharacterDevice());
  assert.equal(st('dev/null').rdev, (1 << 8) | 3);
  assert.equal(st('dev/null').mode & 0o777, 0o666);
  assert.equal(st('dev/null').mtimeMs, t1.getTime());
  assert.ok(st('dev/loop0').isBlockDevice());
  assert.equal(st('dev/loop0').rdev, 7 << 8);
  assert.equal(st('dev/loop0').gid, 6);
  assert.ok(st('run/fifo').isFIFO());
  assert.deepEqual([st('run/fifo').mode & 0o777, st('run/fifo').uid], [0o620, 1234]);
  assert.ok(st('bin/sh').isSymbolicLink());
  assert.equal(readlinkSync(join(root, 'bin/sh')), 'busybox');
  assert.deepEqual([st('bin/sh').uid, st('bin/sh').gid, st('bin/sh').mtimeMs], [1234, 5678, t2.getTime()]);
  assert.equal(st('bin/suid2').ino, st('bin/suid').ino);
  assert.equal(st('bin/suid').nlink, 2);
  assert.deepEqual(new Uint8Array(readFileSync(join(root, 'big.bin'))), big);
});

test('gzip, zstd and plain layers unpack the same', async () => {
  const tar = await packTar([
    { header: { name: 'a/b/c.txt', mtime: t1 }, body: 'compressed '.repeat(10000) },
    { header: { name: 'a/d', type: 'symlink', linkname: 'b' } },
  ]);
  const zst = spawnSync('zstd', ['-q', '-c', '-'], { input: tar });
  assert.equal(zst.status, 0, String(zst.stderr));
  for (const [kind, blob] of [['plain', tar], ['gzip', gzipSync(tar)], ['zstd', new Uint8Array(zst.stdout)]] as const) {
    const root = newRoot();
    await unpackLayer(await decompressStream(streamOf(blob, 4096), nodeCodecs), root, { whiteouts: 'overlay' });
    assert.equal(readFileSync(join(root, 'a/d/c.txt'), 'utf8'), 'compressed '.repeat(10000), kind);
  }
});

function lowerTree(root: string): void {
  for (const d of ['etc', 'var/lib/apt/lists', 'var/log', 'opt/app/sub']) mkdirSync(join(root, d), { recursive: true });
  for (const f of ['etc/passwd', 'etc/group', 'var/lib/apt/lists/pkgs', 'var/log/old.log', 'opt/app/sub/lower', 'opt/keep']) writeFileSync(join(root, f), 'lower');
}
function list(root: string): string[] {
  return readdirSync(root, { recursive: true, encoding: 'utf8' }).sort();
}
const layerWithWhiteouts: TarInput[] = [
  { header: { name: 'etc/.wh.group' }, body: '' },
  { header: { name: 'var/lib/new', type: 'directory' } },
  { header: { name: 'var/lib/new/file' }, body: 'upper' },
  { header: { name: 'var/lib/.wh..wh..opq' }, body: '' },
  { header: { name: 'var/.wh.log' }, body: '' },
  { header: { name: 'opt/app/.wh..wh..opq' }, body: '' },
  { header: { name: 'opt/.wh..wh..plnk' }, body: '' },
  { header: { name: 'gone/.wh.never-existed' }, body: '' },
];

test('whiteouts in apply mode delete lower paths and keep this layer\'s own', async () => {
  const root = newRoot();
  lowerTree(root);
  await extract(layerWithWhiteouts, 'apply', root);
  assert.deepEqual(list(root), [
    'etc', 'etc/passwd', 'opt', 'opt/app', 'opt/keep', 'var', 'var/lib', 'var/lib/new', 'var/lib/new/file',
  ]);
});

test('whiteouts in overlay mode become 0/0 character devices and opaque xattrs', async () => {
  const root = await extract(layerWithWhiteouts, 'overlay');
  const group = lstatSync(join(root, 'etc/group'));
  assert.ok(group.isCharacterDevice());
  assert.equal(group.rdev, 0);
  assert.ok(lstatSync(join(root, 'var/log')).isCharacterDevice());
  assert.equal(getXattr(join(root, 'var/lib'), 'trusted.overlay.opaque')?.toString(), 'y');
  assert.equal(getXattr(join(root, 'opt/app'), 'trusted.overlay.opaque')?.toString(), 'y');
  assert.equal(getXattr(join(root, 'var'), 'trusted.overlay.opaque'), undefined);
  assert.equal(readFileSync(join(root, 'var/lib/new/file'), 'utf8'), 'upper');
  assert.ok(!list(root).some((p) => p.includes('.wh.')), 'no .wh. files remain');
  assert.ok(lstatSync(join(root, 'gone/never-existed')).isCharacterDevice());
});

test('overlayfs reads the overlay form: stacked layers show the whiteouts applied', async (t) => {
  const lower = newRoot();
  lowerTree(lower);
  // (Not the whiteout in "gone/": overlayfs lists whiteouts in a directory no lower layer has.)
  const upper = await extract(layerWithWhiteouts.filter((e) => !e.header.name.startsWith('gone/')), 'overlay');
  const merged = newRoot();
  const m = spawnSync('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${upper}:${lower}`, merged]);
  if (m.status !== 0) { t.skip(`overlayfs not available here: ${String(m.stderr).trim()}`); return; }
  try {
    assert.deepEqual(list(merged), [
      'etc', 'etc/passwd', 'opt', 'opt/app', 'opt/keep', 'var', 'var/lib', 'var/lib/new', 'var/lib/new/file',
    ]);
    assert.equal(readFileSync(join(merged, 'var/lib/new/file'), 'utf8'), 'upper');
  } finally {
    spawnSync('umount', [merged]);
  }
});

test('later entries replace earlier ones of another type', async () => {
  const root = await extract([
    { header: { name: 'x', type: 'directory' } },
    { header: { name: 'x/inner' }, body: 'gone' },
    { header: { name: 'x' }, body: 'now a file' },
    { header: { name: 'y' }, body: 'file' },
    { header: { name: 'y', type: 'directory', mode: 0o700 } },
    { header: { name: 'y/z' }, body: 'in dir' },
    { header: { name: 'l', type: 'symlink', linkname: 'old' } },
    { header: { name: 'l', type: 'symlink', linkname: 'new' } },
  ]);
  assert.equal(readFileSync(join(root, 'x'), 'utf8'), 'now a file');
  assert.equal(readFileSync(join(root, 'y/z'), 'utf8'), 'in dir');
  assert.equal(lstatSync(join(root, 'y')).mode & 0o777, 0o700);
  assert.equal(readlinkSync(join(root, 'l')), 'new');
  assert.ok(native());
});

test('entries that depend on files still being written see them finished', async () => {
  const many: TarInput[] = [];
  for (let i = 0; i < 200; i++) many.push({ header: { name: `d${i % 7}/f${i}` }, body: `v1-${i}`.repeat(50) });
  const root = await extract([
    ...many,
    { header: { name: 'd0/f0' }, body: 'second write wins' },
    { header: { name: 'd1/hard', type: 'hardlink', linkname: 'd1/f1' } },
    { header: { name: 'd2/f2', type: 'symlink', linkname: 'elsewhere' } },
    { header: { name: 'd3', type: 'directory', mode: 0o750 } },
    { header: { name: 'd4' }, body: 'a file replaces a directory full of fresh files' },
    { header: { name: 'd5/f5', type: 'directory' } },
    { header: { name: 'd5/f5/inside' }, body: 'a directory replaces a fresh file' },
  ]);
  assert.equal(readFileSync(join(root, 'd0/f0'), 'utf8'), 'second write wins');
  assert.equal(readFileSync(join(root, 'd1/hard'), 'utf8'), 'v1-1'.repeat(50));
  assert.equal(lstatSync(join(root, 'd1/hard')).ino, lstatSync(join(root, 'd1/f1')).ino);
  assert.equal(readlinkSync(join(root, 'd2/f2')), 'elsewhere');
  assert.equal(readFileSync(join(root, 'd3/f3'), 'utf8'), 'v1-3'.repeat(50));
  assert.equal(lstatSync(join(root, 'd3')).mode & 0o777, 0o750);
  assert.equal(readFileSync(join(root, 'd4'), 'utf8'), 'a file replaces a directory full of fresh files');
  assert.equal(readFileSync(join(root, 'd5/f5/inside'), 'utf8'), 'a directory replaces a fresh file');
  assert.equal(readFileSync(join(root, 'd6/f195'), 'utf8'), 'v1-195'.repeat(50));
});

test('a file that cannot be written fails the unpack with its name', async () => {
  const long = 'n'.repeat(300);
  await assert.rejects(extract([{ header: { name: 'ok' }, body: 'x' }, { header: { name: `dir/${long}` }, body: 'y' }]),
    (e: unknown) => e instanceof Error && e.message.includes(`dir/${long}`) && /ENAMETOOLONG/.test(e.message));
});
