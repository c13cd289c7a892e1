// Command-line flags parsed the way spf13/pflag (under cobra) parses them for the docker CLI, with
// its error texts, so that scripts written against docker see the same behaviour from berth.
import { ramInBytes } from './units.ts';

export type FlagKind = 'bool' | 'string' | 'int' | 'list' | 'filter' | 'bytes';

export interface FlagSpec {
  name: string;
  short?: string;
  kind: FlagKind;
  usage: string;
  /** Default value; its text is shown in help unless it is the zero value. */
  default?: string | boolean | number;
  hidden?: boolean;
  /** The value's type as help shows it when it is not the kind's (`decimal`, `duration`, `map`). */
  typeName?: string;
  /** The default as help shows it when the value is parsed later (`0s`, `[]`, `map[]`). */
  defaultText?: string;
  /**
   * Checks each value as it is set (a pflag Value's Set); what it throws becomes pflag's `invalid argument`
   * text. A string it returns is the value kept, as opts.ListOpts keeps what its validator returns.
   */
  check?(value: string): string | void;
  /** The flag whose value this one sets too (two names for one pflag Value, like --net and --network): order kept. */
  into?: string;
}

export type FlagValue = string | boolean | number | string[];

/** A usage error: the CLI prints it with the command's usage line and exits 125. */
export class FlagError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FlagError';
  }
}

export interface ParsedFlags {
  /** Every flag's value, defaults filled in, keyed by long name. */
  values: Record<string, FlagValue>;
  /** Long names of the flags the user set. */
  changed: Set<string>;
  args: string[];
}

/** pflag's type names, as printed in help and in value errors. */
const TYPE_NAMES: Record<FlagKind, string> = {
  bool: '', string: 'string', int: 'int', list: 'list', filter: 'filter', bytes: 'bytes',
};

function zeroValue(kind: FlagKind): FlagValue {
  switch (kind) {
    case 'bool': return false;
    case 'int': case 'bytes': return 0;
    case 'list': case 'filter': return [];
    default: return '';
  }
}

export function defaultValue(spec: FlagSpec): FlagValue {
  if (spec.default === undefined) return zeroValue(spec.kind);
  return spec.default;
}

function flagDisplayName(spec: FlagSpec): string {
  return spec.short ? `-${spec.short}, --${spec.name}` : `--${spec.name}`;
}

/** Go's %q for the strings we quote in messages. */
export function goQuote(s: string): string {
  return JSON.stringify(s).replace(/\\u([0-9a-f]{4})/g, (m, hex: string) => {
    const code = parseInt(hex, 16);
    return code < 0x20 || code === 0x7f ? `\\x${hex.slice(2)}` : m;
  });
}

function parseBool(v: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(v)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(v)) return false;
  return undefined;
}

function convert(spec: FlagSpec, raw: string, current: FlagValue): FlagValue {
  const fail = (why: string): never => {
    throw new FlagError(`invalid argument ${goQuote(raw)} for ${goQuote(flagDisplayName(spec))} flag: ${why}`);
  };
  let value = raw;
  if (spec.check) {
    try { value = spec.check(raw) ?? raw; } catch (e) { fail((e as Error).message); }
  }
  switch (spec.kind) {
    case 'bool': {
      const b = parseBool(raw);
      if (b === undefined) fail(`strconv.ParseBool: parsing ${goQuote(raw)}: invalid syntax`);
      return b as boolean;
    }
    case 'int': {
      if (!/^[+-]?\d+$/.test(raw)) fail(`strconv.ParseInt: parsing ${goQuote(raw)}: invalid syntax`);
      return Number(raw);
    }
    case 'bytes': {
      try {
        return ramInBytes(raw);
      } catch (e) {
        return fail((e as Error).message);
      }
    }
    case 'filter': {
      if (!value.includes('=')) fail('bad format of filter (expected name=value)');
      return [...(current as string[]), value];
    }
    case 'list':
      return [...(current as string[]), value];
    default:
      return value;
  }
}

export interface ParseOptions {
  /** false stops at the first argument (commands that take a command line, like run and exec). */
  interspersed?: boolean;
}

/**
 * Parses argv against specs. `-h`/`--help` are reported as the value `help` when the specs do not
 * define them, as cobra does.
 */
