// The build context upload on the Linux host: real tar streams (core's TarWriter, GNU tar, gzip)
// go to disk through receiveContext and are read back through DirectoryContext; hostile entries
// are refused and leave nothing behind; a 200 MB context passes with the process's memory flat.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync, linkSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { BerthError } from '../../core/errors.ts';
import { packTar, tarStream, type TarInput } from '../../core/layer/tar-write.ts';
import { receiveContext, removeStaleContexts } from '../../host-linux/build/context-receive.ts';
import type { DirectoryContext } from '../../host-linux/build/context-dir.ts';
import { MemoryBuildContext, type BuildContext } from '../../core/build/context/build-context.ts';

let base: string;
let under: string;
let sentinel: string;

before(() => {
  base = mkdtempSync(join(tmpdir(), 'berth-build-context-'));
  under = join(base, 'exec-root');
  mkdirSync(under, 0o700);
  sentinel = join(base, 'sentinel');
  mkdirSync(sentinel);
  writeFileSync(join(sentinel, 'keep'), 'original');
});
after(() => rmSync(base, { recursive: true, force: true }));

const T = new Date('2021-03-04T05:06:07Z');
const file = (name: string, body: string, more: Partial<TarInput['header']> = {}): TarInput => ({ header: { name, mtime: T, ...more }, body });
const dir = (name: string, more: Partial<TarInput['header']> = {}): TarInput => ({ header: { name, type: 'directory', mtime: T, ...more } });
const symlink = (name: string, linkname: string): TarInput => ({ header: { name, type: 'symlink', linkname, mtime: T } });
const hardlink = (name: string, linkname: string): TarInput => ({ header: { name, type: 'hardlink', linkname, mtime: T } });

async function text(ctx: DirectoryContext, path: string): Promise<string> {
  return new Response(await ctx.read(path)).text();
}

function bytesStream(b: Uint8Array<ArrayBuffer>): ReadableStream<Uint8Array> {
  return new Blob([b]).stream();
}

/** GNU tar's output for `args` (run in `cwd`) as a web stream, as a client would upload it. */
function gnuTar(cwd: string, args: string[]): ReadableStream<Uint8Array> {
  const p = spawn('tar', args, { cwd, stdio: ['ignore', 'pipe', 'inherit'] });
  return Readable.toWeb(p.stdout) as unknown as ReadableStream<Uint8Array>;
}

test('a context from TarWriter: contents, modes, owners, mtimes, symlinks and hard links as in the tar', async () => {
  const tar = await packTar([
    dir('./', { mode: 0o755 }),
    file('Dockerfile', 'FROM scratch\nCOPY . /\n'),
    dir('src', { mode: 0o750, uid: 1000, gid: 1001 }),
    file('src/run.sh', '#!/bin/sh\necho hi\n', { mode: 0o4755, uid: 1000, gid: 1001 }),
    file('src/secret', 'shh', { mode: 0o600 }),
    file('implicit/parent/file', 'made below parents the tar never listed'),
    file('.wh.not-a-whiteout', 'a context keeps whiteout names as plain files'),
    symlink('src/link', 'run.sh'),
    symlink('outside', '/etc/passwd'),
    hardlink('src/hard', 'src/run.sh'),
  ]);
  const ctx = await receiveContext(bytesStream(tar), under);
  try {
    assert.deepEqual(await ctx.readdir(''), ['.wh.not-a-whiteout', 'Dockerfile', 'implicit', 'outside', 'src']);
    assert.deepEqual(await ctx.readdir('src'), ['hard', 'link', 'run.sh', 'secret']);
    assert.equal(await text(ctx, 'Dockerfile'), 'FROM scratch\nCOPY . /\n');
    assert.equal(await text(ctx, './src/run.sh'), '#!/bin/sh\necho hi\n');
    assert.equal(await text(ctx, 'implicit/parent/file'), 'made below parents the tar never listed');
    assert.equal(await text(ctx, '.wh.not-a-whiteout'), 'a context keeps whiteout names as plain files');

    const run = (await ctx.lstat('src/run.sh'))!;
    assert.equal(run.type, 'file');
    assert.equal(run.mode, 0o4755, 'setuid kept (owner set before mode)');
    assert.deepEqual([run.uid, run.gid], [1000, 1001]);
    assert.equal(run.size, 18);
    assert.equal(run.mtime.getTime(), T.getTime());
    assert.equal((await ctx.lstat('src/secret'))!.mode, 0o600);

    const src = (await ctx.lstat('src'))!;
    assert.equal(src.type, 'directory');
    assert.equal(src.mode, 0o750);
    assert.deepEqual([src.uid, src.gid], [1000, 1001]);
    assert.equal(src.mtime.getTime(), T.getTime(), 'directory mtime set after its entries were written');
    assert.equal((await ctx.lstat('implicit'))!.mode, 0o755, 'missing parents are made 0755');

    assert.equal((await ctx.lstat('src/link'))!.type, 'symlink');
    assert.equal(await ctx.readlink('src/link'), 'run.sh');
    assert.equal(await ctx.readlink('outside'), '/etc/passwd', 'a symlink is data: its target may point anywhere');
    assert.equal((await ctx.lstat('outside'))!.linkname, '/etc/passwd');
    await assert.rejects(ctx.read('outside'), /^BerthError: read outside: not a regular file$/, 'read never follows a symlink');

    const hard = (await ctx.lstat('src/hard'))!;
    assert.equal(hard.ino, run.ino);
    assert.equal(hard.nlink, 2);

    assert.equal(await ctx.lstat('no/such'), undefined);
    await assert.rejects(ctx.read('nothing'), (e: unknown) => e instanceof BerthError && e.code === 'not_found');
  } finally {
    await ctx.close();
  }
  assert.deepEqual(readdirSync(under), [], 'close removes the context');
});

