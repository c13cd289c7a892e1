// The native addon extraction relies on: its calls, its Node-style errors, and the loader finding
// the built addon from the source tree and from a bundle (as dist/berthd.mjs is), or saying how to
// build it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { lstatSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import { build } from 'esbuild';
import { findAddon, getXattr, native, S_IFBLK, S_IFCHR, S_IFIFO } from '../../host-linux/native/index.ts';

const repo = resolve(import.meta.dirname, '../..');
let dir: string;
before(() => { dir = mkdtempSync(join(tmpdir(), 'berth-native-')); });
after(() => rmSync(dir, { recursive: true, force: true }));

test('mknod makes character and block devices and fifos', () => {
  native().mknod(join(dir, 'null'), S_IFCHR | 0o666, 1, 3);
  native().mknod(join(dir, 'sda'), S_IFBLK | 0o600, 8, 1);
  native().mknod(join(dir, 'fifo'), S_IFIFO | 0o644, 0, 0);
  assert.ok(lstatSync(join(dir, 'null')).isCharacterDevice());
  assert.equal(lstatSync(join(dir, 'null')).rdev, 0x103);
  assert.equal(lstatSync(join(dir, 'sda')).rdev, 0x801);
  assert.ok(lstatSync(join(dir, 'fifo')).isFIFO());
});

test('xattrs: set, get, list, remove; binary values; never through a symlink', () => {
  const f = join(dir, 'file');
  writeFileSync(f, '');
  const value = new Uint8Array([0, 1, 2, 0xff]);
  native().lsetxattr(f, 'user.bin', value);
  native().lsetxattr(f, 'user.text', Buffer.from('hi'));
  assert.deepEqual(new Uint8Array(native().lgetxattr(f, 'user.bin')), value);
  assert.deepEqual(native().llistxattr(f).sort(), ['user.bin', 'user.text']);
  native().lremovexattr(f, 'user.text');
  assert.deepEqual(native().llistxattr(f), ['user.bin']);
  assert.equal(getXattr(f, 'user.text'), undefined);
  const link = join(dir, 'link');
  symlinkSync(f, link);
  native().lsetxattr(link, 'trusted.on-the-link', Buffer.from('x'));
  assert.equal(getXattr(f, 'trusted.on-the-link'), undefined, 'the target is untouched');
  assert.equal(getXattr(link, 'trusted.on-the-link')?.toString(), 'x');
});

test("errors read like Node's: errno name, syscall, path", () => {
  const missing = join(dir, 'no/such/dir/node');
  assert.throws(() => native().mknod(missing, S_IFCHR, 1, 3), (e: NodeJS.ErrnoException) => {
    assert.equal(e.code, 'ENOENT');
    assert.equal(e.errno, -2);
    assert.equal(e.syscall, 'mknod');
    assert.equal(e.path, missing);
    assert.equal(e.message, `ENOENT: no such file or directory, mknod '${missing}'`);
    return true;
  });
  writeFileSync(join(dir, 'exists'), '');
  assert.throws(() => native().mknod(join(dir, 'exists'), S_IFIFO, 0, 0), { code: 'EEXIST' });
  assert.throws(() => native().lgetxattr(join(dir, 'exists'), 'user.none'), { code: 'ENODATA', syscall: 'lgetxattr' });
  assert.throws(() => native().lsetxattr(join(dir, 'exists'), 'user.x', 'text' as unknown as Uint8Array), /must be a Buffer or Uint8Array/);
  assert.throws(() => native().mknod(`${dir}/a\0b`, S_IFIFO, 0, 0), /without NUL bytes/);
  assert.throws(() => (native().mknod as unknown as (p: string) => void)(dir), /expected 4 arguments/);
  assert.throws(() => native().mknod(join(dir, 'neg'), -1, 0, 0), /integer from 0/);
});

test('the loader finds the addon from the source tree and from a bundle one level down', async () => {
  assert.equal(findAddon(), join(repo, 'host-linux/native/build/Release/berth_native.node'));
  assert.equal(findAddon(join(repo, 'dist')), join(repo, 'host-linux/native/build/Release/berth_native.node'));
  assert.equal(findAddon(dir), undefined);
  // A real esbuild bundle in a directory beside dist/ loads it.
  const out = join(repo, 'test-artifacts', `native-${process.pid}`);
  mkdirSync(out, { recursive: true });
  try {
    const entry = join(out, 'entry.ts');
    writeFileSync(entry, `import { native } from '${join(repo, 'host-linux/native/index.ts')}';\nconsole.log(Object.keys(native()).sort().join(','));\n`);
    await build({
      entryPoints: [entry], outfile: join(out, 'bundle.mjs'), bundle: true, platform: 'node', format: 'esm',
      logLevel: 'silent', external: ['*.node'],
    });
    const r = spawnSync(process.execPath, [join(out, 'bundle.mjs')], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    // The addon grows with later issues; what matters is that the bundle loaded the real addon.
    const exported = r.stdout.trim().split(',');
    for (const fn of ['lgetxattr', 'llistxattr', 'lremovexattr', 'lsetxattr', 'mknod']) assert.ok(exported.includes(fn), `${fn} missing from ${r.stdout}`);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('a missing addon is a clear error that says how to build it', () => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', '-e',
    `import('${join(repo, 'host-linux/native/index.ts')}').then((m) => m.native()).catch((e) => { console.log(e.message); process.exit(3); })`],
  { encoding: 'utf8', cwd: repo, env: { ...process.env, BERTH_NATIVE_ADDON: join(dir, 'missing.node') } });
  assert.equal(r.status, 3, r.stderr);
  assert.match(r.stdout, /berth's native addon is not built: run npm run build:native/);
});