export function parseFlags(specs: FlagSpec[], argv: string[], opts: ParseOptions = {}): ParsedFlags {
  const interspersed = opts.interspersed ?? true;
  const byName = new Map<string, FlagSpec>();
  const byShort = new Map<string, FlagSpec>();
  const all = [...specs];
  if (!specs.some((s) => s.name === 'help')) {
    all.push({ name: 'help', short: specs.some((s) => s.short === 'h') ? undefined : 'h', kind: 'bool', usage: 'Print usage', hidden: true });
  }
  for (const s of all) {
    byName.set(s.name, s);
    if (s.short) byShort.set(s.short, s);
  }
  const values: Record<string, FlagValue> = {};
  for (const s of all) values[s.name] = defaultValue(s);
  const changed = new Set<string>();
  const args: string[] = [];
  const set = (spec: FlagSpec, raw: string) => {
    const target = (spec.into && byName.get(spec.into)) || spec;
    // Repeatable flags start from empty when first set, replacing their default.
    const current = changed.has(target.name) ? values[target.name]! : zeroValue(target.kind);
    values[target.name] = convert(spec, raw, current);
    changed.add(target.name);
    changed.add(spec.name);
  };

  let i = 0;
  while (i < argv.length) {
    const a = argv[i]!;
    i++;
    if (a === '--') {
      args.push(...argv.slice(i));
      break;
    }
    if (a.length < 2 || a[0] !== '-') {
      args.push(a);
      if (!interspersed) {
        args.push(...argv.slice(i));
        break;
      }
      continue;
    }
    if (a.startsWith('--')) {
      const body = a.slice(2);
      const eq = body.indexOf('=');
      const name = eq >= 0 ? body.slice(0, eq) : body;
      if (name.length === 0 || name.startsWith('-') || name.startsWith('=')) throw new FlagError(`bad flag syntax: ${a}`);
      const spec = byName.get(name);
      if (!spec) throw new FlagError(`unknown flag: --${name}`);
      if (eq >= 0) set(spec, body.slice(eq + 1));
      else if (spec.kind === 'bool') set(spec, 'true');
      else if (i < argv.length) set(spec, argv[i++]!);
      else throw new FlagError(`flag needs an argument: --${name}`);
      continue;
    }
    // One or more shorthands: -a, -aq, -fvalue, -f value, -f=value.
    let shorthands = a.slice(1);
    while (shorthands.length > 0) {
      const c = shorthands[0]!;
      const spec = byShort.get(c);
      if (!spec) throw new FlagError(`unknown shorthand flag: '${c}' in -${shorthands}`);
      if (shorthands.length > 2 && shorthands[1] === '=') {
        set(spec, shorthands.slice(2));
        shorthands = '';
      } else if (spec.kind === 'bool') {
        set(spec, 'true');
        shorthands = shorthands.slice(1);
      } else if (shorthands.length > 1) {
        set(spec, shorthands.slice(1));
        shorthands = '';
      } else if (i < argv.length) {
        set(spec, argv[i++]!);
        shorthands = '';
      } else {
        throw new FlagError(`flag needs an argument: '${c}' in -${shorthands}`);
      }
    }
  }
  return { values, changed, args };
}

function defaultIsZero(spec: FlagSpec): boolean {
  const d = spec.default;
  if (d === undefined) return true;
  if (spec.kind === 'bool') return d === false;
  if (spec.kind === 'int' || spec.kind === 'bytes') return d === 0;
  return d === '';
}

// pflag's wrapN/wrap: words wrap at `w` columns with the continuation indented by `i`.
function wrapN(i: number, slop: number, s: string): [string, string] {
  if (i + slop > s.length) return [s, ''];
  const head = s.slice(0, i);
  const w = Math.max(head.lastIndexOf(' '), head.lastIndexOf('\t'), head.lastIndexOf('\n'));
  if (w <= 0) return [s, ''];
  const nl = head.lastIndexOf('\n');
  if (nl > 0 && nl < w) return [s.slice(0, nl), s.slice(nl + 1)];
  return [s.slice(0, w), s.slice(w + 1)];
}

function wrap(indent: number, width: number, s: string): string {
  if (width === 0) return s.replaceAll('\n', '\n' + ' '.repeat(indent));
  let room = width - indent;
  let r = '';
  if (room < 24) {
    indent = 16;
    room = width - indent;
    r += '\n' + ' '.repeat(indent);
  }
  if (room < 24) return s.replaceAll('\n', r);
  const slop = 5;
  room -= slop;
  let l: string;
  [l, s] = wrapN(room, slop, s);
  const pad = ' '.repeat(indent);
  r += l.replaceAll('\n', '\n' + pad);
  while (s !== '') {
    let t: string;
    [t, s] = wrapN(room, slop, s);
    r += '\n' + pad + t.replaceAll('\n', '\n' + pad);
  }
  return r;
}

/** The Options block of help, as pflag's FlagUsagesWrapped(cols) lays it out. */
export function flagUsages(specs: FlagSpec[], cols: number): string {
  const lines: string[] = [];
  let maxlen = 0;
  // pflag lists flags sorted by name.
  const sorted = [...specs].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const spec of sorted) {
    if (spec.hidden) continue;
    let line = spec.short ? `  -${spec.short}, --${spec.name}` : `      --${spec.name}`;
    const typeName = spec.typeName ?? TYPE_NAMES[spec.kind];
    if (typeName) line += ' ' + typeName;
    line += '\x00';
    if (line.length > maxlen) maxlen = line.length;
    line += spec.usage;
    if (spec.defaultText !== undefined) {
      line += ` (default ${spec.defaultText})`;
    } else if (!defaultIsZero(spec)) {
      line += spec.kind === 'string' ? ` (default ${goQuote(String(spec.default))})` : ` (default ${String(spec.default)})`;
    }
    lines.push(line);
  }
  let out = '';
  for (const line of lines) {
    const sidx = line.indexOf('\x00');
    out += `${line.slice(0, sidx)} ${' '.repeat(maxlen - sidx)} ${wrap(maxlen + 2, cols, line.slice(sidx + 1))}\n`;
  }
  return out;
}
