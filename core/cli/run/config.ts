// docker's opts.parse for `run` and `create`: the flags into the body of POST /containers/create
// (Config, HostConfig and NetworkingConfig, keys in the Go structs' order so the JSON reads as the
// docker CLI's), with the CLI-side checks and their texts.
import { FlagError, goQuote, type FlagValue } from '../flags.ts';
import { ramInBytes } from '../units.ts';
import { parseThrottleBps, parseThrottleIops, parseWeightDevice } from './blkio.ts';
import { DEVICE_CGROUP_RULE } from '../../runtime-spec/devices.ts';
import { parseGoDuration } from './duration.ts';
import { parseKeyValueFile } from './env-file.ts';
import { parseMount, type ApiMount } from './mounts.ts';
import { isMacAddress, networkEndpoints } from './network-opts.ts';
import { parseExpose, parsePortSpec, publishShortForm, type PortBinding } from './ports.ts';

/** A parse error that is not about one flag's value: `berth: MSG` + the run hint, exit 125. */
export class RunOptionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RunOptionError';
  }
}

export interface ParseContext {
  flags: Record<string, FlagValue>;
  changed: Set<string>;
  /** IMAGE [COMMAND] [ARG...] */
  args: string[];
  env: Record<string, string | undefined>;
  readFile(path: string): Promise<string | undefined>;
}

export interface ContainerCreate {
  name: string;
  platform: string;
  pull: 'missing' | 'always' | 'never';
  body: Record<string, unknown>;
}

const flagName = (long: string, short?: string) => (short ? `-${short}, --${long}` : `--${long}`);

function invalid(value: string, long: string, why: string, short?: string): FlagError {
  return new FlagError(`invalid argument ${goQuote(value)} for ${goQuote(flagName(long, short))} flag: ${why}`);
}

/** Go's big.Rat parse of `--cpus`, scaled to nano-CPUs. */
function parseNanoCpus(text: string): number {
  const bad = () => invalid(text, 'cpus', `failed to parse ${text} as a rational number`);
  let value: number;
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) value = Number(text);
  else {
    const m = /^([+-]?\d+)\/(\d+)$/.exec(text);
    if (!m || Number(m[2]) === 0) throw bad();
    value = Number(m[1]) / Number(m[2]);
  }
  const nano = value * 1e9;
  if (Math.abs(nano - Math.round(nano)) > 1e-6) throw invalid(text, 'cpus', 'value is too precise');
  return Math.round(nano);
}

const ULIMIT_NAMES = new Set(['as', 'core', 'cpu', 'data', 'fsize', 'locks', 'memlock', 'msgqueue', 'nice', 'nofile', 'nproc', 'rss', 'rtprio', 'rttime', 'sigpending', 'stack']);

/** units.ParseUlimit: `nofile=1024:2048`. */
export function parseUlimit(text: string): { Name: string; Hard: number; Soft: number } {
  const fail = (why: string) => invalid(text, 'ulimit', why);
  const eq = text.indexOf('=');
  if (eq < 0) throw fail(`invalid ulimit argument: ${text}`);
  const name = text.slice(0, eq);
  if (!ULIMIT_NAMES.has(name)) throw fail(`invalid ulimit type: ${name}`);
  const parts = text.slice(eq + 1).split(':');
  if (parts.length > 2) throw fail(`too many limit value arguments - ${text.slice(eq + 1)}, can only have up to two, \`soft[:hard]\``);
  const num = (s: string) => {
    if (!/^-?\d+$/.test(s)) throw fail(`strconv.ParseInt: parsing ${goQuote(s)}: invalid syntax`);
    return Number(s);
  };
  const soft = num(parts[0]!);
  const hard = parts.length === 2 ? num(parts[1]!) : soft;
  if (soft > hard) throw fail(`ulimit soft limit must be less than or equal to hard limit: ${soft} > ${hard}`);
  return { Name: name, Hard: hard, Soft: soft };
}

function durationFlag(ctx: ParseContext, long: string): number {
  const v = ctx.flags[long] as string;
  if (!ctx.changed.has(long)) return 0;
  try {
    return parseGoDuration(v);
  } catch (e) {
    throw invalid(v, long, (e as Error).message);
  }
}

/** The key=value list flags that become maps (labels, log options, sysctls), keys sorted as Go marshals maps. */
export function toMap(items: string[]): Record<string, string> {
  const m: Record<string, string> = {};
  for (const item of items) {
    const i = item.indexOf('=');
    if (i < 0) m[item] = '';
    else m[item.slice(0, i)] = item.slice(i + 1);
  }
  return sortKeys(m);
}

