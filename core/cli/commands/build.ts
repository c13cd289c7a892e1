// `berth build`: docker's legacy-builder client (DOCKER_BUILDKIT=0 docker build). The context
// directory is packed as the docker CLI packs it (.dockerignore, owners 0:0) and streamed to
// POST /build with the options as query parameters; the daemon's JSON stream is printed as docker
// prints it, or, on a terminal, as a live per-step view. A failed build exits with the daemon's code.
import { BerthError } from '../../errors.ts';
import { collect } from '../../content/ingest.ts';
import { parseReference } from '../../reference/reference.ts';
import { StatusError, type Command, type CommandContext } from '../command.ts';
import { goQuote, type FlagSpec } from '../flags.ts';
import { decodeJSONStream, JSONMessageRenderer, type JSONMessage } from '../json-message.ts';
import { ramInBytes } from '../units.ts';
import { parseUlimit, toMap } from '../run/config.ts';
import { validateExtraHost } from '../run/network-opts.ts';
import { stringSlice, stringsFlag } from './network-create.ts';
import { buildQuery, defaultBuildRequestOptions, registryConfigHeader, withProxyArgs, type BuildRequestOptions, type ProxyConfig } from '../build/build-request.ts';
import { contextExcludes, contextMatcher, validateContext } from '../build/context-walk.ts';
import { packContext } from '../build/context-pack.ts';
import { dockerfileOutsideContext, resolveLocalContext } from '../build/context-resolve.ts';
import { contextFromReader } from '../build/context-stdin.ts';
import { addDockerfileToContext } from '../build/dockerfile-inject.ts';
import { StepView } from '../build/step-view.ts';
import { uploadProgress } from '../build/upload-progress.ts';

/** opts.ValidateEnv's check; the value from the environment is looked up when the build starts. */
function checkBuildArg(v: string): void {
  if (v.split('=')[0] === '') throw new Error(`invalid environment variable: ${v}`);
}

function checkLabel(v: string): void {
  const key = v.split('=')[0]!.trim();
  if (key === '') throw new Error(`invalid label '${v}': empty name`);
  if (/[ \t\n\v\f\r]/.test(key)) throw new Error(`label '${key}' contains whitespaces`);
}

function checkTag(v: string): void {
  parseReference(v);
}

function checkProgress(v: string): void {
  if (!['auto', 'plain', 'tty'].includes(v)) throw new Error('must be one of auto, plain, tty');
}

/** opts.MemSwapBytes: a size, or -1 for unlimited swap. */
function memSwapBytes(v: string): number {
  return v === '-1' ? -1 : ramInBytes(v);
}