test('DirectoryContext never reads outside its root: ".." is refused and symlinks are never followed', async () => {
  const ctx = await receiveContext(tarStream([symlink('etc', '/etc'), symlink('up', '..'), file('a', 'x')]), under);
  try {
    await assert.rejects(ctx.read('../sentinel/keep'), /^BerthError: forbidden path outside the build context: \.\.\/sentinel\/keep$/);
    await assert.rejects(ctx.lstat('a/../../x'), /forbidden path outside the build context: a\/\.\.\/\.\.\/x/);
    // A path through a symlink does not exist, as in MemoryBuildContext: the builder resolves symlinks itself.
    assert.equal(await ctx.lstat('etc/passwd'), undefined);
    await assert.rejects(ctx.read('etc/passwd'), (e: unknown) => e instanceof BerthError && e.code === 'not_found' && e.message === 'stat etc/passwd: file does not exist');
    await assert.rejects(ctx.readdir('up/sentinel'), (e: unknown) => e instanceof BerthError && e.code === 'not_found');
    await assert.rejects(ctx.readdir('a'), /^BerthError: stat a: not a directory$/);
    await assert.rejects(ctx.readlink('a'), /^BerthError: readlink a: invalid argument$/);
    await assert.rejects(ctx.read(''), /^BerthError: read \.: not a regular file$/);
    assert.equal((await ctx.lstat('/a'))!.size, 1, 'a leading slash is the context root');
  } finally {
    await ctx.close();
  }
  await assert.rejects(ctx.lstat('a'), /the build context was closed/);
});

