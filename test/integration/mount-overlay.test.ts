// The overlay root file system over real unpacked layers (FsSnapshotter): the merged view honours
// whiteouts and opaque directories, writes land in the upper dir, many layers fit the mount data
// limit, and unmount is idempotent. As root.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { FsSnapshotter } from '../../host-linux/snapshot/fs-snapshotter.ts';
import { packTar, type TarInput } from '../../core/layer/tar-write.ts';
import { nodeHash } from '../../host-linux/services.ts';
import { isMountPoint, mountOverlay, unmount } from '../../host-linux/mount/overlay.ts';
import { MS_RDONLY, native } from '../../host-linux/native/index.ts';

let base: string;
let snap: FsSnapshotter;
const mounted: string[] = [];

before(() => {
  base = mkdtempSync(join(tmpdir(), 'berth-overlay-'));
  snap = new FsSnapshotter(join(base, 'layers'), nodeHash);
});
after(() => {
  for (const m of mounted.reverse()) unmount(m);
  rmSync(base, { recursive: true, force: true });
});

async function layer(entries: TarInput[]): Promise<string> {
  const tar = await packTar(entries);
  const diffID = `sha256:${createHash('sha256').update(tar).digest('hex')}`;
  await snap.prepare(diffID, async () => new Blob([tar]).stream());
  return snap.path(diffID);
}
const file = (name: string, body: string): TarInput => ({ header: { name, mode: 0o644 }, body });
const dir = (name: string): TarInput => ({ header: { name, type: 'directory', mode: 0o755 } });

function container(name: string) {
  const d = join(base, name);
  for (const sub of ['upper', 'work', 'rootfs']) mkdirSync(join(d, sub), { recursive: true });
  return { upper: join(d, 'upper'), work: join(d, 'work'), rootfs: join(d, 'rootfs') };
}

test('merged view: upper layers win, whiteouts hide, opaque dirs replace, writes go to the upper dir', async () => {
  const bottom = await layer([
    dir('etc/'), file('etc/os-release', 'bottom\n'), file('etc/passwd', 'root:x:0:0\n'),
    dir('opt/'), dir('opt/app/'), file('opt/app/old1', '1'), file('opt/app/old2', '2'), file('keep', 'k'),
  ]);
  const top = await layer([
    dir('etc/'), file('etc/os-release', 'top\n'), file('etc/.wh.passwd', ''),
    dir('opt/'), dir('opt/app/'), file('opt/app/.wh..wh..opq', ''), file('opt/app/new', 'n'),
  ]);
  // The snapshotter stored the whiteouts in overlayfs' form: that is what the merged view relies on.
  assert.ok(!existsSync(join(top, 'etc/.wh.passwd')));

  const c = container('c1');
  mountOverlay([top, bottom], c.upper, c.work, c.rootfs);
  mounted.push(c.rootfs);
  assert.ok(isMountPoint(c.rootfs));
  assert.equal(readFileSync(join(c.rootfs, 'etc/os-release'), 'utf8'), 'top\n');
  assert.ok(!existsSync(join(c.rootfs, 'etc/passwd')), 'a whiteout hides the lower file');
  assert.deepEqual(readdirSync(join(c.rootfs, 'opt/app')).sort(), ['new'], 'an opaque dir hides the lower contents');
  assert.equal(readFileSync(join(c.rootfs, 'keep'), 'utf8'), 'k');

  writeFileSync(join(c.rootfs, 'etc/os-release'), 'changed\n');
  rmSync(join(c.rootfs, 'keep'));
  assert.equal(readFileSync(join(c.upper, 'etc/os-release'), 'utf8'), 'changed\n');
  assert.equal(readFileSync(join(top, 'etc/os-release'), 'utf8'), 'top\n', 'the shared layer is untouched');
  assert.ok(existsSync(join(bottom, 'keep')));

  // A second container over the same layers sees none of the first one's changes.
  const c2 = container('c2');
  mountOverlay([top, bottom], c2.upper, c2.work, c2.rootfs);
  mounted.push(c2.rootfs);
  assert.equal(readFileSync(join(c2.rootfs, 'etc/os-release'), 'utf8'), 'top\n');
  assert.ok(existsSync(join(c2.rootfs, 'keep')));

  unmount(c.rootfs);
  assert.ok(!isMountPoint(c.rootfs));
  assert.deepEqual(readdirSync(c.rootfs), []);
  unmount(c.rootfs); // idempotent
});

test('many layers: the mount data would exceed a page with absolute paths and still mounts', async () => {
  const lowers: string[] = [];
  for (let i = 0; i < 100; i++) lowers.unshift(await layer([file(`f${i}`, String(i)), file('last', String(i))]));
  assert.ok(lowers.join(':').length > 4096);
  const c = container('many');
  mountOverlay(lowers, c.upper, c.work, c.rootfs);
  mounted.push(c.rootfs);
  assert.equal(readdirSync(c.rootfs).length, 101);
  assert.equal(readFileSync(join(c.rootfs, 'last'), 'utf8'), '99', 'the first lower dir is the top layer');
  assert.equal(readFileSync(join(c.rootfs, 'f0'), 'utf8'), '0');
  unmount(c.rootfs);
  assert.ok(!isMountPoint(c.rootfs));
});

test('read-only: no upper dir and MS_RDONLY', async () => {
  const a = await layer([file('a', 'a')]);
  const b = await layer([file('b', 'b')]);
  const c = container('ro');
  mountOverlay([b, a], undefined, undefined, c.rootfs, { flags: MS_RDONLY });
  mounted.push(c.rootfs);
  assert.deepEqual(readdirSync(c.rootfs).sort(), ['a', 'b']);
  assert.throws(() => writeFileSync(join(c.rootfs, 'x'), ''), { code: 'EROFS' });
  unmount(c.rootfs);
});

test('errors name the target and the cause', async () => {
  const c = container('bad');
  assert.throws(() => mountOverlay([join(base, 'no-such-layer')], c.upper, c.work, c.rootfs),
    (e: Error) => e.message.includes(c.rootfs) && /ENOENT/.test(e.message));
  assert.throws(() => mountOverlay([], c.upper, c.work, c.rootfs), /without a lower layer/);
  assert.throws(() => mountOverlay([join(base, 'a:b')], c.upper, c.work, c.rootfs), /cannot take/);
  assert.throws(() => native().mount(null, join(base, 'missing'), 'tmpfs', 0), { code: 'ENOENT', syscall: 'mount' });
  assert.throws(() => native().umount2(join(base, 'missing'), 0), { code: 'ENOENT', syscall: 'umount2' });
});
