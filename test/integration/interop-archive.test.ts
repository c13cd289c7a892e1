// Image archives between berth and the real Docker daemon: `docker save` output loads into berthd
// (through the docker CLI and through berth's CLI) and `berth save` output loads into dockerd, with
// the same image ID (config digest), the same diffIDs and the tags preserved; images that came to
// berth from a registry or from its built-in set run in dockerd after `docker load`.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startBerthd, type TestDaemon } from '../helpers/berthd.ts';
import { dockerdMissing, importBusybox, startDockerd, type TestDockerd } from '../helpers/dockerd.ts';
import { DOCKER_CLI, runCommand, type RunOptions, type RunResult } from '../helpers/docker-cli.ts';
import { waitFor } from '../helpers/ports.ts';
import { REPO_ROOT, startRegistry, type TestRegistry } from '../helpers/registry.ts';
import { buildTestImage, pushTestImage, type BuiltImage } from '../helpers/test-image.ts';
import { removeDir, tempDir } from '../helpers/tmp.ts';
import { CLI_BUNDLE, CLI_SOURCE, TEST_BUNDLE as BUNDLE, berthCliCommand } from '../helpers/berth-cli.ts';

const skip = dockerdMissing();

const BUILTIN_IMAGES = join(REPO_ROOT, 'build/images');

const berthCliMissing = berthCliCommand() ? false : `berth's CLI is not there yet (${BUNDLE ? CLI_BUNDLE : CLI_SOURCE})`;

interface Inspect { Id: string; RepoTags: string[]; RootFS: { Layers: string[] }; Architecture: string; Os: string }

/** Parses `Loaded image: R` lines (and `Loaded image ID: sha256:...`) from a load's output. */
function loaded(out: string): string[] {
  return [...out.matchAll(/^Loaded image(?: ID)?: (\S+)$/gm)].map((m) => m[1]!).sort();
}

function describeFailure(what: string, r: RunResult, logs?: string): string {
  return `${what} exited ${r.code}\n--- stderr ---\n${r.stderr}\n--- stdout ---\n${r.stdout}${logs ? `\n--- berthd log (tail) ---\n${logs.slice(-3000)}` : ''}`;
}

