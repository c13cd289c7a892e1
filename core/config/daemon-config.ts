// The daemon's configuration: a dockerd-style daemon.json merged with command-line flags, with
// dockerd's rules and messages (daemon/config/config.go): unknown keys are an error, and so is a
// setting given both as a flag and in the file.
import { BerthError } from '../errors.ts';
import { RegistryConfig } from './registry-config.ts';

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'panic';
// logrus's levels, which dockerd accepts (`warning` is logrus's alias for warn).
const LOG_LEVELS = new Set(['trace', 'debug', 'info', 'warn', 'warning', 'error', 'fatal', 'panic']);

export interface DaemonConfig {
  dataRoot: string;
  execRoot: string;
  /** Normalized listen addresses: `unix:///run/berth/berth.sock`, `tcp://localhost:2375`, `fd://`. */
  hosts: string[];
  /** Validated entries (schemes dropped, CIDRs canonical). */
  insecureRegistries: string[];
  /** Validated mirror URLs, each ending in `/`. */
  registryMirrors: string[];
  logLevel: LogLevel;
  pidfile: string;
  debug: boolean;
  /** The Linux bridge of the default `bridge` network (dockerd's `--bridge`). */
  bridge: string;
  /** The default bridge's address and prefix (dockerd's `--bip`); empty: a free default pool subnet. */
  bip: string;
}

/** Linux defaults (the browser host passes its own). */
export const DEFAULT_DAEMON_CONFIG: Readonly<DaemonConfig> = Object.freeze({
  dataRoot: '/var/lib/berth',
  execRoot: '/var/run/berth',
  hosts: ['unix:///run/berth/berth.sock'],
  insecureRegistries: [],
  registryMirrors: [],
  logLevel: 'info',
  pidfile: '/var/run/berthd.pid',
  debug: false,
  bridge: 'berth0',
  bip: '',
});

type Kind = 'string' | 'string[]' | 'boolean';

interface Option {
  /** The key in daemon.json. */
  key: string;
  field: keyof DaemonConfig;
  kind: Kind;
}

/**
 * The keys daemon.json may hold. Flags are passed to mergeDaemonConfig under these same keys
 * (`--insecure-registry` -> `insecure-registries`, `-H` -> `hosts`), which is how dockerd's named
 * options pair a flag with its file key.
 */
export const DAEMON_OPTIONS: readonly Option[] = [
  { key: 'bip', field: 'bip', kind: 'string' },
  { key: 'bridge', field: 'bridge', kind: 'string' },
  { key: 'data-root', field: 'dataRoot', kind: 'string' },
  { key: 'debug', field: 'debug', kind: 'boolean' },
  { key: 'exec-root', field: 'execRoot', kind: 'string' },
  { key: 'hosts', field: 'hosts', kind: 'string[]' },
  { key: 'insecure-registries', field: 'insecureRegistries', kind: 'string[]' },
  { key: 'log-level', field: 'logLevel', kind: 'string' },
  { key: 'pidfile', field: 'pidfile', kind: 'string' },
  { key: 'registry-mirrors', field: 'registryMirrors', kind: 'string[]' },
];
const BY_KEY = new Map(DAEMON_OPTIONS.map((o) => [o.key, o]));

/** Settings by daemon.json key, as read from the file or given as flags. */
export type DaemonSettings = Record<string, unknown>;

function invalid(message: string): BerthError {
  return new BerthError('invalid_argument', message);
}

// Go's %v, which dockerd uses to print both sides of a conflict.
function goValue(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(goValue).join(' ')}]`;
  if (v !== null && typeof v === 'object') return `map[${Object.entries(v).map(([k, x]) => `${k}:${goValue(x)}`).join(' ')}]`;
  return String(v);
}

const GO_TYPE: Record<Kind, string> = { 'string': 'string', 'boolean': 'bool', 'string[]': '[]string' };

function jsonKind(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'boolean') return 'bool';
  return typeof v;
}

// Worded as Go's encoding/json, which is what dockerd reports for a value of the wrong type.
function typeError(o: Option, v: unknown): string | undefined {
  if (v === null) return undefined; // JSON null leaves a Go field at its zero value
  const field = `Go struct field Config.${o.key}`;
  if (o.kind === 'string[]') {
    if (!Array.isArray(v)) return `json: cannot unmarshal ${jsonKind(v)} into ${field} of type []string`;
    const bad = v.find((s) => typeof s !== 'string');
    return bad === undefined ? undefined : `json: cannot unmarshal ${jsonKind(bad)} into ${field} of type string`;
  }
  const ok = o.kind === 'string' ? typeof v === 'string' : typeof v === 'boolean';
  return ok ? undefined : `json: cannot unmarshal ${jsonKind(v)} into ${field} of type ${GO_TYPE[o.kind]}`;
}

function fileError(path: string | undefined, message: string): BerthError {
  return invalid(path === undefined ? message : `unable to configure the daemon with file ${path}: ${message}`);
}

/**
 * Parses daemon.json text into settings, rejecting what is not a JSON object and unknown keys, with
 * dockerd's messages. `path` names the file in messages. Value types are checked by mergeDaemonConfig,
 * after conflicts, in dockerd's order.
 */
export function parseDaemonConfigFile(text: string, path = 'daemon.json'): DaemonSettings {
  let doc: unknown;
  try {
    doc = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (e) {
    throw fileError(path, (e as Error).message);
  }
  if (doc === null) return {}; // Go decodes null into an empty map
  if (typeof doc !== 'object' || Array.isArray(doc)) {
    throw fileError(path, `json: cannot unmarshal ${jsonKind(doc)} into Go value of type map[string]interface {}`);
  }
  const settings = doc as DaemonSettings;
  const unknown = Object.keys(settings).filter((k) => !BY_KEY.has(k)).sort();
  if (unknown.length > 0) {
    throw fileError(path, `the following directives don't match any configuration option: ${unknown.join(', ')}`);
  }
  return settings;
}