function buildFlags(): FlagSpec[] {
  return [
    { name: 'add-host', kind: 'list', usage: 'Add a custom host-to-IP mapping ("host:ip")', check: validateExtraHost },
    { name: 'build-arg', kind: 'list', usage: 'Set build-time variables', check: checkBuildArg },
    stringsFlag('cache-from', 'Images to consider as cache sources'),
    { name: 'cgroup-parent', kind: 'string', usage: 'Set the parent cgroup for the "RUN" instructions during build' },
    { name: 'compress', kind: 'bool', usage: 'Compress the build context using gzip' },
    { name: 'cpu-period', kind: 'int', usage: 'Limit the CPU CFS (Completely Fair Scheduler) period' },
    { name: 'cpu-quota', kind: 'int', usage: 'Limit the CPU CFS (Completely Fair Scheduler) quota' },
    { name: 'cpu-shares', short: 'c', kind: 'int', usage: 'CPU shares (relative weight)' },
    { name: 'cpuset-cpus', kind: 'string', usage: 'CPUs in which to allow execution (0-3, 0,1)' },
    { name: 'cpuset-mems', kind: 'string', usage: 'MEMs in which to allow execution (0-3, 0,1)' },
    { name: 'disable-content-trust', kind: 'bool', usage: 'Skip image verification', default: true },
    { name: 'file', short: 'f', kind: 'string', usage: 'Name of the Dockerfile (Default is "PATH/Dockerfile")' },
    { name: 'force-rm', kind: 'bool', usage: 'Always remove intermediate containers' },
    { name: 'iidfile', kind: 'string', usage: 'Write the image ID to the file' },
    { name: 'isolation', kind: 'string', usage: 'Container isolation technology' },
    { name: 'label', kind: 'list', usage: 'Set metadata for an image', check: checkLabel },
    { name: 'memory', short: 'm', kind: 'bytes', usage: 'Memory limit' },
    { name: 'memory-swap', kind: 'string', typeName: 'bytes', usage: 'Swap limit equal to memory plus swap: -1 to enable unlimited swap', check: (v) => { memSwapBytes(v); } },
    { name: 'network', kind: 'string', usage: 'Set the networking mode for the RUN instructions during build', default: 'default' },
    { name: 'no-cache', kind: 'bool', usage: 'Do not use cache when building the image' },
    { name: 'platform', kind: 'string', usage: 'Set platform if server is multi-platform capable' },
    { name: 'progress', kind: 'string', usage: 'Set type of progress output (auto, plain, tty). Use plain to show container output', default: 'auto', check: checkProgress },
    { name: 'pull', kind: 'bool', usage: 'Always attempt to pull a newer version of the image' },
    { name: 'quiet', short: 'q', kind: 'bool', usage: 'Suppress the build output and print image ID on success' },
    { name: 'rm', kind: 'bool', usage: 'Remove intermediate containers after a successful build', default: true },
    stringsFlag('security-opt', 'Security options'),
    { name: 'shm-size', kind: 'bytes', usage: 'Size of "/dev/shm"' },
    { name: 'squash', kind: 'bool', usage: 'Squash newly built layers into a single new layer' },
    { name: 'tag', short: 't', kind: 'list', usage: 'Name and optionally a tag in the "name:tag" format', check: checkTag },
    { name: 'target', kind: 'string', usage: 'Set the target build stage to build.' },
    { name: 'ulimit', kind: 'list', typeName: 'ulimit', defaultText: '[]', usage: 'Ulimit options' },
  ];
}

/** opts.ConvertKVStringsToMapWithNil over --build-arg, a bare name taking the environment's value. */
function buildArgs(values: string[], env: Record<string, string | undefined>): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const v of values) {
    const i = v.indexOf('=');
    if (i >= 0) out[v.slice(0, i)] = v.slice(i + 1);
    else out[v] = env[v] ?? null;
  }
  return out;
}

function isRemoteContext(c: string): boolean {
  return /^(https?|git):\/\//.test(c) || c.startsWith('git@') || c.startsWith('github.com/');
}

/** Text that -q holds back, shown only when the build fails. */
class Held {
  text = '';
  write = async (s: string): Promise<void> => { this.text += s; };
}

interface PreparedContext {
  body: ReadableStream<Uint8Array>;
  dockerfile: string;
}

/** The context tar and the Dockerfile's name in it, from stdin or a local directory (RunBuild's switch). */
async function prepareContext(ctx: CommandContext, specified: string, dockerfileFlag: string): Promise<PreparedContext> {
  const fromStdin = dockerfileFlag === '-';
  if (specified === '-') {
    const c = await contextFromReader(ctx.host.stdin.stream(), dockerfileFlag, ctx.now());
    return { body: c.tar, dockerfile: c.relDockerfile };
  }
  const tree = ctx.host.localTree;
  if (isRemoteContext(specified)) {
    throw new BerthError('unsupported', `unable to prepare context: ${goQuote(specified)} is a remote context, which berth does not fetch: clone or download it and build the directory`);
  }
  if (!tree) throw new BerthError('unsupported', 'this berth host has no local files to build from: send the context as a tar on stdin (`berth build -`)');
  // isLocalDir: anything that exists (os.Stat) is taken as a local context; the checks that follow say what is wrong with it.
  const exists = await tree.realpath(tree.absolute(specified)).then(() => true, () => false);
  if (!exists) throw new BerthError('invalid_argument', `unable to prepare context: path ${goQuote(specified)} not found`);
  const local = await resolveLocalContext(tree, specified, dockerfileFlag);
  let dockerfile: Uint8Array | undefined;
  if (fromStdin) {
    dockerfile = await collect(ctx.host.stdin.stream());
  } else if (dockerfileOutsideContext(local)) {
    try {
      dockerfile = await collect(await tree.open(local.dockerfilePath!));
    } catch (e) {
      throw new BerthError('invalid_argument', `unable to open Dockerfile: ${(e as Error).message}`);
    }
  }
  const excludes = await contextExcludes(tree, local.dir, dockerfile ? '-' : local.relDockerfile);
  const matcher = contextMatcher(excludes);
  await validateContext(tree, local.dir, matcher);
  const tar = packContext(tree, local.dir, matcher);
  if (dockerfile) {
    const added = addDockerfileToContext(tar, dockerfile, { now: ctx.now() });
    return { body: added.tar, dockerfile: added.name };
  }
  return { body: tar, dockerfile: local.relDockerfile };
}