test('a context from GNU tar, plain, gzip and zstd, reads back as the directory it was made from', async () => {
  const src = join(base, 'gnu-src');
  mkdirSync(join(src, 'app/lib'), { recursive: true });
  writeFileSync(join(src, 'Dockerfile'), 'FROM busybox\n');
  writeFileSync(join(src, 'app/main.js'), 'console.log(1)\n');
  chmodSync(join(src, 'app/main.js'), 0o640);
  writeFileSync(join(src, 'app/lib/big.bin'), Buffer.alloc(3 * 1024 * 1024 + 17, 7));
  symlinkSync('lib/big.bin', join(src, 'app/big'));
  linkSync(join(src, 'Dockerfile'), join(src, 'Dockerfile.copy'));
  chmodSync(join(src, 'app/lib'), 0o711);
  utimesSync(join(src, 'app/main.js'), T, T);
  utimesSync(join(src, 'app'), T, T);
  const names = readdirSync(src, { recursive: true, encoding: 'utf8' }).sort();

  for (const args of [['-cf', '-', '.'], ['-czf', '-', '.'], ['--zstd', '-cf', '-', '.'], ['--format=posix', '-cf', '-', '.']]) {
    const ctx = await receiveContext(gnuTar(src, args), under);
    try {
      assert.deepEqual(readdirSync(ctx.root, { recursive: true, encoding: 'utf8' }).sort(), names, args.join(' '));
      for (const name of names) {
        const want = lstatSync(join(src, name));
        const got = (await ctx.lstat(name))!;
        assert.equal(got.mode, want.mode & 0o7777, `${name} mode (${args.join(' ')})`);
        if (!want.isDirectory() || name === 'app') assert.equal(Math.floor(got.mtime.getTime() / 1000), Math.floor(want.mtimeMs / 1000), `${name} mtime`);
        if (want.isFile()) assert.deepEqual(Buffer.from(await new Response(await ctx.read(name)).arrayBuffer()), readFileSync(join(src, name)), name);
      }
      assert.equal(await ctx.readlink('app/big'), 'lib/big.bin');
      assert.equal((await ctx.lstat('Dockerfile.copy'))!.ino, (await ctx.lstat('Dockerfile'))!.ino, 'hard link kept');
    } finally {
      await ctx.close();
    }
  }
  assert.deepEqual(readdirSync(under), []);
});

/** A 200 MB archive made as it is read: four 50 MB files, each chunk generated on demand. */
function bigContext(sample: () => void): ReadableStream<Uint8Array> {
  const MB = 1024 * 1024;
  const chunk = new Uint8Array(MB);
  for (let i = 0; i < MB; i++) chunk[i] = (i * 31) & 0xff;
  const body = (n: number) => {
    let left = 50;
    return new ReadableStream<Uint8Array>({
      pull(c) {
        sample();
        if (left-- === 0) { c.close(); return; }
        // A fresh copy each time, as a socket hands out fresh buffers; the last byte tells files apart.
        const out = chunk.slice();
        out[MB - 1] = n;
        c.enqueue(out);
      },
    }, { highWaterMark: 0 });
  };
  return tarStream((function* () {
    yield file('Dockerfile', 'FROM scratch\n');
    for (let n = 0; n < 4; n++) yield { header: { name: `data/part${n}`, size: 50 * MB }, body: body(n) };
  })());
}

test('a 200 MB context is streamed to disk with the process memory staying low', async () => {
  globalThis.gc?.();
  const baseline = process.memoryUsage.rss();
  let peak = baseline;
  const sample = () => { peak = Math.max(peak, process.memoryUsage.rss()); };
  const ctx = await receiveContext(bigContext(sample), under);
  try {
    sample();
    const growth = (peak - baseline) / (1024 * 1024);
    assert.ok(growth < 100, `RSS grew by ${growth.toFixed(0)} MB while receiving 200 MB`);
    for (let n = 0; n < 4; n++) {
      const st = (await ctx.lstat(`data/part${n}`))!;
      assert.equal(st.size, 50 * 1024 * 1024);
    }
    const h = createHash('sha256');
    for await (const c of (await ctx.read('data/part3')) as unknown as AsyncIterable<Uint8Array>) h.update(c);
    const want = createHash('sha256');
    const chunk = new Uint8Array(1024 * 1024);
    for (let i = 0; i < chunk.length; i++) chunk[i] = (i * 31) & 0xff;
    chunk[chunk.length - 1] = 3;
    for (let i = 0; i < 50; i++) want.update(chunk);
    assert.equal(h.digest('hex'), want.digest('hex'));
  } finally {
    await ctx.close();
  }
  assert.deepEqual(readdirSync(under), []);
});

async function refused(tar: ReadableStream<Uint8Array> | TarInput[], why: RegExp): Promise<void> {
  const stream = Array.isArray(tar) ? tarStream(tar) : tar;
  await assert.rejects(receiveContext(stream, under), (e: unknown) => {
    assert.ok(e instanceof BerthError, `expected a BerthError, got ${String(e)}`);
    assert.equal(e.code, 'invalid_argument', e.message);
    assert.match(e.message, why);
    return true;
  });
  assert.deepEqual(readdirSync(under), [], 'nothing is left behind');
  assert.deepEqual(readdirSync(sentinel), ['keep']);
  assert.equal(readFileSync(join(sentinel, 'keep'), 'utf8'), 'original');
}

