// LayeredContext: synthetic layers (plain, gzip and zstd blobs in a content store) applied in order,
// with OCI whiteouts, opaque directories, hard links and the replacement rules of an extractor; and
// the browser build host's views over it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { spawnSync } from 'node:child_process';
import { LayeredContext } from '../../core/build/context/layered-context.ts';
import { packTar, type TarInput } from '../../core/layer/tar-write.ts';
import { MemoryBlobStore } from '../../core/content/memory-blob-store.ts';
import { ingestBlob } from '../../core/content/ingest.ts';
import { nodeCodecs, nodeHash } from '../../host-linux/services.ts';
import type { Descriptor } from '../../core/image/types.ts';
import type { ImageService } from '../../core/engine/image-service.ts';
import { browserBuildHost } from '../../host-browser/worker/builds.ts';

const file = (name: string, body: string, more: Partial<TarInput['header']> = {}): TarInput => ({ header: { name, size: body.length, ...more }, body });
const dir = (name: string, more: Partial<TarInput['header']> = {}): TarInput => ({ header: { name, type: 'directory', ...more } });
const empty = (name: string): TarInput => file(name, '');

function zstd(data: Uint8Array): Uint8Array {
  const r = spawnSync('zstd', ['-q', '-c', '-'], { input: data });
  if (r.status !== 0) throw new Error(`zstd: ${r.stderr}`);
  return new Uint8Array(r.stdout);
}

async function layers(...specs: TarInput[][]): Promise<LayeredContext> {
  let ctx = LayeredContext.empty();
  for (const entries of specs) ctx = await ctx.withLayer(new Blob([await packTar(entries)]).stream());
  return ctx;
}

async function text(ctx: LayeredContext, path: string): Promise<string> {
  return new Response(await ctx.read(path)).text();
}

/** Every path of the view, depth first, directories with a trailing slash. */
async function tree(ctx: LayeredContext, at = '.'): Promise<string[]> {
  const out: string[] = [];
  for (const name of await ctx.readdir(at)) {
    const path = at === '.' ? name : `${at}/${name}`;
    if ((await ctx.lstat(path))!.type === 'directory') out.push(`${path}/`, ...await tree(ctx, path));
    else out.push(path);
  }
  return out;
}

test('files of later layers replace earlier ones; metadata comes from the entry', async () => {
  const ctx = await layers(
    [dir('etc/'), file('etc/passwd', 'root:x:0:0::/root:/bin/sh\n'), file('bin/sh', 'one', { mode: 0o755 })],
    [file('bin/sh', 'two', { mode: 0o4755, uid: 7, gid: 8, mtime: new Date('2024-05-01T00:00:00Z') })],
  );
  assert.equal(await text(ctx, 'bin/sh'), 'two');
  const st = (await ctx.lstat('/bin/sh'))!;
  assert.deepEqual([st.type, st.mode, st.uid, st.gid, st.size, st.mtime.toISOString()], ['file', 0o4755, 7, 8, 3, '2024-05-01T00:00:00.000Z']);
  assert.equal((await ctx.lstat('bin'))!.type, 'directory', 'a missing parent is made');
  assert.equal((await ctx.lstat('bin'))!.mode, 0o755);
  assert.deepEqual(await tree(ctx), ['bin/', 'bin/sh', 'etc/', 'etc/passwd']);
});

test('a whiteout deletes a file or a whole tree of the layers below, never what its own layer adds', async () => {
  const ctx = await layers(
    [file('a/keep', 'k'), file('a/gone', 'g'), file('b/x/y', 'y'), file('c', 'c')],
    // The whiteout of `c` comes after this layer's own `c`: the new file stays.
    [empty('a/.wh.gone'), empty('.wh.b'), file('c', 'new c'), empty('.wh.c')],
  );
  assert.deepEqual(await tree(ctx), ['a/', 'a/keep', 'c']);
  assert.equal(await text(ctx, 'c'), 'new c');
  assert.equal(await ctx.lstat('b/x/y'), undefined);
  await assert.rejects(ctx.readdir('b'), /open b: no such file or directory/);
});

test('an opaque directory hides what lower layers had in it, keeps its own entries and itself', async () => {
  const ctx = await layers(
    [dir('d/', { mode: 0o700 }), file('d/old', 'o'), file('d/sub/deep', 'x'), file('e/other', 'e')],
    [dir('d/', { mode: 0o750 }), file('d/new', 'n'), empty('d/.wh..wh..opq')],
  );
  assert.deepEqual(await tree(ctx), ['d/', 'd/new', 'e/', 'e/other']);
  assert.equal((await ctx.lstat('d'))!.mode, 0o750);
});

test('hard links become copies of their target, in the same layer or below', async () => {
  const ctx = await layers(
    [file('bin/busybox', 'BB', { mode: 0o755 })],
    [{ header: { name: 'bin/ls', type: 'hardlink', linkname: 'bin/busybox' } }, file('x/data', 'D'), { header: { name: 'x/link', type: 'hardlink', linkname: './x/data' } }],
  );
  assert.equal(await text(ctx, 'bin/ls'), 'BB');
  assert.equal((await ctx.lstat('bin/ls'))!.mode, 0o755);
  assert.equal(await text(ctx, 'x/link'), 'D');
  await assert.rejects(layers([{ header: { name: 'dangling', type: 'hardlink', linkname: 'nowhere' } }]), /hard link to nowhere, which is not in the layer or below it/);
});