/** The request's options from the flags, checked before anything is read or sent (the Dockerfile's name comes later). */
function requestOptions(ctx: CommandContext): BuildRequestOptions {
  const f = ctx.flags;
  const list = (name: string) => f[name] as string[];
  return {
    ...defaultBuildRequestOptions(),
    tags: list('tag'),
    buildArgs: buildArgs(list('build-arg'), ctx.host.env),
    labels: toMap(list('label')),
    target: f.target as string,
    noCache: f['no-cache'] as boolean,
    pull: f.pull as boolean,
    quiet: f.quiet as boolean,
    rm: f.rm as boolean,
    forceRm: f['force-rm'] as boolean,
    networkMode: f.network as string,
    cacheFrom: stringSlice(list('cache-from')),
    platform: (f.platform as string) || ctx.host.env.DOCKER_DEFAULT_PLATFORM || '',
    shmSize: f['shm-size'] as number,
    memory: f.memory as number,
    memorySwap: ctx.changed.has('memory-swap') ? memSwapBytes(f['memory-swap'] as string) : 0,
    cpuShares: f['cpu-shares'] as number,
    cpuPeriod: f['cpu-period'] as number,
    cpuQuota: f['cpu-quota'] as number,
    cpusetCpus: f['cpuset-cpus'] as string,
    cpusetMems: f['cpuset-mems'] as string,
    cgroupParent: f['cgroup-parent'] as string,
    isolation: f.isolation as string,
    extraHosts: list('add-host'),
    ulimits: list('ulimit').map(parseUlimit),
    securityOpt: stringSlice(list('security-opt')),
    squash: f.squash as boolean,
  };
}

/** Every stored login, for X-Registry-Config (the daemon may pull any base image). */
async function registryConfig(ctx: CommandContext): Promise<string> {
  try {
    return registryConfigHeader(await (await ctx.config()).logins());
  } catch {
    return registryConfigHeader({});
  }
}

type Mode = 'quiet' | 'plain' | 'tty';

function outputMode(ctx: CommandContext): Mode {
  if (ctx.flags.quiet) return 'quiet';
  const progress = ctx.flags.progress as string;
  if (progress === 'tty') return 'tty';
  if (progress === 'auto' && ctx.host.stdout.isTTY) return 'tty';
  return 'plain';
}

/** Renders the daemon's stream; resolves with the image ID from `aux`, throws StatusError on `{"error"}`. */
async function showBuild(ctx: CommandContext, body: ReadableStream<Uint8Array>, mode: Mode, held: Held): Promise<string> {
  let imageID = '';
  const onAux = (aux: unknown) => {
    const id = (aux as { ID?: unknown } | null)?.ID;
    if (typeof id === 'string') imageID = id;
  };
  const tty = ctx.host.stdout.isTTY;
  const width = () => ctx.host.terminalWidth() ?? 80;
  const renderer = new JSONMessageRenderer({ isTerminal: mode !== 'plain' && tty, width: tty ? width() : 200, now: ctx.now });
  const view = mode === 'tty' ? new StepView({ width, now: () => ctx.now().getTime() }) : undefined;
  const write = mode === 'quiet' ? held.write : (s: string) => ctx.out(s);
  let writing = Promise.resolve();
  const tick = view ? setInterval(() => { const s = view.tick(); if (s) writing = writing.then(() => write(s)); }, 250) : undefined;
  try {
    for await (const jm of decodeJSONStream(body) as AsyncGenerator<JSONMessage>) {
      await writing;
      if (jm.aux !== undefined) {
        onAux(jm.aux);
        continue;
      }
      if (jm.errorDetail || jm.error) {
        if (view) await write(view.finish(true));
        const message = jm.errorDetail?.message ?? jm.error ?? '';
        const code = jm.errorDetail?.code || 1;
        throw new StatusError(message, code);
      }
      const text = view ? view.message(jm) : renderer.render(jm);
      if (text) await write(text);
    }
    if (view) {
      await writing;
      const rest = view.finish(false);
      if (rest) await write(rest);
    }
  } finally {
    if (tick !== undefined) clearInterval(tick);
    await writing;
  }
  return mode === 'quiet' ? held.text : imageID;
}