test('entries that escape the root are refused, named, and the directory is removed', async () => {
  const big = { header: { name: 'before', size: 1 << 20 }, body: new Uint8Array(1 << 20) };
  await refused([big, file('../sentinel/pwned', 'x')], /^invalid build context: entry "\.\.\/sentinel\/pwned" is outside the context: its path "\.\.\/sentinel\/pwned" climbs above its root$/);
  await refused([file('a/../../x', 'x')], /entry "a\/\.\.\/\.\.\/x" is outside the context/);
  await refused([file('/../x', 'x')], /entry "\/\.\.\/x" is outside the context/);
  await refused([symlink('evil', sentinel), file('evil/pwned', 'x')], /entry "evil\/pwned" is below the symlink "evil"; an archive entry is never written through a symlink/);
  await refused([symlink('evil', '../sentinel'), dir('evil/sub')], /entry "evil\/sub\/" is below the symlink "evil"/);
  await refused([hardlink('h', '../sentinel/keep')], /entry "h" is outside the context: its hard link target "\.\.\/sentinel\/keep" climbs above its root/);
  await refused([hardlink('h', join(sentinel, 'keep'))], /entry "h" is a hard link to ".*sentinel\/keep", which is not in the context before it/);
  await refused([symlink('l', sentinel), hardlink('h', 'l/keep')], /entry "h" is below the symlink "l"/);
  await refused([hardlink('h', 'later'), file('later', 'x')], /entry "h" is a hard link to "later", which is not in the context before it/);
  await refused([{ header: { name: 'dev', type: 'character-device', devmajor: 1, devminor: 1 } }], /entry "dev" is a character-device, which a build context cannot carry/);
  await refused([file('f', 'x'), file('f/under', 'y')], /entry "f\/under" is below "f", which is not a directory/);
});

test('a truncated or foreign upload gets a build context error and leaves nothing behind', async () => {
  const tar = await packTar([file('Dockerfile', 'FROM scratch\n'), file('data', 'x'.repeat(5000))]);
  await refused(bytesStream(tar.subarray(0, 2048)), /^invalid build context: unexpected end of tar archive at offset \d+ \(in "data"\): the build context is truncated$/);
  await refused(bytesStream(new TextEncoder().encode('this is not a tar archive at all, but it is long enough to fill a whole block? '.repeat(10))),
    /^invalid build context: .*the build context is not a tar archive/);
  const gz = new Uint8Array(gzipSync(tar));
  await refused(bytesStream(gz.subarray(0, gz.length - 40)), /^invalid build context: invalid gzip data/);
});

test('an upload that fails mid-way (the client went away) leaves nothing behind', async () => {
  const tar = await packTar([file('Dockerfile', 'FROM scratch\n'), file('data', 'x'.repeat(100_000))]);
  let sent = false;
  const broken = new ReadableStream<Uint8Array>({
    pull(c) {
      if (!sent) { sent = true; c.enqueue(tar.subarray(0, 8192)); return; }
      c.error(new Error('socket hang up'));
    },
  });
  await assert.rejects(receiveContext(broken, under), /socket hang up/);
  assert.deepEqual(readdirSync(under), []);
});

test('xz contexts get a clear error instead of a corrupt-tar one', async () => {
  const p = spawn('xz', ['-c'], { stdio: ['pipe', 'pipe', 'inherit'] });
  p.stdin.end(await packTar([file('Dockerfile', 'FROM scratch\n')]));
  const xz = new Uint8Array(await new Response(Readable.toWeb(p.stdout) as unknown as ReadableStream<Uint8Array>).arrayBuffer());
  await assert.rejects(receiveContext(bytesStream(xz), under), (e: unknown) => {
    assert.ok(e instanceof BerthError);
    assert.equal(e.code, 'unsupported');
    assert.match(e.message, /^invalid build context: the build context is compressed with xz, which berth cannot read: recompress it with gzip or zstd$/);
    return true;
  });
  assert.deepEqual(readdirSync(under), []);
});

