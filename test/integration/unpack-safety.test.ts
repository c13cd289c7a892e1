// The malicious-tar corpus: each archive tries to write outside the extraction root. Every one must
// fail with unsafe_path, name the entry, and leave the sentinel directory beside the root untouched.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unpackLayer } from '../../host-linux/snapshot/unpack.ts';
import { packTar, type TarInput } from '../../core/layer/tar-write.ts';
import { BerthError } from '../../core/errors.ts';

let base: string;
let sentinel: string;
let n = 0;

before(() => {
  base = mkdtempSync(join(tmpdir(), 'berth-unsafe-'));
  sentinel = join(base, 'sentinel');
  mkdirSync(sentinel);
  writeFileSync(join(sentinel, 'keep'), 'original');
});
after(() => rmSync(base, { recursive: true, force: true }));

function tree(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort();
}

async function extract(entries: TarInput[], whiteouts: 'overlay' | 'apply' = 'overlay'): Promise<string> {
  const root = join(base, `root${n++}`);
  mkdirSync(root);
  const tar = await packTar(entries);
  await unpackLayer(new Blob([tar]).stream(), root, { whiteouts });
  return root;
}

function sentinelUntouched(): void {
  assert.deepEqual(tree(sentinel), ['keep']);
  assert.equal(readFileSync(join(sentinel, 'keep'), 'utf8'), 'original');
  assert.deepEqual(readdirSync(base).filter((x) => !x.startsWith('root')).sort(), ['sentinel']);
}

async function refused(entries: TarInput[], entry: string, why: RegExp, whiteouts: 'overlay' | 'apply' = 'overlay'): Promise<void> {
  await assert.rejects(extract(entries, whiteouts), (e: unknown) => {
    assert.ok(e instanceof BerthError, `expected a BerthError, got ${String(e)}`);
    assert.equal(e.code, 'unsafe_path', e.message);
    assert.ok(e.message.includes(JSON.stringify(entry)), `message names ${entry}: ${e.message}`);
    assert.match(e.message, why);
    return true;
  });
  sentinelUntouched();
}

const file = (name: string, body = 'pwned'): TarInput => ({ header: { name }, body });
const symlink = (name: string, linkname: string): TarInput => ({ header: { name, type: 'symlink', linkname } });
const hardlink = (name: string, linkname: string): TarInput => ({ header: { name, type: 'hardlink', linkname } });
const dir = (name: string): TarInput => ({ header: { name, type: 'directory' } });

test('../ paths are refused', async () => {
  await refused([file('ok'), file('../sentinel/keep')], '../sentinel/keep', /contains "\.\."/);
  await refused([file('a/../../sentinel/x')], 'a/../../sentinel/x', /contains "\.\."/);
});

test('absolute paths are refused', async () => {
  await refused([file(join(sentinel, 'abs'))], join(sentinel, 'abs'), /is absolute/);
});

test('writing through a symlink to an absolute path outside is refused', async () => {
  await refused([symlink('evil', sentinel), file('evil/pwned')], 'evil/pwned', /symlink "evil" -> .* outside the root/);
});

test('writing through a relative symlink that climbs out is refused', async () => {
  await refused([symlink('evil', '../sentinel'), file('evil/pwned')], 'evil/pwned', /above the root/);
  await refused([dir('a/b'), symlink('a/b/up', '../../../sentinel'), file('a/b/up/pwned')], 'a/b/up/pwned', /above the root/);
});

test('a chain of symlinks that escapes is refused', async () => {
  await refused([symlink('l1', '.'), symlink('l2', 'l1/..'), file('l2/pwned')], 'l2/pwned', /above the root/);
  await refused([symlink('a', 'b'), symlink('b', 'c'), symlink('c', `../${'x/'.repeat(0)}sentinel`), file('a/pwned')], 'a/pwned', /above the root/);
  await refused([symlink('loop1', 'loop2'), symlink('loop2', 'loop1'), file('loop1/x')], 'loop1/x', /too many levels/);
});

test('a directory replaced by a symlink is not written through', async () => {
  await refused([dir('d'), file('d/fine'), symlink('d', sentinel), file('d/pwned')], 'd/pwned', /outside the root/);
  await refused([dir('d'), symlink('d', '../sentinel'), file('d/pwned')], 'd/pwned', /above the root/);
});

test('a directory replaced by a symlink after its children: deferred mtimes do not follow it', async () => {
  mkdirSync(join(sentinel, 'b'));
  const before = statSync(join(sentinel, 'b')).mtimeMs;
  try {
    const root = await extract([
      { header: { name: 'a', type: 'directory' } },
      { header: { name: 'a/b', type: 'directory', mtime: new Date('2001-01-01T00:00:00Z') } },
      symlink('a', sentinel),
    ]);
    assert.ok(lstatSync(join(root, 'a')).isSymbolicLink());
    assert.equal(statSync(join(sentinel, 'b')).mtimeMs, before);
  } finally {
    rmSync(join(sentinel, 'b'), { recursive: true });
  }
  sentinelUntouched();
});

test('hardlinks to outside the root are refused', async () => {
  await refused([hardlink('hl', '../sentinel/keep')], 'hl', /hardlink target "\.\.\/sentinel\/keep" contains "\.\."/);
  await refused([symlink('s', sentinel), hardlink('hl', 's/keep')], 'hl', /outside the root/);
});

test('a hardlink to /etc/passwd is refused and /etc/passwd is untouched', async () => {
  const before = statSync('/etc/passwd');
  await refused([hardlink('pw', '/etc/passwd')], 'pw', /absolute/);
  await refused([symlink('etc', '/etc'), hardlink('pw', 'etc/passwd')], 'pw', /outside the root/);
  const now = statSync('/etc/passwd');
  assert.equal(now.nlink, before.nlink);
  assert.equal(now.mtimeMs, before.mtimeMs);
});

test('whiteouts cannot reach outside through a symlink', async () => {
  await refused([symlink('s', sentinel), file('s/.wh.keep', '')], 's/.wh.keep', /outside the root/, 'apply');
  await refused([symlink('s', sentinel), file('s/.wh..wh..opq', '')], 's/.wh..wh..opq', /outside the root/, 'apply');
  await refused([symlink('s', '../sentinel'), file('s/.wh.keep', '')], 's/.wh.keep', /above the root/, 'overlay');
});

test('a file entry replaces a symlink of the same name instead of following it', async () => {
  const root = await extract([symlink('s', join(sentinel, 'keep')), file('s', 'inside'), symlink('t', join(sentinel, 'new')), file('t', 'inside too')]);
  assert.ok(lstatSync(join(root, 's')).isFile());
  assert.equal(readFileSync(join(root, 's'), 'utf8'), 'inside');
  assert.equal(readFileSync(join(root, 't'), 'utf8'), 'inside too');
  sentinelUntouched();
});

test('symlinks themselves may point anywhere: they are only data until written through', async () => {
  const root = await extract([symlink('etc-link', '/etc'), symlink('up', '../../..'), symlink('lib', 'usr/lib'), dir('usr/lib'), file('lib/ok', 'via a symlink inside the root')]);
  assert.equal(readFileSync(join(root, 'usr/lib/ok'), 'utf8'), 'via a symlink inside the root');
  assert.ok(lstatSync(join(root, 'up')).isSymbolicLink());
  sentinelUntouched();
});

test('an entry under a regular file is an invalid layer, not a write elsewhere', async () => {
  await assert.rejects(extract([file('f'), file('f/x')]), (e: unknown) => e instanceof BerthError && e.code === 'invalid_layer' && /"f" is not a directory/.test(e.message));
  sentinelUntouched();
});
