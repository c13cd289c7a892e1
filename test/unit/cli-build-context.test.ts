// `berth build`'s context as the docker CLI makes it: the same tar entries as docker 28 sent for the
// same tree (context.tar), .dockerignore rules on the client's side, where the Dockerfile is, a
// Dockerfile from outside added as .dockerfile.<hex>, and stdin contexts.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, symlink, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readTar } from '../../core/layer/tar-read.ts';
import { packTar } from '../../core/layer/tar-write.ts';
import { contextExcludes, contextMatcher, validateContext } from '../../core/cli/build/context-walk.ts';
import { packContext } from '../../core/cli/build/context-pack.ts';
import { relativePath, resolveLocalContext } from '../../core/cli/build/context-resolve.ts';
import { addDockerfileToContext, randomDockerfileName } from '../../core/cli/build/dockerfile-inject.ts';
import { contextFromReader, isArchive } from '../../core/cli/build/context-stdin.ts';
import { nodeLocalTree } from '../../host-linux/cli/local-tree.ts';
import { removeDir, tempDir } from '../helpers/tmp.ts';
import { makeContextTree } from '../fixtures/cli-build/context-tree.ts';

const FIXTURES = join(import.meta.dirname, '../fixtures/cli-build');
const tree = nodeLocalTree;

interface Seen { name: string; type: string; mode: string; uid: number; gid: number; uname: string; gname: string; size: number; mtime: number; linkname: string; body: string }

async function entries(tar: ReadableStream<Uint8Array> | Uint8Array): Promise<Seen[]> {
  const stream = tar instanceof Uint8Array ? new Blob([new Uint8Array(tar)]).stream() : tar;
  const out: Seen[] = [];
  for await (const e of readTar(stream)) {
    out.push({
      name: e.name, type: e.type, mode: e.mode.toString(8), uid: e.uid, gid: e.gid, uname: e.uname, gname: e.gname,
      size: e.size, mtime: e.mtime.getTime(), linkname: e.linkname, body: await new Response(e.body).text(),
    });
  }
  return out;
}

async function bytes(s: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  return new Uint8Array(await new Response(s).arrayBuffer());
}

/** The context berth sends for `dir` with the Dockerfile `relDockerfile`. */
async function pack(dir: string, relDockerfile = 'Dockerfile'): Promise<Uint8Array> {
  const matcher = contextMatcher(await contextExcludes(tree, dir, relDockerfile));
  await validateContext(tree, dir, matcher);
  return bytes(packContext(tree, dir, matcher));
}

let dir: string;
before(async () => { dir = await tempDir('cli-build-ctx-'); });
after(async () => { await removeDir(dir); });

