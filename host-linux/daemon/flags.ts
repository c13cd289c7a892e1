// berthd's command line, in dockerd's style: long and short flags, `--flag value` and
// `--flag=value`, repeatable list flags, and dockerd's words for mistakes.

export interface DaemonFlags {
  hosts: string[];
  dataRoot?: string;
  execRoot?: string;
  pidfile?: string;
  configFile?: string;
  insecureRegistries: string[];
  registryMirrors: string[];
  logLevel?: string;
  debug?: boolean;
  builtinImages?: string;
  bridge?: string;
  bip?: string;
  /** Verify API clients' certificates against tlscacert; required for tcp:// hosts. */
  tlsVerify?: boolean;
  tlsCaCert?: string;
  tlsCert?: string;
  tlsKey?: string;
  version: boolean;
  help: boolean;
  /** Flags given on the command line, by their long name: these override daemon.json. */
  given: Set<string>;
}

export class FlagError extends Error {}

interface FlagSpec { long: string; short?: string; kind: 'string' | 'list' | 'bool'; key: keyof DaemonFlags; help: string; value?: string }

const SPECS: FlagSpec[] = [
  { long: 'host', short: 'H', kind: 'list', key: 'hosts', value: 'list', help: 'Daemon socket(s) to connect to (default unix:///run/berth/berth.sock)' },
  { long: 'data-root', kind: 'string', key: 'dataRoot', value: 'string', help: 'Root directory of persistent berth state (default "/var/lib/berth")' },
  { long: 'exec-root', kind: 'string', key: 'execRoot', value: 'string', help: 'Root directory for execution state files (default "/run/berth")' },
  { long: 'pidfile', short: 'p', kind: 'string', key: 'pidfile', value: 'string', help: 'Path to use for daemon PID file (default "/run/berth/berthd.pid")' },
  { long: 'config-file', kind: 'string', key: 'configFile', value: 'string', help: 'Daemon configuration file (default "/etc/berth/daemon.json")' },
  { long: 'insecure-registry', kind: 'list', key: 'insecureRegistries', value: 'list', help: 'Enable insecure registry communication' },
  { long: 'registry-mirror', kind: 'list', key: 'registryMirrors', value: 'list', help: 'Preferred registry mirror' },
  { long: 'log-level', short: 'l', kind: 'string', key: 'logLevel', value: 'string', help: 'Set the logging level ("debug"|"info"|"warn"|"error"|"fatal") (default "info")' },
  { long: 'debug', short: 'D', kind: 'bool', key: 'debug', help: 'Enable debug mode' },
  { long: 'bridge', short: 'b', kind: 'string', key: 'bridge', value: 'string', help: 'Attach containers to a network bridge (default "berth0")' },
  { long: 'bip', kind: 'string', key: 'bip', value: 'string', help: 'Specify default-bridge IPv4 network' },
  { long: 'builtin-images', kind: 'string', key: 'builtinImages', value: 'string', help: "OCI layout directory of the built-in images (default: the bundle's build/images)" },
  { long: 'tlsverify', kind: 'bool', key: 'tlsVerify', help: 'Use TLS and verify the remote (required to listen on tcp://)' },
  { long: 'tlscacert', kind: 'string', key: 'tlsCaCert', value: 'string', help: 'Trust certs signed only by this CA (default "~/.docker/ca.pem")' },
  { long: 'tlscert', kind: 'string', key: 'tlsCert', value: 'string', help: 'Path to TLS certificate file (default "~/.docker/cert.pem")' },
  { long: 'tlskey', kind: 'string', key: 'tlsKey', value: 'string', help: 'Path to TLS key file (default "~/.docker/key.pem")' },
  { long: 'version', short: 'v', kind: 'bool', key: 'version', help: 'Print version information and quit' },
  { long: 'help', short: 'h', kind: 'bool', key: 'help', help: 'Print usage' },
];

const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'fatal'];

export function parseDaemonFlags(argv: string[]): DaemonFlags {
  const flags: DaemonFlags = { hosts: [], insecureRegistries: [], registryMirrors: [], version: false, help: false, given: new Set() };
  const rec = flags as unknown as Record<string, unknown>;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('-') || arg === '-') {
      throw new FlagError(`"berthd" accepts no arguments.\nSee 'berthd --help'.`);
    }
    let name: string;
    let inline: string | undefined;
    let spec: FlagSpec | undefined;
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
      inline = eq >= 0 ? arg.slice(eq + 1) : undefined;
      spec = SPECS.find((s) => s.long === name);
      if (!spec) throw new FlagError(`unknown flag: --${name}\nSee 'berthd --help'.`);
    } else {
      name = arg.slice(1, 2);
      const rest = arg.slice(2);
      spec = SPECS.find((s) => s.short === name);
      if (!spec) throw new FlagError(`unknown shorthand flag: '${name}' in ${arg}\nSee 'berthd --help'.`);
      if (rest) inline = rest.startsWith('=') ? rest.slice(1) : rest;
    }
    const label = spec.short ? `-${spec.short}, --${spec.long}` : `--${spec.long}`;
    if (spec.kind === 'bool') {
      const v = inline === undefined ? 'true' : inline;
      if (!['true', 'false', '1', '0'].includes(v)) {
        throw new FlagError(`invalid argument "${v}" for "${label}" flag: strconv.ParseBool: parsing "${v}": invalid syntax\nSee 'berthd --help'.`);
      }
      rec[spec.key] = v === 'true' || v === '1';
    } else {
      let v = inline;
      if (v === undefined) {
        if (i + 1 >= argv.length) throw new FlagError(`flag needs an argument: --${spec.long}\nSee 'berthd --help'.`);
        v = argv[++i]!;
      }
      if (spec.kind === 'list') (rec[spec.key] as string[]).push(v);
      else rec[spec.key] = v;
    }
    flags.given.add(spec.long);
  }
  if (flags.logLevel !== undefined && !LOG_LEVELS.includes(flags.logLevel)) {
    throw new FlagError(`invalid argument "${flags.logLevel}" for "-l, --log-level" flag: not a valid logrus Level: "${flags.logLevel}"\nSee 'berthd --help'.`);
  }
  return flags;
}

export function usage(): string {
  const lines = SPECS.map((s) => {
    const left = `${s.short ? `-${s.short}, ` : '    '}--${s.long}${s.value ? ` ${s.value}` : ''}`;
    return `  ${left.padEnd(34)}${s.help}`;
  });
  return `\nUsage:\tberthd [OPTIONS]\n\nA self-sufficient runtime for containers: berth's daemon, serving the Docker Engine API.\n\nOptions:\n${lines.join('\n')}\n`;
}
