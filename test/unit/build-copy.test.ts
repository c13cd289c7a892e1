import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { gzipSync } from 'node:zlib';
import { createHash } from 'node:crypto';
import { MemoryBuildContext, byteOrder, contextPath } from '../../core/build/context/build-context.ts';
import { nodeFromLine, parseDockerfile } from '../../core/build/dockerfile/parser.ts';
import { parseInstruction, parseInstructions, type AddInstruction, type CopyInstruction } from '../../core/build/dockerfile/instructions.ts';
import { planCopy, type CopyOptions, type DestStat } from '../../core/build/copy/plan.ts';
import { copyChecksum } from '../../core/build/copy/checksum.ts';
import { writeCopyLayer } from '../../core/build/copy/layer.ts';
import { matchName } from '../../core/build/copy/glob.ts';
import { packTar, type TarInput } from '../../core/layer/tar-write.ts';
import { readTar } from '../../core/layer/tar-read.ts';
import { BerthError } from '../../core/errors.ts';
import { nodeCodecs, nodeHash } from '../../host-linux/services.ts';

const T1 = new Date('2024-01-02T03:04:05Z');
const T2 = new Date('2025-06-07T08:09:10Z');
const utf8 = new TextEncoder();

function file(name: string, body: string, extra: Partial<TarInput['header']> = {}): TarInput {
  return { header: { name, type: 'file', mode: 0o644, uid: 501, gid: 20, mtime: T1, ...extra }, body };
}

async function innerTar(): Promise<Uint8Array> {
  return packTar([
    { header: { name: 'x/', type: 'directory', mode: 0o700, uid: 7, gid: 8, mtime: T1 } },
    { header: { name: 'x/one', type: 'file', mode: 0o640, uid: 7, gid: 8, mtime: T2 }, body: 'one' },
    { header: { name: 'deep/er/two', type: 'file', mode: 0o600, mtime: T1 }, body: 'two' },
  ]);
}

function zstd(data: Uint8Array): Uint8Array {
  const r = spawnSync('zstd', ['-q', '-c', '-'], { input: data });
  assert.equal(r.status, 0, String(r.stderr));
  return new Uint8Array(r.stdout);
}

async function context(extra: TarInput[] = []): Promise<MemoryBuildContext> {
  const tar = await innerTar();
  const entries: TarInput[] = [
    { header: { name: 'app/', type: 'directory', mode: 0o750, uid: 501, gid: 20, mtime: T1 } },
    file('app/main.js', 'console.log(1)\n'),
    file('app/lib/util.js', 'util', { mode: 0o600 }),
    { header: { name: 'app/current', type: 'symlink', linkname: 'main.js', mtime: T1 } },
    file('readme.md', 'hello', { mtime: T2 }),
    file('a.txt', 'a'), file('b.txt', 'b'), file('c.md', 'c'),
    file('exec.sh', '#!/bin/sh\n', { mode: 0o755 }),
    { header: { name: 'link', type: 'symlink', linkname: 'app/main.js' } },
    { header: { name: 'abslink', type: 'symlink', linkname: '/../../app/lib/util.js' } },
    { header: { name: 'dangling', type: 'symlink', linkname: '../../etc/passwd' } },
    { header: { name: 'plain.tar', type: 'file', mode: 0o644, mtime: T1 }, body: tar },
    { header: { name: 'archive.tar.gz', type: 'file', mode: 0o644, mtime: T1 }, body: gzipSync(tar) },
    { header: { name: 'archive.tar.zst', type: 'file', mode: 0o644, mtime: T1 }, body: zstd(tar) },
    { header: { name: 'notatar.gz', type: 'file', mode: 0o644, mtime: T1 }, body: gzipSync(utf8.encode('just text')) },
    ...extra,
  ];
  return MemoryBuildContext.fromTar(new Blob([await packTar(entries)]).stream());
}

function instruction<T extends CopyInstruction | AddInstruction>(line: string): T {
  return parseInstruction(nodeFromLine(line)) as T;
}

interface LayerEntry { name: string; type: string; mode: string; uid: number; gid: number; mtime: string; body?: string; linkname?: string }