describe('interop: image archives between berth and dockerd', { skip: skip ?? false }, () => {
  let dockerd: TestDockerd;
  let berthd: TestDaemon;
  let registry: TestRegistry;
  let tmp: string;
  let busybox: Inspect;
  let synthetic: BuiltImage;
  const SOURCE = 'interop/busybox:archive';
  const SECOND = 'interop/busybox:second';
  const TRUNCATED = 'interop/busybox:truncated';

  /** The docker CLI against berthd, failing with berthd's log. */
  async function berthDocker(args: string[], opts?: RunOptions): Promise<string> {
    const r = await berthd.docker(args, opts);
    if (r.code !== 0) throw new Error(describeFailure(`docker (against berthd) ${args.join(' ')}`, r, berthd.logs()));
    return r.stdout;
  }

  /** berth's own CLI against berthd. */
  async function berth(args: string[], opts: RunOptions = {}): Promise<string> {
    const [cmd, ...pre] = berthCliCommand()!;
    const r = await runCommand(cmd!, [...pre, ...args], {
      ...opts,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: tmp, DOCKER_HOST: berthd.host, DOCKER_CONFIG: join(tmp, 'docker-config'), ...opts.env },
    });
    if (r.code !== 0) throw new Error(describeFailure(`berth ${args.join(' ')}`, r, berthd.logs()));
    return r.stdout;
  }

  async function inspectIn(run: (a: string[]) => Promise<string>, ref: string): Promise<Inspect> {
    return (JSON.parse(await run(['image', 'inspect', ref])) as Inspect[])[0]!;
  }
  const inDockerd = (ref: string) => inspectIn((a) => dockerd.dockerOk(a), ref);
  const inBerthd = (ref: string) => inspectIn(berthDocker, ref);

  /** Removes an image and all its tags from dockerd, so a load really recreates it. */
  async function forgetInDockerd(id: string): Promise<void> {
    const r = await dockerd.docker(['rmi', '-f', id]);
    assert.ok(r.code === 0 || /No such image/.test(r.stderr), r.stderr);
    assert.notEqual((await dockerd.docker(['image', 'inspect', id])).code, 0, `${id} is still in dockerd`);
  }

  before(async () => {
    tmp = await tempDir('interop-archive-');
    [dockerd, berthd, registry] = await Promise.all([
      startDockerd(),
      startBerthd({ bundle: BUNDLE, ...(existsSync(join(BUILTIN_IMAGES, 'index.json')) ? { builtinImages: BUILTIN_IMAGES } : {}) }),
      startRegistry({ impl: 'cncf' }),
    ]);
    await importBusybox(dockerd, SOURCE);
    await dockerd.dockerOk(['tag', SOURCE, SECOND]);
    busybox = await inDockerd(SOURCE);
    await dockerd.dockerOk(['tag', SOURCE, TRUNCATED]);
    await dockerd.dockerOk(['save', '-o', join(tmp, 'truncated.tar'), TRUNCATED]);
    await dockerd.dockerOk(['rmi', TRUNCATED]);
    // An image that reaches berth only through a registry: two gzip layers, a label, an env.
    synthetic = await buildTestImage({
      layers: [{ files: { 'etc/': '', 'etc/greeting': 'hello from berth\n' } }, { files: { 'data/': '', 'data/blob.txt': 'x'.repeat(20_000) } }],
      labels: { 'org.example.origin': 'interop-archive' }, env: ['PATH=/bin', 'GREETING=hello'],
    });
    await pushTestImage(registry.url, 'interop/synthetic', 'v1', synthetic);
  });

  after(async () => {
    if (process.env.BERTH_TEST_LOGS) process.stderr.write(berthd?.logs() ?? '');
    await Promise.all([dockerd?.cleanup(), berthd?.cleanup(), registry?.stop()]);
    await removeDir(tmp);
  });

  it('docker save output loads into berthd through the docker CLI, tags preserved', async () => {
    const file = join(tmp, 'from-dockerd.tar');
    await dockerd.dockerOk(['save', '-o', file, SOURCE, SECOND]);
    const out = await berthDocker(['load', '-i', file]);
    assert.deepEqual(loaded(out), [SOURCE, SECOND].sort(), `load output:\n${out}`);
    const img = await inBerthd(SOURCE);
    assert.equal(img.Id, busybox.Id, 'same config digest');
    assert.deepEqual(img.RootFS.Layers, busybox.RootFS.Layers, 'same diffIDs');
    assert.deepEqual([...img.RepoTags].sort(), [SOURCE, SECOND].sort());
  });

  it('docker save output loads into berthd through berth load (stdin and -i)', { skip: berthCliMissing }, async () => {
    const file = join(tmp, 'from-dockerd-cli.tar');
    const tag = 'interop/busybox:via-berth';
    await dockerd.dockerOk(['tag', SOURCE, tag]);
    await dockerd.dockerOk(['save', '-o', file, tag]);
    await dockerd.dockerOk(['rmi', tag]);

    const fromStdin = await berth(['load'], { input: await readFile(file) });
    assert.deepEqual(loaded(fromStdin), [tag], `berth load output:\n${fromStdin}`);
    const img = await inBerthd(tag);
    assert.equal(img.Id, busybox.Id);
    assert.deepEqual(img.RootFS.Layers, busybox.RootFS.Layers);

    await berthDocker(['rmi', tag]);
    const fromFile = await berth(['load', '-i', file]);
    assert.deepEqual(loaded(fromFile), [tag], `berth load -i output:\n${fromFile}`);
    assert.ok((await inBerthd(tag)).RepoTags.includes(tag));
  });

  it('berthd output of docker save loads into dockerd, runs, same ID and diffIDs, tags preserved', async () => {
    await inBerthd(SOURCE); // loaded by the first test
    const file = join(tmp, 'from-berthd.tar');
    await berthDocker(['save', '-o', file, SOURCE, SECOND]);
    await forgetInDockerd(busybox.Id);

    const out = await dockerd.dockerOk(['load', '-i', file]);
    assert.deepEqual(loaded(out), [SOURCE, SECOND].sort(), `docker load output:\n${out}`);
    const img = await inDockerd(SOURCE);
    assert.equal(img.Id, busybox.Id, 'same config digest');
    assert.deepEqual(img.RootFS.Layers, busybox.RootFS.Layers, 'same diffIDs');
    assert.deepEqual([...img.RepoTags].sort(), [SOURCE, SECOND].sort());
    assert.equal(await dockerd.dockerOk(['run', '--rm', '--network', 'none', SOURCE, 'echo', 'ok']), 'ok\n');
  });

  it('berth save of an image pulled from a registry loads into dockerd', { skip: berthCliMissing }, async () => {
    const ref = `${registry.host}/interop/synthetic:v1`;
    await berthDocker(['pull', ref]);
    const file = join(tmp, 'synthetic.tar');
    await berth(['save', '-o', file, ref]);

    const out = await dockerd.dockerOk(['load', '-i', file]);
    assert.deepEqual(loaded(out), [ref], `docker load output:\n${out}`);
    const img = await inDockerd(ref);
    assert.equal(img.Id, synthetic.configDigest, 'same config digest as in the registry');
    assert.deepEqual(img.RootFS.Layers, synthetic.layers.map((l) => l.diffID), 'same diffIDs as in the registry');
    const labels = (await dockerd.dockerOk(['image', 'inspect', '--format', '{{json .Config.Labels}}', ref])).trim();
    assert.deepEqual(JSON.parse(labels), { 'org.example.origin': 'interop-archive' });
  });

  it('berth save to stdout loads into dockerd from stdin', { skip: berthCliMissing }, async () => {
    await inBerthd(SECOND);
    await forgetInDockerd(busybox.Id);
    // Through a pipe, as a person would run it; berth talks to berthd and docker to dockerd.
    const quote = (a: string) => `'${a}'`;
    const pipeline = `DOCKER_HOST=${quote(berthd.host)} ${berthCliCommand()!.map(quote).join(' ')} save ${SECOND}`
      + ` | DOCKER_HOST=${quote(dockerd.host)} ${quote(DOCKER_CLI)} load`;
    const piped = await runCommand('sh', ['-c', pipeline], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: tmp, DOCKER_CONFIG: join(tmp, 'docker-config') },
    });
    assert.equal(piped.code, 0, describeFailure('berth save | docker load', piped, berthd.logs()));
    assert.deepEqual(loaded(piped.stdout), [SECOND]);
    assert.equal((await inDockerd(SECOND)).Id, busybox.Id);
  });

  it('an image loaded into berthd from docker save is pushed by berth, pulled and run by dockerd', async () => {
    await inBerthd(SOURCE); // loaded by the first test: uncompressed layers that berth's push must compress and describe
    const ref = `${registry.host}/interop/from-load:v1`;
    await berthDocker(['tag', SOURCE, ref]);
    const push = await berthDocker(['push', ref]);
    const digest = /: digest: (sha256:[0-9a-f]{64}) size: \d+/.exec(push)?.[1];
    assert.ok(digest, `no digest line in berth's push output:\n${push}`);

    await forgetInDockerd(busybox.Id);
    const pull = await dockerd.dockerOk(['pull', ref]);
    assert.match(pull, new RegExp(`Digest: ${digest}`));
    const img = await inDockerd(ref);
    assert.equal(img.Id, busybox.Id, 'same config digest');
    assert.deepEqual(img.RootFS.Layers, busybox.RootFS.Layers, 'same diffIDs');
    assert.equal(await dockerd.dockerOk(['run', '--rm', '--network', 'none', ref, 'echo', 'ok']), 'ok\n');
  });

  it('a truncated docker save archive is refused by berthd as by dockerd, and nothing is stored', async (t) => {
    const tag = TRUNCATED;
    const whole = await readFile(join(tmp, 'truncated.tar'));
    // Cut inside the layer: the archive's manifest.json sits at its end, so it is lost too.
    const cut = whole.subarray(0, Math.floor(whole.byteLength / 3));
    // Sorted: images created at the same second may be listed in any order, in Docker too.
    const listImages = async () => (await berthDocker(['images', '-a', '--no-trunc', '--format', '{{.ID}} {{.Repository}}:{{.Tag}}'])).split('\n').sort();
    const imagesBefore = await listImages();

    const refused = await berthd.docker(['load'], { input: cut });
    assert.equal(refused.code, 1, describeFailure('docker load (truncated) against berthd', refused, berthd.logs()));
    assert.equal(refused.stderr.trim().split('\n').length, 1, `one line of error:\n${refused.stderr}`);
    assert.match(refused.stderr, /EOF|truncated|unexpected end|incomplete/i);
    t.diagnostic(`berthd says: ${refused.stderr.trim()}`);
    assert.deepEqual(await listImages(), imagesBefore);
    assert.notEqual((await berthd.docker(['image', 'inspect', tag])).code, 0);

    // The reference behaviour, so a change in dockerd's own answer shows up here.
    const dockerdRefused = await dockerd.docker(['load'], { input: cut });
    assert.equal(dockerdRefused.code, 1);
    assert.match(dockerdRefused.stderr, /unexpected EOF/);
    t.diagnostic(`dockerd says: ${dockerdRefused.stderr.trim()}`);
  });

  it('the built-in busybox saved by berth runs in dockerd', { skip: berthCliMissing || (existsSync(join(BUILTIN_IMAGES, 'index.json')) ? false : `no built-in images in ${BUILTIN_IMAGES} (run the set-up)`) }, async () => {
    // berthd imports its built-in images in the background after start-up.
    await waitFor('berthd to import the built-in busybox', async () => (await berthd.docker(['image', 'inspect', 'busybox'])).code === 0, 20_000);
    const builtin = await inBerthd('busybox');
    const file = join(tmp, 'builtin-busybox.tar');
    await berth(['save', '-o', file, 'busybox']);
    const out = await dockerd.dockerOk(['load', '-i', file]);
    assert.deepEqual(loaded(out), ['busybox:latest'], `docker load output:\n${out}`);
    const img = await inDockerd('busybox:latest');
    assert.equal(img.Id, builtin.Id);
    assert.deepEqual(img.RootFS.Layers, builtin.RootFS.Layers);
    assert.equal(`${img.Os}/${img.Architecture}`, 'linux/amd64');
    assert.equal(await dockerd.dockerOk(['run', '--rm', '--network', 'none', 'busybox', 'echo', 'hello from berth']), 'hello from berth\n');
  });
});
