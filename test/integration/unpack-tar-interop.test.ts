// berth's tar format against other implementations: GNU tar and Go's archive/tar (through umoci)
// read what TarWriter writes, and unpackLayer reads what GNU tar writes in its three formats.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  linkSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, symlinkSync, utimesSync, writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { packTar, type TarInput } from '../../core/layer/tar-write.ts';
import { unpackLayer } from '../../host-linux/snapshot/unpack.ts';
import { getXattr, native, S_IFCHR, S_IFIFO } from '../../host-linux/native/index.ts';

let base: string;
before(() => { base = mkdtempSync(join(tmpdir(), 'berth-interop-')); });
after(() => rmSync(base, { recursive: true, force: true }));

function run(cmd: string, args: string[], opts: { cwd?: string; input?: Uint8Array } = {}): string {
  const r = spawnSync(cmd, args, { ...opts, encoding: 'utf8' });
  assert.equal(r.status, 0, `${cmd} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

const t1 = new Date('2022-03-04T05:06:07Z');
const deep = `${'segment-of-a-long-path/'.repeat(12)}file.txt`; // > 256 bytes: needs PAX
const mid = `${'m'.repeat(120)}/${'n'.repeat(70)}.txt`; // fits ustar's prefix/name split
const entries: TarInput[] = [
  { header: { name: 'dir', type: 'directory', mode: 0o2775, uid: 1234, gid: 5678, mtime: t1 } },
  { header: { name: 'dir/setuid', mode: 0o4755, mtime: t1, xattrs: { 'user.x': 'xattr value' } }, body: 'suid\n' },
  { header: { name: deep, mtime: t1 }, body: 'deep\n' },
  { header: { name: mid, mtime: t1 }, body: 'mid\n' },
  { header: { name: 'ünïcödé.txt', uid: 1234, gid: 5678, mtime: t1 }, body: 'utf8\n' },
  { header: { name: 'link', type: 'symlink', linkname: deep, mtime: t1 } },
  { header: { name: 'hard', type: 'hardlink', linkname: 'dir/setuid' } },
  { header: { name: 'null', type: 'character-device', mode: 0o666, devmajor: 1, devminor: 3 } },
  { header: { name: 'fifo', type: 'fifo', mode: 0o644 } },
];

function checkTree(root: string, what: string): void {
  const st = (p: string) => lstatSync(join(root, p));
  assert.equal(readFileSync(join(root, deep), 'utf8'), 'deep\n', what);
  assert.equal(readFileSync(join(root, mid), 'utf8'), 'mid\n', what);
  assert.equal(readFileSync(join(root, 'ünïcödé.txt'), 'utf8'), 'utf8\n', what);
  assert.deepEqual([st('ünïcödé.txt').uid, st('ünïcödé.txt').gid], [1234, 5678], what);
  assert.equal(st('dir/setuid').mode & 0o7777, 0o4755, what);
  assert.equal(st('dir').mode & 0o7777, 0o2775, what);
  assert.equal(st('dir').mtimeMs, t1.getTime(), what);
  assert.equal(st(deep).mtimeMs, t1.getTime(), what);
  assert.equal(readlinkSync(join(root, 'link')), deep, what);
  assert.equal(st('hard').ino, st('dir/setuid').ino, what);
  assert.ok(st('null').isCharacterDevice(), what);
  assert.equal(st('null').rdev, 0x103, what);
  assert.ok(st('fifo').isFIFO(), what);
}

test('GNU tar lists and extracts what TarWriter writes, xattrs included', async () => {
  const tarFile = join(base, 'berth.tar');
  writeFileSync(tarFile, await packTar(entries));
  const listing = run('tar', ['-tvf', tarFile]);
  assert.match(listing, /-rwsr-xr-x 0\/0 +5 2022-03-04 05:06 dir\/setuid/);
  assert.match(listing, /crw-rw-rw- 0\/0 +1,3 .* null/);
  assert.ok(listing.includes(deep));
  const out = join(base, 'gnu-out');
  mkdirSync(out);
  run('tar', ['--xattrs', "--xattrs-include=*", '--same-owner', '-xpf', tarFile, '-C', out]);
  checkTree(out, 'GNU tar');
  assert.equal(getXattr(join(out, 'dir/setuid'), 'user.x')?.toString(), 'xattr value');
});

function makeSource(): string {
  const src = join(base, 'src');
  mkdirSync(join(src, 'dir'), { recursive: true });
  writeFileSync(join(src, 'dir/setuid'), 'suid\n');
  native().lsetxattr(join(src, 'dir/setuid'), 'user.x', Buffer.from('xattr value'));
  mkdirSync(join(src, deep, '..'), { recursive: true });
  writeFileSync(join(src, deep), 'deep\n');
  mkdirSync(join(src, mid, '..'), { recursive: true });
  writeFileSync(join(src, mid), 'mid\n');
  writeFileSync(join(src, 'ünïcödé.txt'), 'utf8\n');
  spawnSync('chown', ['1234:5678', join(src, 'ünïcödé.txt')]);
  spawnSync('chmod', ['4755', join(src, 'dir/setuid')]);
  spawnSync('chmod', ['2775', join(src, 'dir')]);
  symlinkSync(deep, join(src, 'link'));
  linkSync(join(src, 'dir/setuid'), join(src, 'hard'));
  native().mknod(join(src, 'null'), S_IFCHR | 0o666, 1, 3);
  native().mknod(join(src, 'fifo'), S_IFIFO | 0o644, 0, 0);
  for (const p of [deep, 'dir']) utimesSync(join(src, p), t1, t1);
  return src;
}

test('unpackLayer reads GNU tar archives in gnu, posix and ustar formats', async () => {
  const src = makeSource();
  for (const format of ['gnu', 'posix']) {
    const tarFile = join(base, `${format}.tar`);
    run('tar', [`--format=${format}`, '--xattrs', "--xattrs-include=*", '-cf', tarFile, '-C', src, '.']);
    const out = join(base, `from-${format}`);
    mkdirSync(out);
    await unpackLayer(new Blob([readFileSync(tarFile)]).stream(), out, { whiteouts: 'overlay' });
    checkTree(out, `${format} format`);
    if (format === 'posix') assert.equal(getXattr(join(out, 'dir/setuid'), 'user.x')?.toString(), 'xattr value');
  }
  // ustar cannot hold the 300-byte path at all; the rest still reads.
  const tarFile = join(base, 'ustar.tar');
  spawnSync('tar', ['--format=ustar', '-cf', tarFile, '-C', src, 'dir', mid]);
  const out = join(base, 'from-ustar');
  mkdirSync(out);
  await unpackLayer(new Blob([readFileSync(tarFile)]).stream(), out, { whiteouts: 'overlay' });
  assert.equal(readFileSync(join(out, mid), 'utf8'), 'mid\n');
  assert.equal(lstatSync(join(out, 'dir/setuid')).mode & 0o7777, 0o4755);
});

test("Go's archive/tar (umoci unpack) reads a layer TarWriter wrote", async (t) => {
  if (spawnSync('umoci', ['--version']).status !== 0) { t.skip('umoci is not installed'); return; }
  const layout = join(base, 'oci');
  mkdirSync(join(layout, 'blobs/sha256'), { recursive: true });
  const blob = (data: Uint8Array | string) => {
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    const hex = createHash('sha256').update(bytes).digest('hex');
    writeFileSync(join(layout, 'blobs/sha256', hex), bytes);
    return { digest: `sha256:${hex}`, size: bytes.byteLength };
  };
  const tar = await packTar(entries);
  const layer = blob(gzipSync(tar));
  const diffID = `sha256:${createHash('sha256').update(tar).digest('hex')}`;
  const config = blob(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [diffID] }, config: {} }));
  const manifest = blob(JSON.stringify({
    schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...layer }],
  }));
  writeFileSync(join(layout, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  writeFileSync(join(layout, 'index.json'), JSON.stringify({
    schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', ...manifest, annotations: { 'org.opencontainers.image.ref.name': 'test' } }],
  }));
  const bundle = join(base, 'bundle');
  run('umoci', ['unpack', '--image', `${layout}:test`, bundle]);
  checkTree(join(bundle, 'rootfs'), 'umoci');
  assert.deepEqual(readdirSync(join(bundle, 'rootfs')).sort(), ['dir', 'fifo', 'hard', 'link', 'mmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmm', 'null', 'segment-of-a-long-path', 'ünïcödé.txt'].sort());
});