async function layer(line: string, options: Partial<CopyOptions> = {}): Promise<LayerEntry[]> {
  const plan = await planCopy(instruction(line), { context: options.context ?? await context(), workdir: '/', hash: nodeHash, codecs: nodeCodecs, ...options });
  const out: LayerEntry[] = [];
  for await (const e of readTar(writeCopyLayer(plan))) {
    const entry: LayerEntry = { name: e.name, type: e.type, mode: e.mode.toString(8), uid: e.uid, gid: e.gid, mtime: e.mtime.toISOString() };
    if (e.type === 'file') entry.body = await new Response(e.body).text();
    if (e.linkname) entry.linkname = e.linkname;
    out.push(entry);
  }
  return out;
}

async function names(line: string, options: Partial<CopyOptions> = {}): Promise<string[]> {
  return (await layer(line, options)).map((e) => e.name);
}

async function fails(line: string, message: string | RegExp, options: Partial<CopyOptions> = {}): Promise<void> {
  await assert.rejects(layer(line, options), (e: unknown) => {
    assert.ok(e instanceof BerthError, `expected a BerthError, got ${String(e)}`);
    if (typeof message === 'string') assert.equal(e.message, message); else assert.match(e.message, message);
    return true;
  });
}

function image(paths: Record<string, DestStat>): CopyOptions['lookupDest'] {
  return async (p) => paths[p];
}

const EPOCH = new Date(0).toISOString();

describe('the build context', () => {
  test('reads files, directories and links, and refuses paths above the root', async () => {
    const ctx = await context();
    assert.deepEqual(await ctx.readdir('app'), ['current', 'lib', 'main.js']);
    assert.equal((await ctx.lstat('/app/lib/../main.js'))?.size, 15);
    assert.equal((await ctx.lstat('app'))?.mode, 0o750);
    assert.equal(await ctx.readlink('link'), 'app/main.js');
    assert.equal(await new Response(await ctx.read('readme.md')).text(), 'hello');
    assert.equal(await ctx.lstat('nope'), undefined);
    assert.throws(() => contextPath('../x'), /forbidden path outside the build context: \.\.\/x/);
    await assert.rejects(ctx.lstat('app/../../x'), /forbidden path outside the build context/);
  });

  test('names sort by their UTF-8 bytes, as Go sorts them', () => {
    const names = ['\u{1F600}', '\uFF21', 'b', 'B', 'a', 'ab', '\u00e9'];
    const bytes = (s: string) => Buffer.from(s, 'utf8');
    assert.deepEqual([...names].sort(byteOrder), [...names].sort((x, y) => Buffer.compare(bytes(x), bytes(y))));
    assert.deepEqual([...names].sort(byteOrder), ['B', 'a', 'ab', 'b', '\u00e9', '\uFF21', '\u{1F600}']);
  });
});