function normalizeCap(c: string): string {
  const u = c.toUpperCase();
  if (u === 'ALL') return u;
  return u.startsWith('CAP_') ? u : `CAP_${u}`;
}

/** opts.ValidateEnv: a bare KEY takes the client's value when it has one. */
function validateEnv(v: string, env: ParseContext['env']): string {
  const i = v.indexOf('=');
  const key = i < 0 ? v : v.slice(0, i);
  if (key === '') throw invalid(v, 'env', `invalid environment variable: ${v}`, 'e');
  if (i >= 0) return v;
  const found = env[key];
  return found !== undefined ? `${key}=${found}` : v;
}

async function readKVFiles(ctx: ParseContext, files: string[], lookup?: (k: string) => string | undefined): Promise<string[]> {
  const out: string[] = [];
  for (const f of files) {
    const text = await ctx.readFile(f);
    if (text === undefined) throw new RunOptionError(`open ${f}: no such file or directory`);
    out.push(...parseKeyValueFile(f, text, lookup));
  }
  return out;
}

/** Docker's `--security-opt seccomp=FILE` inlines the profile; other options pass through. */
async function securityOpts(ctx: ParseContext, opts: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const opt of opts) {
    if (opt === 'no-new-privileges') { out.push(opt); continue; }
    const sep = opt.includes('=') ? '=' : opt.includes(':') ? ':' : '';
    if (!sep) throw new RunOptionError(`Invalid --security-opt: ${goQuote(opt)}`);
    const key = opt.slice(0, opt.indexOf(sep));
    const value = opt.slice(opt.indexOf(sep) + 1);
    if (key === 'seccomp' && value !== 'unconfined' && value !== 'builtin') {
      const text = await ctx.readFile(value);
      if (text === undefined) throw new RunOptionError(`opening seccomp profile (${value}) failed: open ${value}: no such file or directory`);
      let compact: string;
      try { compact = JSON.stringify(JSON.parse(text)); } catch (e) { throw new RunOptionError(`compacting json for seccomp profile (${value}) failed: ${(e as Error).message}`); }
      out.push(`seccomp=${compact}`);
      continue;
    }
    out.push(opt);
  }
  return out;
}

function parseRestart(policy: string): { Name: string; MaximumRetryCount: number } {
  const i = policy.indexOf(':');
  const name = i < 0 ? policy : policy.slice(0, i);
  const count = i < 0 ? '' : policy.slice(i + 1);
  let n = 0;
  if (count !== '') {
    if (!/^[+-]?\d+$/.test(count)) throw new RunOptionError('invalid restart policy format: maximum retry count must be an integer');
    n = Number(count);
  }
  return { Name: name, MaximumRetryCount: n };
}

/** `-v SRC:DST[:OPTS]` goes to Binds; a lone path is an anonymous volume. */
function splitVolumes(specs: string[]): { binds: string[]; volumes: Record<string, object> } {
  const binds: string[] = [];
  const volumes: Record<string, object> = {};
  for (const spec of specs) {
    if (spec === '') throw new RunOptionError('invalid empty volume spec');
    const parts = spec.split(':');
    if (parts.length > 1 && parts[1] !== '/') binds.push(spec);
    else volumes[spec] = {};
  }
  return { binds, volumes };
}

/** docker's validDeviceMode: one to three of r, w, m, none twice. */
const validDeviceMode = (mode: string) => /^[rwm]{1,3}$/.test(mode) && new Set(mode).size === mode.length;

/** docker's validateLinuxPath for `--device`: `host[:container][:mode]`, an absolute container path, a valid mode. */
function validateDevice(spec: string): void {
  const split = spec.split(':');
  if (split.length > 3 || split[0] === '') throw new RunOptionError(`bad format for path: ${spec}`);
  if (split.length === 3 && !validDeviceMode(split[2]!)) throw new RunOptionError(`bad mode specified: ${split[2]}`);
  const containerPath = split.length === 1 || (split.length === 2 && validDeviceMode(split[1]!)) ? split[0]! : split[1]!;
  if (!containerPath.startsWith('/')) throw new RunOptionError(`${containerPath} is not an absolute path`);
}