test('entry names are cleaned as Docker cleans them: a leading slash is the root, a/../b is b', async () => {
  const ctx = await receiveContext(tarStream([file('/abs', 'rooted'), file('a/../b', 'cleaned'), file('c', 'c'), hardlink('/h', '/c')]), under);
  try {
    assert.deepEqual(await ctx.readdir('.'), ['abs', 'b', 'c', 'h']);
    assert.equal(await text(ctx, 'abs'), 'rooted');
    assert.equal(await text(ctx, 'b'), 'cleaned');
    assert.equal((await ctx.lstat('h'))!.ino, (await ctx.lstat('c'))!.ino);
  } finally {
    await ctx.close();
  }
  assert.deepEqual(readdirSync(sentinel), ['keep']);
});

test('a later entry replaces an earlier one of the same name, as tar extracts it', async () => {
  const ctx = await receiveContext(tarStream([
    file('a', 'first'), file('a', 'second'),
    dir('d'), file('d/x', 'x'), file('d', 'now a file'),
    file('f', 'f'), dir('f'), file('f/y', 'y'),
    file('s', 's'), symlink('s', 'a'),
  ]), under);
  try {
    assert.equal(await text(ctx, 'a'), 'second');
    assert.equal(await text(ctx, 'd'), 'now a file');
    assert.deepEqual(await ctx.readdir('f'), ['y']);
    assert.equal(await ctx.readlink('s'), 'a');
  } finally {
    await ctx.close();
  }
});

test('readdir orders names by their UTF-8 bytes, as Go walks a directory', async () => {
  // UTF-16 puts the emoji (a surrogate pair, 0xD83D...) before U+FF5A; UTF-8 (0xF0 > 0xEF) after it.
  const ctx = await receiveContext(tarStream([file('\u{1F600}', '1'), file('\uFF5A', '2'), file('B', '3'), file('a', '4')]), under);
  try {
    assert.deepEqual(await ctx.readdir('.'), ['B', 'a', '\uFF5A', '\u{1F600}']);
  } finally {
    await ctx.close();
  }
});

test('DirectoryContext answers as core\'s MemoryBuildContext does for the same archive', async () => {
  const entries = [
    dir('./', { mode: 0o750 }), file('Dockerfile', 'FROM scratch\n', { mode: 0o600, uid: 5, gid: 6 }), dir('src', { mode: 0o700 }),
    file('src/a', 'aaa', { mode: 0o4755 }), hardlink('src/b', 'src/a'), symlink('src/l', '../Dockerfile'), symlink('abs', '/etc'),
    dir('src/empty'), file('\u{1F600}', 'x'), file('\uFF5A', 'y'),
  ];
  const disk = await receiveContext(tarStream(entries), under);
  const memory = await MemoryBuildContext.fromTar(tarStream(entries));
  const walk = async (ctx: BuildContext, path: string, out: unknown[]): Promise<unknown[]> => {
    const st = (await ctx.lstat(path))!;
    out.push([path, st.type, st.mode, st.uid, st.gid, st.size, st.mtime.getTime(), st.linkname]);
    if (st.type === 'file') out.push(await new Response(await ctx.read(path)).text());
    if (st.type === 'symlink') out.push(await ctx.readlink(path));
    if (st.type === 'directory') for (const name of await ctx.readdir(path)) await walk(ctx, path === '.' ? name : `${path}/${name}`, out);
    return out;
  };
  try {
    const want = await walk(memory, '.', []);
    assert.equal(want.length, 17);
    assert.deepEqual(await walk(disk, '.', []), want);
    for (const path of ['abs/passwd', 'src/l/x', 'nothing', 'src/a/x']) assert.equal(await disk.lstat(path), await memory.lstat(path), path);
  } finally {
    await disk.close();
  }
});

test('removeStaleContexts removes the contexts a stopped daemon left, and nothing else', async () => {
  const dirUnder = join(base, 'stale');
  const ctx = await receiveContext(tarStream([file('Dockerfile', 'FROM scratch\n')]), dirUnder);
  mkdirSync(join(dirUnder, 'other'));
  writeFileSync(join(dirUnder, 'build-context-file'), 'not a directory');
  assert.equal(removeStaleContexts(dirUnder), 1);
  assert.deepEqual(readdirSync(dirUnder).sort(), ['build-context-file', 'other']);
  await ctx.close();
});