describe('COPY: destination rules', () => {
  test('a file onto a path takes that name, with its mode and mtime, owned by root', async () => {
    assert.deepEqual(await layer('COPY readme.md /doc'), [
      { name: 'doc', type: 'file', mode: '644', uid: 0, gid: 0, mtime: T2.toISOString(), body: 'hello' },
    ]);
  });

  test('a file onto dir/ keeps its base name; missing parents are created 0755', async () => {
    assert.deepEqual(await layer('COPY exec.sh /usr/local/bin/'), [
      { name: 'usr/', type: 'directory', mode: '755', uid: 0, gid: 0, mtime: EPOCH },
      { name: 'usr/local/', type: 'directory', mode: '755', uid: 0, gid: 0, mtime: EPOCH },
      { name: 'usr/local/bin/', type: 'directory', mode: '755', uid: 0, gid: 0, mtime: EPOCH },
      { name: 'usr/local/bin/exec.sh', type: 'file', mode: '755', uid: 0, gid: 0, mtime: T1.toISOString(), body: '#!/bin/sh\n' },
    ]);
  });

  test('the destination is relative to WORKDIR; `.` is a directory', async () => {
    assert.deepEqual(await names('COPY readme.md r', { workdir: '/srv/app' }), ['srv/', 'srv/app/', 'srv/app/r']);
    assert.deepEqual(await names('COPY a.txt b.txt .', { workdir: '/w' }), ['w/', 'w/a.txt', 'w/b.txt']);
  });

  test('a file onto a directory that exists in the image goes inside it; existing parents keep their metadata', async () => {
    const etc: DestStat = { type: 'directory', mode: 0o711, uid: 3, gid: 4, mtime: T2 };
    assert.deepEqual(await layer('COPY readme.md /etc', { lookupDest: image({ '/etc': etc }) }), [
      { name: 'etc/', type: 'directory', mode: '711', uid: 3, gid: 4, mtime: T2.toISOString() },
      { name: 'etc/readme.md', type: 'file', mode: '644', uid: 0, gid: 0, mtime: T2.toISOString(), body: 'hello' },
    ]);
    // A destination through a symlink in the image lands where it points (merged /usr), the link left alone.
    const usr = image({
      '/bin': { type: 'symlink', mode: 0o777, uid: 0, gid: 0, mtime: T1, linkname: 'usr/bin' },
      '/usr': etc, '/usr/bin': etc,
    });
    assert.deepEqual(await names('COPY exec.sh /bin/', { lookupDest: usr }), ['usr/', 'usr/bin/', 'usr/bin/exec.sh']);
    assert.deepEqual(await names('COPY exec.sh /bin/tool', { lookupDest: usr }), ['usr/', 'usr/bin/', 'usr/bin/tool']);
    // Without the trailing slash and not a directory in the image: it is the file's new name.
    assert.deepEqual(await names('COPY readme.md /etc', { lookupDest: image({}) }), ['etc']);
  });

  test('a directory copies its contents, not itself; symlinks inside it stay symlinks', async () => {
    assert.deepEqual(await layer('COPY app /dst'), [
      { name: 'dst/', type: 'directory', mode: '755', uid: 0, gid: 0, mtime: EPOCH },
      { name: 'dst/current', type: 'symlink', mode: '777', uid: 0, gid: 0, mtime: T1.toISOString(), linkname: 'main.js' },
      { name: 'dst/lib/', type: 'directory', mode: '755', uid: 0, gid: 0, mtime: EPOCH },
      { name: 'dst/lib/util.js', type: 'file', mode: '600', uid: 0, gid: 0, mtime: T1.toISOString(), body: 'util' },
      { name: 'dst/main.js', type: 'file', mode: '644', uid: 0, gid: 0, mtime: T1.toISOString(), body: 'console.log(1)\n' },
    ]);
    assert.deepEqual(await names('COPY . /all/', { context: await MemoryBuildContext.fromTar(new Blob([await packTar([file('f', 'x')])]).stream()) }), ['all/', 'all/f']);
  });

  test('more than one source needs a destination ending in /', async () => {
    await fails('COPY a.txt b.txt /x', 'When using COPY with more than one source file, the destination must be a directory and end with a /');
    await fails('COPY *.txt /x', 'When using COPY with more than one source file, the destination must be a directory and end with a /');
    await fails('ADD a.txt b.txt /x', 'When using ADD with more than one source file, the destination must be a directory and end with a /');
    assert.deepEqual(await names('COPY a.txt b.txt /x/'), ['x/', 'x/a.txt', 'x/b.txt']);
    // A wildcard that matches one file is one source, as dockerd counts them.
    assert.deepEqual(await names('COPY a*.txt /x'), ['x']);
    assert.deepEqual(await names('COPY z* readme.md /doc'), ['doc']);
  });
});