describe('packing a context directory', () => {
  test('the same entries, in the same order and the same size, as the docker CLI sent for the same tree', async () => {
    const root = join(dir, 'fixture');
    await mkdir(root);
    await makeContextTree(root);
    const docker = new Uint8Array(await readFile(join(FIXTURES, 'context.tar')));
    const berth = await pack(root);
    const want = await entries(docker);
    assert.deepEqual(await entries(berth), want);
    // Only the PAX header block of the non-ASCII name is written differently (its own name and mode).
    assert.equal(berth.byteLength, docker.byteLength);
    // What the fixture holds, spelled out: the .dockerignore rules and every kind of entry.
    assert.deepEqual(want.map((e) => `${e.type} ${e.name} ${e.mode} ${e.linkname}`.trim()), [
      'file .dockerignore 644', 'file Dockerfile 644', 'file Z-upper 644', 'file a.txt 4755', 'symlink dangling 777 /nowhere/at/all',
      'fifo fifo 644', 'hardlink hard 4755 a.txt', 'symlink link 777 a.txt', 'file skip/keep 644', 'directory sub/ 755',
      'directory sub/deep/ 755', 'file sub/deep/f 600', 'directory sub/empty/ 755', 'file é-utf8 644',
    ]);
    assert.ok(want.every((e) => e.uid === 0 && e.gid === 0 && e.uname === '' && e.gname === ''));
  });

  test('a long name survives; a file bigger than any chunk streams whole', async () => {
    const root = join(dir, 'long');
    const name = `${'d'.repeat(80)}/${'f'.repeat(90)}`;
    await mkdir(join(root, 'd'.repeat(80)), { recursive: true });
    const big = Buffer.alloc(3 * 1024 * 1024 + 7, 'x');
    await writeFile(join(root, name), big);
    await writeFile(join(root, 'Dockerfile'), 'FROM scratch\n');
    const got = await entries(await pack(root));
    assert.deepEqual(got.map((e) => [e.name, e.size]), [['Dockerfile', 13], [`${'d'.repeat(80)}/`, 0], [name, big.length]]);
    assert.equal(got[2]!.body, big.toString());
  });

  test('a context bigger than memory allows streams through: a 512MiB file never held whole', async () => {
    const root = join(dir, 'huge');
    await mkdir(root);
    await writeFile(join(root, 'Dockerfile'), 'FROM scratch\n');
    const size = 512 * 1024 * 1024;
    // Sparse: takes no disk, reads as zeros.
    await writeFile(join(root, 'big'), '');
    await truncate(join(root, 'big'), size);
    const matcher = contextMatcher(await contextExcludes(tree, root, 'Dockerfile'));
    const before = process.memoryUsage().rss;
    let peak = before;
    let total = 0;
    const reader = packContext(tree, root, matcher).getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      peak = Math.max(peak, process.memoryUsage().rss);
    }
    assert.equal(total, 512 + 512 + 512 + size + 1024);
    assert.ok(peak - before < 128 * 1024 * 1024, `rss grew by ${Math.round((peak - before) / 1048576)}MiB while packing`);
  });

  test('<Dockerfile>.dockerignore beside the Dockerfile wins over .dockerignore', async () => {
    const root = join(dir, 'per-dockerfile');
    await mkdir(join(root, 'docker'), { recursive: true });
    await writeFile(join(root, 'docker/app.Dockerfile'), 'FROM scratch\n');
    await writeFile(join(root, 'docker/app.Dockerfile.dockerignore'), 'a\n');
    await writeFile(join(root, '.dockerignore'), 'b\n');
    await writeFile(join(root, 'a'), 'a');
    await writeFile(join(root, 'b'), 'b');
    const names = (await entries(await pack(root, 'docker/app.Dockerfile'))).map((e) => e.name);
    assert.deepEqual(names, ['.dockerignore', 'b', 'docker/', 'docker/app.Dockerfile', 'docker/app.Dockerfile.dockerignore']);
    assert.deepEqual((await entries(await pack(root))).map((e) => e.name), ['.dockerignore', 'a', 'docker/', 'docker/app.Dockerfile', 'docker/app.Dockerfile.dockerignore']);
  });

  test('an ignored Dockerfile and .dockerignore stay in the context; a malformed pattern names its line', async () => {
    const root = join(dir, 'ignored');
    await mkdir(root);
    await writeFile(join(root, 'Dockerfile'), 'FROM scratch\n');
    await writeFile(join(root, '.dockerignore'), '*\n');
    await writeFile(join(root, 'other'), 'x');
    assert.deepEqual((await entries(await pack(root))).map((e) => e.name), ['.dockerignore', 'Dockerfile']);
    await writeFile(join(root, '.dockerignore'), 'ok\n\n[\n');
    await assert.rejects(pack(root), { message: 'error checking context: .dockerignore:3: syntax error in pattern' });
  });

  test('an unreadable file fails the check before anything is sent, unless it is ignored', async () => {
    const root = join(dir, 'unreadable');
    await mkdir(root);
    await writeFile(join(root, 'Dockerfile'), 'FROM scratch\n');
    await writeFile(join(root, 'secret'), 'x');
    // Root reads every file, so the host's answer is stood in for.
    const locked = { ...tree, readable: async (p: string) => !p.endsWith('/secret') };
    const check = async () => validateContext(locked, root, contextMatcher(await contextExcludes(locked, root, 'Dockerfile')));
    await assert.rejects(check(), { message: `error checking context: no permission to read from '${join(root, 'secret')}'` });
    await writeFile(join(root, '.dockerignore'), 'secret\n');
    await check();
  });
});