/** Normalizes a listen address as dockerd's ParseHost does (an empty value means the default socket). */
export function normalizeDaemonHost(value: string, defaultUnixSocket: string = '/run/berth/berth.sock'): string {
  const v = value.trim();
  if (v === '') return `unix://${defaultUnixSocket}`;
  const sep = v.indexOf('://');
  const proto = sep < 0 ? 'tcp' : v.slice(0, sep);
  const rest = sep < 0 ? v : v.slice(sep + 3);
  switch (proto) {
    case 'unix':
      return `unix://${rest === '' ? defaultUnixSocket : rest}`;
    case 'fd':
    case 'ssh':
      return v;
    case 'tcp': {
      const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:/[\]]*))(?::([0-9]*))?\/?$/.exec(rest);
      if (!m) throw invalid(`invalid bind address format: ${value}`);
      const host = m[1] !== undefined ? `[${m[1]}]` : (m[2] || 'localhost');
      const port = m[3] || '2375';
      if (Number(port) > 65535) throw invalid(`invalid bind address format: ${value}`);
      return `tcp://${host}:${port}`;
    }
    default:
      throw invalid(`invalid bind address format: ${value}`);
  }
}

/**
 * Merges file settings with flag settings (both keyed by daemon.json keys) over `defaults`, and
 * validates the result. A key set both ways is an error, as in dockerd.
 */
export function mergeDaemonConfig(
  file: DaemonSettings,
  flags: DaemonSettings,
  options: { defaults?: Readonly<DaemonConfig>; path?: string } = {},
): { config: DaemonConfig; warnings: string[] } {
  const defaults = options.defaults ?? DEFAULT_DAEMON_CONFIG;
  const unknownFlags = Object.keys(flags).filter((k) => !BY_KEY.has(k)).sort();
  if (unknownFlags.length > 0) throw invalid(`unknown daemon options: ${unknownFlags.join(', ')}`);
  for (const [k, v] of Object.entries(flags)) {
    const problem = typeError(BY_KEY.get(k)!, v);
    if (problem) throw invalid(`invalid value for flag ${k}: ${problem}`);
  }
  const conflicts = Object.keys(flags).filter((k) => k in file).sort()
    .map((k) => `${k}: (from flag: ${goValue(flags[k])}, from file: ${goValue(file[k])})`);
  if (conflicts.length > 0) {
    throw fileError(options.path, `the following directives are specified both as a flag and in the configuration file: ${conflicts.join(', ')}`);
  }
  for (const k of Object.keys(file).sort()) {
    const o = BY_KEY.get(k);
    if (!o) throw fileError(options.path, `the following directives don't match any configuration option: ${k}`);
    const problem = typeError(o, file[k]);
    if (problem) throw fileError(options.path, problem);
  }

  const merged: Record<string, unknown> = { ...defaults, hosts: [...defaults.hosts] };
  for (const o of DAEMON_OPTIONS) {
    const v = o.key in flags ? flags[o.key] : file[o.key];
    if (v !== undefined && v !== null) merged[o.field] = v;
  }
  const config = merged as unknown as DaemonConfig;

  for (const key of ['data-root', 'exec-root', 'pidfile'] as const) {
    const field = BY_KEY.get(key)!.field;
    if (config[field] === '') throw invalid(`${key} must not be empty`);
  }
  // A Linux interface name: IFNAMSIZ (16) with its NUL, no '/', ':' or spaces.
  if (!/^[A-Za-z0-9_.-]{1,15}$/.test(config.bridge)) {
    throw invalid(`invalid bridge name ${JSON.stringify(config.bridge)}: a Linux interface name of 1 to 15 letters, digits, '_', '.' or '-'`);
  }
  if (config.bip && !/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/.test(config.bip)) {
    throw invalid(`invalid bip ${JSON.stringify(config.bip)}: expected the bridge's IPv4 address with its prefix length, e.g. 172.30.0.1/16`);
  }
  if (!LOG_LEVELS.has(config.logLevel)) throw invalid(`unable to parse logging level: ${config.logLevel}`);
  if ((config.logLevel as string) === 'warning') config.logLevel = 'warn';
  const defaultSocket = defaults.hosts[0]?.startsWith('unix://') ? defaults.hosts[0].slice(7) : undefined;
  config.hosts = config.hosts.length === 0 ? [...defaults.hosts] : config.hosts.map((h) => normalizeDaemonHost(h, defaultSocket));

  const registry = new RegistryConfig({ insecure: config.insecureRegistries, mirrors: config.registryMirrors });
  config.insecureRegistries = [...registry.insecure];
  config.registryMirrors = [...registry.mirrors];
  return { config, warnings: [...registry.warnings] };
}

/** The registry settings of a daemon configuration. */
export function registryConfigOf(config: DaemonConfig): RegistryConfig {
  return new RegistryConfig({ insecure: config.insecureRegistries, mirrors: config.registryMirrors });
}