describe('COPY: sources', () => {
  test('wildcards are filepath.Match patterns, element by element; ** is not special', async () => {
    assert.deepEqual(await names('COPY *.txt /x/'), ['x/', 'x/a.txt', 'x/b.txt']);
    assert.deepEqual(await names('COPY [ab].txt ?.md /x/'), ['x/', 'x/a.txt', 'x/b.txt', 'x/c.md']);
    assert.deepEqual(await names('COPY app/*/util.js /x/'), ['x/', 'x/util.js']);
    await fails('COPY **/util.js /x/', 'COPY failed: no source files were specified');
    assert.equal(matchName('[^a]*', 'b.txt'), true);
    assert.equal(matchName('[^a]*', 'a.txt'), false);
    assert.equal(matchName('\\*', '*'), true);
    assert.throws(() => matchName('[a-]', 'a'), /syntax error in pattern/);
  });

  test('a missing source, a path above the context and a URL for COPY are refused with dockerd\'s texts', async () => {
    await fails('COPY nope /x', 'COPY failed: file not found in build context or excluded by .dockerignore: stat nope: file does not exist');
    await fails('COPY dangling /x', 'COPY failed: file not found in build context or excluded by .dockerignore: stat dangling: file does not exist');
    await fails('COPY ../x /', 'COPY failed: forbidden path outside the build context: ../x');
    await fails('COPY http://127.0.0.1/x /', "COPY failed: source can't be a URL for COPY");
  });

  test('a symlink source is followed without leaving the context', async () => {
    assert.deepEqual(await layer('COPY link /l'), [
      { name: 'l', type: 'file', mode: '644', uid: 0, gid: 0, mtime: T1.toISOString(), body: 'console.log(1)\n' },
    ]);
    assert.deepEqual((await layer('COPY abslink /u'))[0]?.body, 'util');
  });

  test('--exclude drops matching paths below a source directory', async () => {
    assert.deepEqual(await names('COPY --exclude=lib app /dst'), ['dst/', 'dst/current', 'dst/main.js']);
    assert.deepEqual(await names('COPY --exclude=*.js app /dst'), ['dst/', 'dst/current', 'dst/lib/', 'dst/lib/util.js']);
    assert.deepEqual(await names('COPY --exclude=b.txt *.txt /x/'), ['x/', 'x/a.txt']);
  });

  test('--parents keeps the source path (below a /./ pivot)', async () => {
    assert.deepEqual(await names('COPY --parents app/lib/util.js /p/'), ['p/', 'p/app/', 'p/app/lib/', 'p/app/lib/util.js']);
    assert.deepEqual(await names('COPY --parents app/./lib/util.js /p/'), ['p/', 'p/lib/', 'p/lib/util.js']);
  });

  test('heredoc sources are files of their own name', async () => {
    const df = parseInstructions(parseDockerfile('FROM scratch\nCOPY <<EOF /etc/motd\nhi there\nEOF\n'));
    const inst = df.stages[0]!.commands[0] as CopyInstruction;
    const plan = await planCopy(inst, { context: await context(), workdir: '/', hash: nodeHash });
    const entries = [];
    for await (const e of readTar(writeCopyLayer(plan))) entries.push([e.name, e.mode.toString(8), e.type === 'file' ? await new Response(e.body).text() : '']);
    assert.deepEqual(entries, [['etc/', '755', ''], ['etc/motd', '644', 'hi there\n']]);
  });
});

describe('COPY: ownership and modes', () => {
  const etc = async (name: 'passwd' | 'group') => name === 'passwd' ? 'root:x:0:0::/root:/bin/sh\napp:x:1001:1002::/home/app:/bin/sh\n' : 'root:x:0:\nstaff:x:50:\napp:x:1002:\n';

  test('--chown by number sets files and created directories; an existing directory keeps its owner', async () => {
    const lookupDest = image({ '/srv': { type: 'directory', mode: 0o755, uid: 0, gid: 0, mtime: T2 } });
    const entries = await layer('COPY --chown=1000:1001 app/lib /srv/lib/', { lookupDest });
    assert.deepEqual(entries.map((e) => [e.name, e.uid, e.gid]), [['srv/', 0, 0], ['srv/lib/', 1000, 1001], ['srv/lib/util.js', 1000, 1001]]);
    // A user alone also names the group, as dockerd reads it.
    assert.deepEqual((await layer('COPY --chown=1000 readme.md /r'))[0]!.gid, 1000);
  });

  test('--chown names come from the image\'s /etc/passwd and /etc/group', async () => {
    assert.deepEqual((await layer('COPY --chown=app:staff readme.md /r', { readEtc: etc }))[0]!.uid, 1001);
    assert.deepEqual((await layer('COPY --chown=app:staff readme.md /r', { readEtc: etc }))[0]!.gid, 50);
    assert.deepEqual((await layer('COPY --chown=app readme.md /r', { readEtc: etc }))[0]!.gid, 1002);
    await fails('COPY --chown=nobody2 readme.md /r', "can't find uid for user nobody2: no such user: nobody2", { readEtc: etc });
    await fails('COPY --chown=app:wheel readme.md /r', "can't find gid for group wheel: no such group: wheel", { readEtc: etc });
    await fails('COPY --chown=a:b:c readme.md /r', 'invalid chown string format: a:b:c');
  });

  test('--from keeps owners unless --chown says otherwise', async () => {
    assert.equal((await layer('COPY --from=x readme.md /r', { preserveOwnership: true }))[0]!.uid, 501);
    assert.equal((await layer('COPY --from=x --chown=5 readme.md /r', { preserveOwnership: true }))[0]!.uid, 5);
  });

  test('--chmod sets every copied file and directory, not created parents', async () => {
    const entries = await layer('COPY --chmod=0750 app/lib /a/b');
    assert.deepEqual(entries.map((e) => [e.name, e.mode]), [['a/', '755'], ['a/b/', '755'], ['a/b/util.js', '750']]);
    assert.deepEqual((await layer('COPY --chmod=4755 readme.md /r'))[0]!.mode, '4755');
    await fails('COPY --chmod=u+x readme.md /r', "invalid chmod parameter: 'u+x'. it should be octal string and between 0 and 07777");
    await fails('COPY --chmod=17777 readme.md /r', "invalid chmod parameter: '17777'. it should be octal string and between 0 and 07777");
  });

  test('SOURCE_DATE_EPOCH clamps later mtimes and leaves earlier ones', async () => {
    const epoch = Math.floor(new Date('2025-01-01T00:00:00Z').getTime() / 1000);
    const entries = await layer('COPY readme.md a.txt /d/', { sourceDateEpoch: epoch, now: new Date('2026-01-01T00:00:00Z') });
    assert.deepEqual(entries.map((e) => [e.name, e.mtime]), [
      ['d/', '2025-01-01T00:00:00.000Z'], ['d/a.txt', T1.toISOString()], ['d/readme.md', '2025-01-01T00:00:00.000Z'],
    ]);
  });
});