describe('where the context and the Dockerfile are', () => {
  test('-f is relative to the working directory; Dockerfile, else dockerfile; symlinks resolved', async () => {
    const root = join(dir, 'resolve');
    await mkdir(join(root, 'ctx/sub'), { recursive: true });
    await writeFile(join(root, 'ctx/dockerfile'), 'FROM scratch\n');
    await writeFile(join(root, 'outside.df'), 'FROM scratch\n');
    await symlink('ctx', join(root, 'link'));
    assert.deepEqual(await resolveLocalContext(tree, join(root, 'link'), ''), { dir: join(root, 'ctx'), relDockerfile: 'dockerfile', dockerfilePath: join(root, 'ctx/dockerfile') });
    const outside = await resolveLocalContext(tree, join(root, 'ctx/sub'), join(root, 'outside.df'));
    assert.equal(outside.relDockerfile, '../../outside.df');
    assert.deepEqual(await resolveLocalContext(tree, join(root, 'ctx'), '-'), { dir: join(root, 'ctx'), relDockerfile: '-' });
    await assert.rejects(resolveLocalContext(tree, join(root, 'ctx/sub'), ''), { message: `unable to prepare context: unable to evaluate symlinks in Dockerfile path: lstat ${join(root, 'ctx/sub/Dockerfile')}: no such file or directory` });
    await assert.rejects(resolveLocalContext(tree, join(root, 'outside.df'), ''), { message: `unable to prepare context: context must be a directory: ${join(root, 'outside.df')}` });
  });

  test('relative paths as filepath.Rel gives them', () => {
    assert.equal(relativePath('/a/b', '/a/b/c/d'), 'c/d');
    assert.equal(relativePath('/a/b', '/a/x'), '../x');
    assert.equal(relativePath('/a/b', '/a/b'), '.');
    assert.equal(relativePath('/', '/x/y'), 'x/y');
  });
});

describe('a Dockerfile from outside the context', () => {
  const now = new Date('2026-01-01T00:00:00.700Z');

  test('goes in as .dockerfile.<20 hex>, mode 0600, and is named in .dockerignore', async () => {
    const context = new Blob([await packTar([
      { header: { name: '.dockerignore', mode: 0o644 }, body: 'skip\n' },
      { header: { name: 'a', mode: 0o644 }, body: 'a' },
    ])]).stream();
    const { tar, name } = addDockerfileToContext(context, new TextEncoder().encode('FROM scratch\n'), { now });
    assert.match(name, /^\.dockerfile\.[0-9a-f]{20}$/);
    assert.deepEqual((await entries(tar)).map((e) => [e.name, e.mode, e.body, e.mtime]), [
      ['.dockerignore', '644', `skip\n\n${name}\n`, 0],
      ['a', '644', 'a', 0],
      [name, '600', 'FROM scratch\n', Date.parse('2026-01-01T00:00:00Z')],
    ]);
    assert.notEqual(randomDockerfileName(), randomDockerfileName());
  });

  test('a context without .dockerignore gets one that ignores itself and the Dockerfile', async () => {
    const context = new Blob([await packTar([{ header: { name: 'a' }, body: 'a' }])]).stream();
    const { tar, name } = addDockerfileToContext(context, new TextEncoder().encode('FROM scratch\n'), { name: '.dockerfile.0123456789abcdef0123', now });
    assert.deepEqual((await entries(tar)).map((e) => [e.name, e.mode, e.body]), [
      ['a', '644', 'a'],
      [name, '600', 'FROM scratch\n'],
      ['.dockerignore', '600', `.dockerignore\n${name}\n`],
    ]);
  });
});

describe('a context on stdin', () => {
  const stream = (data: Uint8Array | string) => new Blob([typeof data === 'string' ? data : new Uint8Array(data)]).stream();

  test('a tar passes through unchanged, -f naming the Dockerfile in it', async () => {
    const tarBytes = await packTar([{ header: { name: 'build/Dockerfile' }, body: 'FROM scratch\n' }]);
    const c = await contextFromReader(stream(tarBytes), 'build/Dockerfile');
    assert.equal(c.relDockerfile, 'build/Dockerfile');
    assert.deepEqual(await bytes(c.tar), tarBytes);
    assert.ok(isArchive(new Uint8Array([0x1f, 0x8b, 0x08, 0])));
    assert.ok(!isArchive(new TextEncoder().encode('FROM scratch\n')));
    assert.ok(!isArchive(new Uint8Array(1024)));
  });

  test('a Dockerfile becomes a one-file context; with -f it is refused', async () => {
    const now = new Date('2026-01-01T00:00:00Z');
    const c = await contextFromReader(stream('FROM scratch\nRUN true\n'), '', now);
    assert.equal(c.relDockerfile, 'Dockerfile');
    assert.deepEqual((await entries(c.tar)).map((e) => [e.name, e.mode, e.body, e.mtime]), [['Dockerfile', '644', 'FROM scratch\nRUN true\n', now.getTime()]]);
    await assert.rejects(contextFromReader(stream('FROM scratch\n'), '-'), { message: 'unable to prepare context: build context is not an archive' });
    await assert.rejects(contextFromReader(stream('FROM scratch\n'), 'Dockerfile'), { message: 'unable to prepare context: ambiguous Dockerfile source: both stdin and flag correspond to Dockerfiles' });
  });
});