test('symlinks are kept as links; a file replacing a directory removes its tree; a directory over a directory keeps it', async () => {
  const ctx = await layers(
    [file('t/a', 'a'), dir('keep/'), file('keep/f', 'f')],
    [{ header: { name: 'sh', type: 'symlink', linkname: '/bin/busybox' } }, file('t', 'now a file'), dir('keep/', { mode: 0o700 })],
  );
  assert.equal(await ctx.readlink('sh'), '/bin/busybox');
  assert.equal((await ctx.lstat('sh'))!.type, 'symlink');
  await assert.rejects(ctx.readlink('t'), /readlink t: invalid argument/);
  await assert.rejects(ctx.readdir('t'), /open t: not a directory/);
  assert.equal(await text(ctx, 't'), 'now a file');
  assert.deepEqual(await tree(ctx), ['keep/', 'keep/f', 'sh', 't']);
  await assert.rejects(ctx.read('keep'), /read keep: not a regular file/);
});

test('a view is not changed by the layers put on top of it', async () => {
  const base = await layers([file('a', '1')]);
  const top = await base.withLayer(new Blob([await packTar([empty('.wh.a'), file('b', '2')])]).stream());
  assert.deepEqual(await tree(base), ['a']);
  assert.deepEqual(await tree(top), ['b']);
});

test('a layer entry that climbs out of the root is refused', async () => {
  await assert.rejects(layers([file('../escape', 'x')]), /layer entry "..\/escape" leaves the root filesystem/);
});

test('fromBlobs reads plain, gzip and zstd blobs from the store, whatever their media type says', async () => {
  const blobs = new MemoryBlobStore(nodeHash);
  const descriptors: Descriptor[] = [];
  const put = async (data: Uint8Array, mediaType: string) => {
    const info = await ingestBlob(blobs, new Blob([new Uint8Array(data)]).stream(), nodeHash);
    descriptors.push({ mediaType, digest: info.digest, size: info.size });
  };
  await put(gzipSync(await packTar([file('etc/one', '1'), file('etc/two', '2')])), 'application/vnd.docker.image.rootfs.diff.tar.gzip');
  await put(zstd(await packTar([empty('etc/.wh.one')])), 'application/vnd.oci.image.layer.v1.tar+zstd');
  // Labelled gzip but plain: the bytes decide.
  await put(await packTar([file('etc/three', '3')]), 'application/vnd.oci.image.layer.v1.tar+gzip');
  const ctx = await LayeredContext.fromBlobs(blobs, nodeCodecs, descriptors);
  assert.deepEqual(await tree(ctx), ['etc/', 'etc/three', 'etc/two']);
  const lower = await LayeredContext.fromBlobs(blobs, nodeCodecs, descriptors.slice(0, 1));
  const same = await LayeredContext.fromBlobs(blobs, nodeCodecs, descriptors.slice(1), lower);
  assert.deepEqual(await tree(same), await tree(ctx), 'layers on top of a view built before give the same files');
});

test("the browser build host: a step's view is its parent's with one layer more, shared while kept; a failed read is not kept", async () => {
  const blobs = new MemoryBlobStore(nodeHash);
  const layer = async (entries: TarInput[]): Promise<Descriptor> => {
    const info = await ingestBlob(blobs, new Blob([gzipSync(await packTar(entries))]).stream(), nodeHash);
    return { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: info.digest, size: info.size };
  };
  const base = await layer([file('etc/os', 'busybox'), file('bin/vi', 'vi')]);
  const run = await layer([empty('bin/.wh.vi'), file('app/run.txt', 'run')]);
  const host = browserBuildHost({ opts: { blobs, codecs: nodeCodecs } } as unknown as ImageService);
  const one = await host.openRootfs(['sha256:a'], [base]);
  const two = await host.openRootfs(['sha256:a', 'sha256:b'], [base, run]);
  assert.deepEqual(await tree(one.context as LayeredContext), ['bin/', 'bin/vi', 'etc/', 'etc/os']);
  assert.deepEqual(await tree(two.context as LayeredContext), ['app/', 'app/run.txt', 'bin/', 'etc/', 'etc/os']);
  assert.equal((await host.openRootfs(['sha256:a', 'sha256:b'], [base, run])).context, two.context, 'the same layers, the same view');
  assert.deepEqual(await tree((await host.openRootfs([], [])).context as LayeredContext), [], 'no layers: an empty file system');

  const missing: Descriptor = { ...run, digest: `sha256:${'0'.repeat(64)}` };
  await assert.rejects(host.openRootfs(['sha256:a', 'sha256:c'], [base, missing]), /not found/);
  const later = await layer([file('late', 'x')]);
  const after = await host.openRootfs(['sha256:a', 'sha256:c'], [base, later]);
  assert.deepEqual(await tree(after.context as LayeredContext), ['bin/', 'bin/vi', 'etc/', 'etc/os', 'late']);
});