describe('ADD', () => {
  const unpacked = [
    { name: 'opt/', type: 'directory', mode: '755', uid: 0, gid: 0, mtime: EPOCH },
    { name: 'opt/x/', type: 'directory', mode: '700', uid: 7, gid: 8, mtime: T1.toISOString() },
    { name: 'opt/x/one', type: 'file', mode: '640', uid: 7, gid: 8, mtime: T2.toISOString(), body: 'one' },
    { name: 'opt/deep/', type: 'directory', mode: '755', uid: 0, gid: 0, mtime: EPOCH },
    { name: 'opt/deep/er/', type: 'directory', mode: '755', uid: 0, gid: 0, mtime: EPOCH },
    { name: 'opt/deep/er/two', type: 'file', mode: '600', uid: 0, gid: 0, mtime: T1.toISOString(), body: 'two' },
  ];

  test('a local tar, plain, gzip or zstd, is unpacked into the destination with its own owners and modes', async () => {
    assert.deepEqual(await layer('ADD plain.tar /opt'), unpacked);
    assert.deepEqual(await layer('ADD archive.tar.gz /opt/'), unpacked);
    assert.deepEqual(await layer('ADD archive.tar.zst /opt'), unpacked);
    // The usual FROM scratch + ADD rootfs.tar /: no entry for the root itself.
    assert.deepEqual(await names('ADD archive.tar.gz /'), ['x/', 'x/one', 'deep/', 'deep/er/', 'deep/er/two']);
  });

  test('what is not a tar is copied as it is; --unpack=false keeps an archive whole', async () => {
    const gz = await layer('ADD notatar.gz /n');
    assert.deepEqual(gz.map((e) => [e.name, e.type]), [['n', 'file']]);
    assert.deepEqual(await names('ADD --unpack=false plain.tar /p.tar'), ['p.tar']);
    assert.deepEqual(await names('COPY plain.tar /p.tar'), ['p.tar']);
  });

  test('an archive entry above the destination fails the layer', async () => {
    const evil = await packTar([{ header: { name: '../../escape', type: 'file' }, body: 'x' }]);
    const ctx = await context([{ header: { name: 'evil.tar', type: 'file' }, body: evil }]);
    await fails('ADD evil.tar /opt/', /archive entry "..\/..\/escape" points outside the destination/, { context: ctx });
  });

  const body = utf8.encode('remote bytes');
  const sha = `sha256:${createHash('sha256').update(body).digest('hex')}`;
  const fetch = async (url: string | URL | Request) => String(url).endsWith('/missing')
    ? new Response('gone', { status: 404, statusText: 'Not Found' })
    : new Response(body, { headers: { 'last-modified': T2.toUTCString() } });

  test('a URL is fetched through the host, named after its path, mode 0600, mtime from Last-Modified', async () => {
    assert.deepEqual(await layer('ADD http://127.0.0.1:9/files/tool.tar.gz /bin/', { fetch }), [
      { name: 'bin/', type: 'directory', mode: '755', uid: 0, gid: 0, mtime: EPOCH },
      { name: 'bin/tool.tar.gz', type: 'file', mode: '600', uid: 0, gid: 0, mtime: T2.toISOString(), body: 'remote bytes' },
    ]);
    await fails('ADD http://127.0.0.1:9/missing /m', 'ADD failed: failed to GET http://127.0.0.1:9/missing with status 404 Not Found: gone', { fetch });
    // No name in the URL: Content-Disposition's, else only a destination file name will do; no Last-Modified: the epoch.
    const unnamed = async () => new Response('x');
    const named = async () => new Response('x', { headers: { 'content-disposition': 'attachment; filename="report.csv"' } });
    assert.deepEqual(await names('ADD http://127.0.0.1:9/ /d/', { fetch: named }), ['d/', 'd/report.csv']);
    assert.deepEqual((await layer('ADD http://127.0.0.1:9/ /d/f', { fetch: unnamed })).map((e) => [e.name, e.mtime]), [['d/', EPOCH], ['d/f', EPOCH]]);
    await fails('ADD http://127.0.0.1:9/ /d/', 'ADD failed: cannot determine filename for source http://127.0.0.1:9/', { fetch: unnamed });
  });

  test('--checksum is verified, and only allowed for URLs', async () => {
    assert.deepEqual(await names(`ADD --checksum=${sha} http://127.0.0.1:9/f /f`, { fetch }), ['f']);
    const wrong = `sha256:${'0'.repeat(64)}`;
    await fails(`ADD --checksum=${wrong} http://127.0.0.1:9/f /f`, `digest mismatch ${sha}: ${wrong}`, { fetch });
    await fails(`ADD --checksum=${sha} readme.md /f`, "checksum can't be specified for non-HTTP(S) sources");
  });

  test('a URL\'s archive is unpacked only with --unpack', async () => {
    const tar = gzipSync(await innerTar());
    const tarFetch = async () => new Response(tar);
    assert.deepEqual(await names('ADD http://127.0.0.1:9/a.tgz /opt/', { fetch: tarFetch }), ['opt/', 'opt/a.tgz']);
    assert.deepEqual(await layer('ADD --unpack=true http://127.0.0.1:9/a.tgz /opt/', { fetch: tarFetch }), unpacked);
  });
});