/** The context stream, remembering why it failed if it does. */
function watchContext(source: ReadableStream<Uint8Array>): { stream: ReadableStream<Uint8Array>; error(): unknown } {
  let failure: unknown;
  const reader = source.getReader();
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done, value } = await reader.read();
        if (done) controller.close();
        else controller.enqueue(value);
      } catch (e) {
        failure = e;
        controller.error(e);
      }
    },
    cancel: (reason) => reader.cancel(reason),
  }, { highWaterMark: 0 });
  return { stream, error: () => failure };
}

async function runBuild(ctx: CommandContext): Promise<void> {
  const specified = ctx.args[0]!;
  const dockerfileFlag = ctx.flags.file as string;
  if (dockerfileFlag === '-' && specified === '-') {
    throw new BerthError('invalid_argument', "invalid argument: can't use stdin for both build context and dockerfile");
  }
  const options = requestOptions(ctx);
  const mode = outputMode(ctx);
  const progressHeld = new Held();
  const buildHeld = new Held();
  const iidfile = ctx.flags.iidfile as string;
  if (iidfile) {
    // No stale ID may be left behind if this build fails.
    try {
      await ctx.host.localTree?.remove(iidfile);
    } catch (e) {
      throw new BerthError('invalid_argument', `Removing image ID file: ${(e as Error).message}`);
    }
  }
  if (ctx.flags.squash) {
    const api = await ctx.api();
    if (api.pingHeaders?.get('docker-experimental') !== 'true') {
      throw new StatusError('"--squash" is only supported on a Docker daemon with experimental features enabled', 1);
    }
  }
  const prepared = await prepareContext(ctx, specified, dockerfileFlag);
  const watched = watchContext(prepared.body);
  let body = watched.stream;
  if (ctx.flags.compress) body = body.pipeThrough(new CompressionStream('gzip') as unknown as TransformStream<Uint8Array, Uint8Array>);
  const writeProgress = mode === 'quiet' ? progressHeld.write : (s: string) => ctx.out(s);
  body = body.pipeThrough(uploadProgress({ isTerminal: ctx.host.stdout.isTTY, write: writeProgress }));

  const api = await ctx.api();
  const config = await ctx.config().catch(() => undefined);
  options.dockerfile = prepared.dockerfile;
  options.buildArgs = withProxyArgs(options.buildArgs, config?.data.proxies as Record<string, ProxyConfig> | undefined, api.address);
  let res: Response;
  try {
    res = await api.request('POST', '/build', {
      query: buildQuery(options),
      headers: { 'Content-Type': 'application/x-tar', 'X-Registry-Config': await registryConfig(ctx) },
      body,
    });
  } catch (e) {
    if (mode === 'quiet' && progressHeld.text) await ctx.err(progressHeld.text);
    // A context that broke mid-way (a file changed while it was read) ends the upload: say so, not "cannot connect".
    if (watched.error() !== undefined) throw new BerthError('invalid_argument', `error sending the build context: ${(watched.error() as Error).message ?? watched.error()}`);
    throw e;
  }
  let imageID: string;
  try {
    imageID = res.body ? await showBuild(ctx, res.body, mode, buildHeld) : '';
  } catch (e) {
    if (mode === 'quiet' && e instanceof StatusError) await ctx.err(progressHeld.text + buildHeld.text);
    throw e;
  }
  if (mode === 'quiet') await ctx.out(imageID);
  if (iidfile) {
    if (!imageID) throw new BerthError('invalid_argument', `Server did not provide an image ID. Cannot write ${iidfile}`);
    await ctx.host.files.writeText(iidfile, imageID, 0o666);
  }
}

function buildCommand(): Command {
  return {
    name: 'build',
    use: '[OPTIONS] PATH | URL | -',
    short: 'Build an image from a Dockerfile',
    aliasesHelp: 'berth image build, berth build',
    args: { exact: 1 },
    category: 'common',
    flags: buildFlags(),
    run: async (ctx) => { await runBuild(ctx); },
  };
}

export const buildCmd = (): Command => buildCommand();
export const imageBuildCmd = (): Command => buildCommand();