function parseDevice(spec: string): { PathOnHost: string; PathInContainer: string; CgroupPermissions: string } {
  validateDevice(spec);
  const parts = spec.split(':');
  let perms = 'rwm';
  let dst = '';
  const src = parts[0]!;
  if (parts.length === 3) { dst = parts[1]!; perms = parts[2]!; }
  else if (parts.length === 2) {
    if (/^[rwm]+$/.test(parts[1]!)) perms = parts[1]!; else dst = parts[1]!;
  } else if (parts.length > 3) throw new RunOptionError(`invalid device specification: ${spec}`);
  if (!dst) dst = src;
  return { PathOnHost: src, PathInContainer: dst, CgroupPermissions: perms };
}

/** Parses run/create flags into the create request; `attachDefaults` is false for `create`. */
export async function parseContainerOptions(ctx: ParseContext, kind: 'run' | 'create'): Promise<ContainerCreate> {
  const f = ctx.flags;
  const str = (k: string) => (f[k] as string | undefined) ?? '';
  const list = (k: string) => (f[k] as string[] | undefined) ?? [];
  const num = (k: string) => (f[k] as number | undefined) ?? 0;
  const bool = (k: string) => (f[k] as boolean | undefined) ?? false;
  const [image, ...cmd] = ctx.args;

  // Attach streams: -a names them; otherwise stdout and stderr (and stdin with -i) unless detached.
  const attach = new Set<string>();
  for (const a of list('attach')) {
    const s = a.toLowerCase();
    if (!['stdin', 'stdout', 'stderr'].includes(s)) throw invalid(a, 'attach', 'valid streams are STDIN, STDOUT and STDERR', 'a');
    attach.add(s);
  }
  // The first check of docker's parse (the one above is pflag's, when -a is set).
  const mac = str('mac-address');
  if (mac && !isMacAddress(mac.trim())) throw new RunOptionError(`${mac} is not a valid mac address`);

  const detach = kind === 'run' && bool('detach');
  let attachStdin = attach.has('stdin');
  let attachStdout = attach.has('stdout');
  let attachStderr = attach.has('stderr');
  if (attach.size === 0 && !detach) {
    attachStdout = true;
    attachStderr = true;
    attachStdin = bool('interactive');
  }

  // Sizes that pflag reads as text here.
  let memorySwap = 0;
  const swap = str('memory-swap');
  if (swap) {
    if (swap === '-1') memorySwap = -1;
    else {
      try { memorySwap = ramInBytes(swap); } catch (e) { throw invalid(swap, 'memory-swap', (e as Error).message); }
    }
  }
  const nanoCpus = str('cpus') ? parseNanoCpus(str('cpus')) : 0;
  const blkio = <T>(long: string, parse: (v: string) => T): T[] => list(long).map((v) => {
    try { return parse(v); } catch (e) { throw invalid(v, long, (e as Error).message); }
  });

  // Ports.
  const exposed: Record<string, object> = {};
  const bindings: Record<string, PortBinding[]> = {};
  for (const raw of list('publish')) {
    let spec: string;
    try { spec = publishShortForm(raw); } catch (e) { throw new RunOptionError((e as Error).message); }
    let parsed;
    try { parsed = parsePortSpec(spec); } catch (e) { throw new RunOptionError((e as Error).message); }
    for (const { port, binding } of parsed) {
      exposed[port] = {};
      (bindings[port] ??= []).push(binding);
    }
  }
  for (const raw of list('expose')) {
    let ports;
    try { ports = parseExpose(raw); } catch (e) { throw new RunOptionError((e as Error).message); }
    for (const p of ports) exposed[p] = {};
  }

  const { binds, volumes } = splitVolumes(list('volume'));
  const mounts: ApiMount[] = list('mount').map((m) => {
    try { return parseMount(m); } catch (e) { throw invalid(m, 'mount', (e as Error).message); }
  });
  const tmpfs: Record<string, string> = {};
  for (const t of list('tmpfs')) {
    const i = t.indexOf(':');
    if (i < 0) tmpfs[t] = ''; else tmpfs[t.slice(0, i)] = t.slice(i + 1);
  }

  // Environment: files first, then -e, as ReadKVEnvStrings orders them.
  const lookup = (k: string) => ctx.env[k];
  const env = [...await readKVFiles(ctx, list('env-file'), lookup), ...list('env').map((e) => validateEnv(e, ctx.env))];
  for (const l of list('label')) {
    const k = l.split('=')[0]!;
    if (k.trim() === '') throw invalid(l, 'label', `invalid label '${l}': empty name`, 'l');
  }
  const labels = toMap([...await readKVFiles(ctx, list('label-file')), ...list('label')]);

  const ulimits = list('ulimit').map(parseUlimit);
  const logOpts = toMap(list('log-opt'));
  const sysctls = toMap(list('sysctl'));
  const annotations = toMap(list('annotation'));
  const storageOpt = toMap(list('storage-opt'));
  const security = await securityOpts(ctx, list('security-opt'));

  const restart = str('restart');
  if (bool('rm') && restart && restart !== 'no') throw new RunOptionError('conflicting options: cannot specify both --restart and --rm');
  const restartPolicy = parseRestart(restart || 'no');

  const pull = str('pull') || 'missing';
  if (!['missing', 'always', 'never'].includes(pull)) {
    throw new RunOptionError(`invalid pull option: '${pull}': must be one of "always", "missing" or "never"`);
  }

  // Health check: any --health-* flag builds one; --no-healthcheck disables the image's.
  let healthcheck: Record<string, unknown> | undefined;
  const interval = durationFlag(ctx, 'health-interval');
  const timeout = durationFlag(ctx, 'health-timeout');
  const startPeriod = durationFlag(ctx, 'health-start-period');
  const startInterval = durationFlag(ctx, 'health-start-interval');
  const retries = num('health-retries');
  const haveHealth = str('health-cmd') !== '' || interval !== 0 || timeout !== 0 || startPeriod !== 0 || startInterval !== 0 || retries !== 0;
  if (bool('no-healthcheck')) {
    if (haveHealth) throw new RunOptionError('--no-healthcheck conflicts with --health-* options');
    healthcheck = { Test: ['NONE'] };
  } else if (haveHealth) {
    for (const [name, v] of [['interval', interval], ['timeout', timeout], ['start-period', startPeriod], ['start-interval', startInterval]] as const) {
      if (v < 0) throw new RunOptionError(`--health-${name} cannot be negative`);
    }
    if (retries < 0) throw new RunOptionError('--health-retries cannot be negative');
    healthcheck = {};
    if (str('health-cmd')) healthcheck.Test = ['CMD-SHELL', str('health-cmd')];
    if (interval) healthcheck.Interval = interval;
    if (timeout) healthcheck.Timeout = timeout;
    if (startPeriod) healthcheck.StartPeriod = startPeriod;
    if (startInterval) healthcheck.StartInterval = startInterval;
    if (retries) healthcheck.Retries = retries;
  }

  // Config, in container.Config's field order.
  const config: Record<string, unknown> = {
    Hostname: str('hostname'),
    Domainname: str('domainname'),
    User: str('user'),
    AttachStdin: attachStdin,
    AttachStdout: attachStdout,
    AttachStderr: attachStderr,
  };
  if (Object.keys(exposed).length) config.ExposedPorts = sortKeys(exposed);
  config.Tty = bool('tty');
  config.OpenStdin = bool('interactive');
  // run closes the container's stdin when its client's stdin ends; create leaves that to attach.
  config.StdinOnce = kind === 'run' && attachStdin && bool('interactive');
  config.Env = env.length ? env : null;
  config.Cmd = cmd.length ? cmd : null;
  if (healthcheck) config.Healthcheck = healthcheck;
  config.Image = image;
  config.Volumes = volumes;
  config.WorkingDir = str('workdir');
  config.Entrypoint = ctx.changed.has('entrypoint') ? [str('entrypoint')] : null;
  config.OnBuild = null;
  config.Labels = labels;
  if (str('stop-signal')) config.StopSignal = str('stop-signal');
  if (ctx.changed.has('stop-timeout')) config.StopTimeout = num('stop-timeout');

  const orNull = <T>(a: T[]) => (a.length ? a : null);
  const hostConfig: Record<string, unknown> = {
    Binds: orNull(binds),
    ContainerIDFile: str('cidfile'),
    LogConfig: { Type: str('log-driver'), Config: logOpts },
    NetworkMode: '',
    PortBindings: sortKeys(bindings),
    RestartPolicy: restartPolicy,
    AutoRemove: bool('rm'),
    VolumeDriver: str('volume-driver'),
    VolumesFrom: orNull(list('volumes-from')),
    ConsoleSize: [0, 0],
  };
  if (Object.keys(annotations).length) hostConfig.Annotations = annotations;
  Object.assign(hostConfig, {
    CapAdd: orNull(list('cap-add').map(normalizeCap)),
    CapDrop: orNull(list('cap-drop').map(normalizeCap)),
    CgroupnsMode: str('cgroupns'),
    Dns: list('dns'),
    DnsOptions: list('dns-option'),
    DnsSearch: list('dns-search'),
    ExtraHosts: orNull(list('add-host')),
    GroupAdd: orNull(list('group-add')),
    IpcMode: str('ipc'),
    Cgroup: '',
    Links: orNull(list('link')),
    OomScoreAdj: num('oom-score-adj'),
    PidMode: str('pid'),
    Privileged: bool('privileged'),
    PublishAllPorts: bool('publish-all'),
    ReadonlyRootfs: bool('read-only'),
    SecurityOpt: orNull(security),
  });
  if (Object.keys(storageOpt).length) hostConfig.StorageOpt = storageOpt;
  if (Object.keys(tmpfs).length) hostConfig.Tmpfs = tmpfs;
  hostConfig.UTSMode = str('uts');
  hostConfig.UsernsMode = str('userns');
  hostConfig.ShmSize = num('shm-size');
  if (Object.keys(sysctls).length) hostConfig.Sysctls = sysctls;
  if (str('runtime')) hostConfig.Runtime = str('runtime');
  Object.assign(hostConfig, {
    Isolation: str('isolation'),
    CpuShares: num('cpu-shares'),
    Memory: num('memory'),
    NanoCpus: nanoCpus,
    CgroupParent: str('cgroup-parent'),
    BlkioWeight: num('blkio-weight'),
    BlkioWeightDevice: blkio('blkio-weight-device', parseWeightDevice),
    BlkioDeviceReadBps: blkio('device-read-bps', parseThrottleBps),
    BlkioDeviceWriteBps: blkio('device-write-bps', parseThrottleBps),
    BlkioDeviceReadIOps: blkio('device-read-iops', parseThrottleIops),
    BlkioDeviceWriteIOps: blkio('device-write-iops', parseThrottleIops),
    CpuPeriod: num('cpu-period'),
    CpuQuota: num('cpu-quota'),
    CpuRealtimePeriod: num('cpu-rt-period'),
    CpuRealtimeRuntime: num('cpu-rt-runtime'),
    CpusetCpus: str('cpuset-cpus'),
    CpusetMems: str('cpuset-mems'),
    Devices: list('device').map(parseDevice),
    DeviceCgroupRules: orNull(list('device-cgroup-rule').map((rule) => {
      if (!DEVICE_CGROUP_RULE.test(rule)) throw invalid(rule, 'device-cgroup-rule', `invalid device cgroup format '${rule}'`);
      return rule;
    })),
    DeviceRequests: null,
  });
  if (num('kernel-memory')) hostConfig.KernelMemory = num('kernel-memory');
  Object.assign(hostConfig, {
    MemoryReservation: num('memory-reservation'),
    MemorySwap: memorySwap,
    MemorySwappiness: num('memory-swappiness'),
    OomKillDisable: bool('oom-kill-disable'),
    PidsLimit: num('pids-limit'),
    Ulimits: ulimits,
    CpuCount: num('cpu-count'),
    CpuPercent: num('cpu-percent'),
    IOMaximumIOps: num('io-maxiops'),
    IOMaximumBandwidth: num('io-maxbandwidth'),
  });
  if (mounts.length) hostConfig.Mounts = mounts;
  hostConfig.MaskedPaths = null;
  hostConfig.ReadonlyPaths = null;
  if (ctx.changed.has('init')) hostConfig.Init = bool('init');
  config.HostConfig = hostConfig;

  // Networks last, as docker's parse ends with them (their errors come after the others').
  let network: ReturnType<typeof networkEndpoints>;
  try {
    network = networkEndpoints(list('network'), {
      aliases: list('network-alias'), links: list('link'), ipv4: str('ip'), ipv6: str('ip6'),
      linkLocalIPs: list('link-local-ip'), macAddress: mac,
    });
  } catch (e) {
    throw new RunOptionError((e as Error).message);
  }
  hostConfig.NetworkMode = network.mode;
  config.NetworkingConfig = { EndpointsConfig: network.endpoints };

  return { name: str('name'), platform: str('platform'), pull: pull as ContainerCreate['pull'], body: config };
}

/** Go marshals maps with sorted keys. */
export function sortKeys<T>(m: Record<string, T>): Record<string, T> {
  const out: Record<string, T> = {};
  for (const k of Object.keys(m).sort()) out[k] = m[k]!;
  return out;
}