describe('the content checksum', () => {
  async function checksumOf(ctx: MemoryBuildContext, line = 'COPY app /dst'): Promise<string> {
    return copyChecksum(await planCopy(instruction(line), { context: ctx, workdir: '/', hash: nodeHash, codecs: nodeCodecs }), nodeHash);
  }

  test('changes with a file\'s content or mode, and not with its mtime', async () => {
    const base = await checksumOf(await context());
    assert.match(base, /^sha256:[0-9a-f]{64}$/);
    assert.equal(await checksumOf(await context()), base);
    const same = (extra: TarInput) => context([extra]);
    assert.equal(await checksumOf(await same(file('app/main.js', 'console.log(1)\n', { mtime: T2 }))), base);
    assert.notEqual(await checksumOf(await same(file('app/main.js', 'console.log(2)\n'))), base);
    assert.notEqual(await checksumOf(await same(file('app/main.js', 'console.log(1)\n', { mode: 0o755 }))), base);
    assert.notEqual(await checksumOf(await same(file('app/new.js', ''))), base);
    // Files outside the sources do not count.
    assert.equal(await checksumOf(await same(file('other.txt', 'x'))), base);
  });

  test('changes with the owner and the destination', async () => {
    const ctx = await context();
    const base = await checksumOf(ctx);
    assert.notEqual(await checksumOf(ctx, 'COPY --chown=1 app /dst'), base);
    assert.notEqual(await checksumOf(ctx, 'COPY app /elsewhere'), base);
    assert.notEqual(await checksumOf(ctx, 'ADD plain.tar /o'), await checksumOf(ctx, 'ADD archive.tar.gz /o'));
  });
});
