// Typed instructions and build stages from the parser's nodes (BuildKit's instructions.Parse): each
// instruction's flags and arguments checked with BuildKit's error texts. Words stay as written: the
// builder expands variables (expansion.ts) in the instructions and flags that expand.
import { BerthError } from '../../errors.ts';
import { InstructionFlags } from './flags.ts';
import { parseGoDuration } from '../../cli/run/duration.ts';
import { parseHeredoc } from './heredoc.ts';
import { DockerfileParseError, heredocContent, type Heredoc, type Node, type ParseResult } from './parser.ts';
import {
  checkRunMount, parseNetworkMode, parseSecurityMode, type NetworkMode, type SecurityMode,
} from './run-mount.ts';
import { withSuggestion } from './suggest.ts';

export interface Location {
  startLine: number;
  endLine: number;
}

interface Base {
  /** The logical line as written (continuations joined). */
  original: string;
  location: Location;
}

export interface KeyValue { key: string; value: string }
export interface ArgDefinition { key: string; value?: string }

/** A file written from a heredoc: COPY/ADD sources, RUN's inline scripts. */
export interface InlineFile {
  /** The heredoc's terminator word (COPY uses it as the source's file name). */
  name: string;
  /** `<<-` tabs already stripped. */
  data: string;
  /** False for a quoted terminator: no variable expansion in the body. */
  expand: boolean;
  chomp: boolean;
  fileDescriptor: number;
}

/** RUN, CMD, ENTRYPOINT: the exec-form words, or for shell form one string the SHELL runs. */
export interface CommandLine {
  cmdLine: string[];
  /** Shell form: the builder prepends the stage's SHELL. */
  prependShell: boolean;
}

export interface EnvInstruction extends Base { kind: 'env'; env: KeyValue[] }
export interface LabelInstruction extends Base { kind: 'label'; labels: KeyValue[] }
export interface MaintainerInstruction extends Base { kind: 'maintainer'; maintainer: string }
export interface ArgInstruction extends Base {
  kind: 'arg';
  args: ArgDefinition[];
  /** `--required`: the build fails unless a value is given with --build-arg. */
  required: boolean;
}
export interface WorkdirInstruction extends Base { kind: 'workdir'; path: string }
export interface UserInstruction extends Base { kind: 'user'; user: string }
export interface ExposeInstruction extends Base { kind: 'expose'; ports: string[] }
export interface VolumeInstruction extends Base { kind: 'volume'; volumes: string[] }
export interface StopSignalInstruction extends Base { kind: 'stopsignal'; signal: string }
export interface ShellInstruction extends Base { kind: 'shell'; shell: string[] }
export interface CmdInstruction extends Base, CommandLine { kind: 'cmd'; files: InlineFile[] }
export interface EntrypointInstruction extends Base, CommandLine { kind: 'entrypoint'; files: InlineFile[] }
/** The trigger is kept as text (the image config's OnBuild); it is parsed when a child image builds. */
export interface OnbuildInstruction extends Base { kind: 'onbuild'; expression: string }

export interface RunInstruction extends Base, CommandLine {
  kind: 'run';
  /** Heredoc bodies: with shell form the first is the script. */
  files: InlineFile[];
  /** `--mount=` values as written: the builder parses each with its expander (parseRunMount). */
  mountSpecs: string[];
  network: NetworkMode;
  security: SecurityMode;
}

export interface SourcesAndDest {
  /** Paths, globs, URLs, git addresses, as written. */
  sources: string[];
  /** Heredoc sources, in the order given. */
  sourceContents: InlineFile[];
  dest: string;
}

export interface CopyInstruction extends Base, SourcesAndDest {
  kind: 'copy';
  from: string;
  chown: string;
  chmod: string;
  link: boolean;
  parents: boolean;
  excludes: string[];
}

export interface AddInstruction extends Base, SourcesAndDest {
  kind: 'add';
  chown: string;
  chmod: string;
  link: boolean;
  keepGitDir: boolean;
  checksum: string;
  /** `--unpack`: undefined when not given (archives from the context unpack, from URLs do not). */
  unpack?: boolean;
  excludes: string[];
}

export interface HealthConfig {
  /** `['NONE']`, `['CMD', ...exec]` or `['CMD-SHELL', command]` (the image config's Healthcheck.Test). */
  test: string[];
  /** Nanoseconds; 0 = not set (inherit / Docker's default). */
  interval: number;
  timeout: number;
  startPeriod: number;
  startInterval: number;
  retries: number;
}
export interface HealthcheckInstruction extends Base { kind: 'healthcheck'; health: HealthConfig }

export type Instruction =
  | EnvInstruction | LabelInstruction | MaintainerInstruction | ArgInstruction | WorkdirInstruction
  | UserInstruction | ExposeInstruction | VolumeInstruction | StopSignalInstruction | ShellInstruction
  | CmdInstruction | EntrypointInstruction | OnbuildInstruction | RunInstruction | CopyInstruction
  | AddInstruction | HealthcheckInstruction;

export interface Stage {
  /** `AS` name, lower case; '' when unnamed (refer to it by index). */
  name: string;
  /** The image, `scratch`, or an earlier stage's name, as written (expand with the meta ARGs). */
  baseName: string;
  /** `--platform`, as written ('' when not given). */
  platform: string;
  original: string;
  location: Location;
  /** The comment lines right above FROM. */
  comments: string[];
  commands: Instruction[];
}

export interface Dockerfile {
  /** ARGs before the first FROM: only FROM lines see them (and stages that redeclare them). */
  metaArgs: ArgInstruction[];
  stages: Stage[];
}

const INSTRUCTION_NAMES = [
  'add', 'arg', 'cmd', 'copy', 'entrypoint', 'env', 'expose', 'from', 'healthcheck', 'label', 'maintainer',
  'onbuild', 'run', 'shell', 'stopsignal', 'user', 'volume', 'workdir',
];
const STAGE_NAME = /^[a-z][a-z0-9-_.]*$/;
const MINIMUM_DURATION = 1e6; // Docker's container.MinimumDuration, 1ms

/**
 * The stages and meta ARGs of a parsed Dockerfile. Errors are DockerfileParseError with BuildKit's
 * `dockerfile parse error on line N: ...`.
 */
export function parseInstructions(parsed: ParseResult | readonly Node[], file?: string): Dockerfile {
  const nodes = Array.isArray(parsed) ? (parsed as readonly Node[]) : (parsed as ParseResult).nodes;
  const metaArgs: ArgInstruction[] = [];
  const stages: Stage[] = [];
  for (const node of nodes) {
    const fail = (message: string): never => {
      throw new DockerfileParseError(message, node.startLine, node.endLine, file);
    };
    let parsedNode: Instruction | Stage;
    try {
      parsedNode = parseInstruction(node);
    } catch (e) {
      if (e instanceof BerthError && !(e instanceof DockerfileParseError)) fail(e.message);
      throw e;
    }
    // Duplicate stage names are the builder's business: BuildKit lints them, dockerd's builder refuses
    // them (`<name> stage name already used`).
    if ('baseName' in parsedNode) {
      stages.push(parsedNode);
    } else if (stages.length === 0) {
      if (parsedNode.kind !== 'arg') fail('no build stage in current context');
      metaArgs.push(parsedNode as ArgInstruction);
    } else {
      (stages[stages.length - 1] as Stage).commands.push(parsedNode);
    }
  }
  return { metaArgs, stages };
}

/** One node as a typed instruction, or a Stage for FROM. Throws BerthError with BuildKit's text (no line). */
export function parseInstruction(node: Node): Instruction | Stage {
  const flags = new InstructionFlags(node.flags);
  const base: Base = { original: node.original, location: { startLine: node.startLine, endLine: node.endLine } };
  const args = node.args;
  switch (node.value) {
    case 'from': return parseFrom(node, flags, base);
    case 'env': flags.parse(); return { kind: 'env', env: keyValues(args, 'ENV'), ...base };
    case 'label': flags.parse(); return { kind: 'label', labels: keyValues(args, 'LABEL'), ...base };
    case 'maintainer':
      exactlyOne(args, 'MAINTAINER');
      flags.parse();
      return { kind: 'maintainer', maintainer: args[0] as string, ...base };
    case 'arg': {
      atLeastOne(args, 'ARG');
      const required = flags.addBool('required');
      flags.parse();
      return { kind: 'arg', args: argDefinitions(args), required: required() || flags.isUsed('required'), ...base };
    }
    case 'workdir':
      exactlyOne(args, 'WORKDIR');
      flags.parse();
      return { kind: 'workdir', path: args[0] as string, ...base };
    case 'user':
      exactlyOne(args, 'USER');
      flags.parse();
      return { kind: 'user', user: args[0] as string, ...base };
    case 'stopsignal':
      // BuildKit never checks STOPSIGNAL's flags: they are ignored.
      exactlyOne(args, 'STOPSIGNAL');
      return { kind: 'stopsignal', signal: args[0] as string, ...base };
    case 'expose':
      atLeastOne(args, 'EXPOSE');
      flags.parse();
      return { kind: 'expose', ports: [...args].sort(), ...base };
    case 'volume': return parseVolume(node, flags, base);
    case 'shell': return parseShell(node, flags, base);
    case 'cmd': flags.parse(); return { kind: 'cmd', ...commandLine(node, false), files: inlineFiles(node), ...base };
    case 'entrypoint':
      flags.parse();
      return { kind: 'entrypoint', ...commandLine(node, true), files: inlineFiles(node), ...base };
    case 'run': return parseRun(node, flags, base);
    case 'copy': return parseCopy(node, flags, base);
    case 'add': return parseAdd(node, flags, base);
    case 'healthcheck': return parseHealthcheck(node, flags, base);
    case 'onbuild': return parseOnbuild(node, flags, base);
    default:
      throw invalid(withSuggestion(`unknown instruction: ${node.keyword}`, node.keyword, INSTRUCTION_NAMES, false));
  }
}

function parseFrom(node: Node, flags: InstructionFlags, base: Base): Stage {
  const args = node.args;
  let name = '';
  if (args.length === 3 && (args[1] as string).toLowerCase() === 'as') {
    name = (args[2] as string).toLowerCase();
    if (!STAGE_NAME.test(name)) {
      throw invalid(`invalid name for build stage: ${JSON.stringify(args[2])}, name can't start with a number or contain symbols`);
    }
  } else if (args.length !== 1) {
    throw invalid('FROM requires either one or three arguments');
  }
  const platform = flags.addString('platform');
  flags.parse();
  return {
    name, baseName: args[0] as string, platform: platform(), original: node.original.trim(), location: base.location,
    comments: node.comments, commands: [],
  };
}

function parseVolume(node: Node, flags: InstructionFlags, base: Base): VolumeInstruction {
  atLeastOne(node.args, 'VOLUME');
  flags.parse();
  const volumes = node.args.map((v) => v.trim());
  if (volumes.some((v) => v === '')) throw invalid('VOLUME specified can not be an empty string');
  return { kind: 'volume', volumes, ...base };
}

function parseShell(node: Node, flags: InstructionFlags, base: Base): ShellInstruction {
  flags.parse();
  const shell = jsonArgs(node);
  if (shell.length === 0) throw invalid('SHELL requires at least one argument');
  if (!node.json) throw invalid('SHELL requires the arguments to be in JSON form');
  return { kind: 'shell', shell, ...base };
}

function parseRun(node: Node, flags: InstructionFlags, base: Base): RunInstruction {
  const mounts = flags.addStrings('mount');
  const network = flags.addString('network', 'default');
  const security = flags.addString('security', 'sandbox');
  flags.parse();
  const mountSpecs = mounts();
  mountSpecs.forEach(checkRunMount);
  return {
    kind: 'run', ...commandLine(node, false), files: inlineFiles(node), mountSpecs,
    network: parseNetworkMode(network()), security: parseSecurityMode(security()), ...base,
  };
}

function parseCopy(node: Node, flags: InstructionFlags, base: Base): CopyInstruction {
  if (node.args.length < 2) throw noDestination('COPY');
  const from = flags.addString('from');
  const parents = flags.addBool('parents');
  const common = commonCopyFlags(flags);
  flags.parse();
  return { kind: 'copy', ...sourcesAndDest(node, 'COPY'), from: from(), ...common(), parents: parents(), ...base };
}

function parseAdd(node: Node, flags: InstructionFlags, base: Base): AddInstruction {
  if (node.args.length < 2) throw noDestination('ADD');
  const keepGitDir = flags.addBool('keep-git-dir');
  const checksum = flags.addString('checksum');
  const unpack = flags.addBool('unpack');
  const common = commonCopyFlags(flags);
  flags.parse();
  return {
    kind: 'add', ...sourcesAndDest(node, 'ADD'), ...common(), keepGitDir: keepGitDir(), checksum: checksum(),
    ...(flags.isUsed('unpack') ? { unpack: unpack() } : {}), ...base,
  };
}

/** The flags COPY and ADD share; read after flags.parse(). */
function commonCopyFlags(flags: InstructionFlags): () => { chown: string; chmod: string; link: boolean; excludes: string[] } {
  const chown = flags.addString('chown');
  const chmod = flags.addString('chmod');
  const link = flags.addBool('link');
  const excludes = flags.addStrings('exclude');
  return () => ({ chown: chown(), chmod: chmod(), link: link(), excludes: excludes() });
}

function parseHealthcheck(node: Node, flags: InstructionFlags, base: Base): HealthcheckInstruction {
  atLeastOne(node.args, 'HEALTHCHECK');
  const type = (node.args[0] as string).toUpperCase();
  const rest = node.args.slice(1);
  const health: HealthConfig = { test: [], interval: 0, timeout: 0, startPeriod: 0, startInterval: 0, retries: 0 };
  if (type === 'NONE') {
    if (rest.length !== 0) throw invalid('HEALTHCHECK NONE takes no arguments');
    health.test = ['NONE'];
    return { kind: 'healthcheck', health, ...base };
  }
  const interval = flags.addString('interval');
  const timeout = flags.addString('timeout');
  const startPeriod = flags.addString('start-period');
  const startInterval = flags.addString('start-interval');
  const retries = flags.addString('retries');
  flags.parse();
  if (type !== 'CMD') throw invalid(`Unknown type ${JSON.stringify(type)} in HEALTHCHECK (try CMD)`);
  const cmd = node.json ? rest : [rest.join(' ')];
  if (cmd.length === 0 || (!node.json && cmd[0] === '')) throw invalid('Missing command after HEALTHCHECK CMD');
  health.test = [node.json ? 'CMD' : 'CMD-SHELL', ...cmd];
  health.interval = healthInterval('interval', interval());
  health.timeout = healthInterval('timeout', timeout());
  health.startPeriod = healthInterval('start-period', startPeriod());
  health.startInterval = healthInterval('start-interval', startInterval());
  const r = retries();
  if (r !== '') {
    if (!/^[+-]?\d+$/.test(r) || Math.abs(Number(r)) > 2 ** 31 - 1) {
      throw invalid(`strconv.ParseInt: parsing ${JSON.stringify(r)}: ${/^[+-]?\d+$/.test(r) ? 'value out of range' : 'invalid syntax'}`);
    }
    health.retries = Number(r);
    if (health.retries < 0) throw invalid(`--retries cannot be negative (${health.retries})`);
  }
  return { kind: 'healthcheck', health, ...base };
}

function healthInterval(name: string, value: string): number {
  if (value === '') return 0;
  let ns: number;
  try {
    ns = parseGoDuration(value);
  } catch (e) {
    throw invalid((e as Error).message);
  }
  if (ns === 0) return 0;
  if (ns < MINIMUM_DURATION) throw invalid(`Interval ${JSON.stringify(name)} cannot be less than 1ms`);
  return ns;
}

function parseOnbuild(node: Node, flags: InstructionFlags, base: Base): OnbuildInstruction {
  const child = node.child;
  if (!child) throw invalid('ONBUILD requires at least one argument');
  flags.parse();
  const trigger = child.value.toUpperCase();
  if (trigger === 'ONBUILD') throw invalid('Chaining ONBUILD via `ONBUILD ONBUILD` isn\'t allowed');
  if (trigger === 'MAINTAINER' || trigger === 'FROM') throw invalid(`${trigger} isn't allowed as an ONBUILD trigger`);
  let expression = node.original.replace(/^\s*ONBUILD\s*/i, '');
  // The trigger is stored as text in the image config, so its heredoc bodies go with it.
  for (const h of node.heredocs) expression += `\n${h.content}${h.name}`;
  return { kind: 'onbuild', expression, ...base };
}

function commandLine(node: Node, emptyAsNil: boolean): CommandLine {
  const cmdLine = jsonArgs(node);
  return { cmdLine: emptyAsNil && node.json && cmdLine.length === 0 ? [] : cmdLine, prependShell: !node.json };
}

/** BuildKit's handleJSONArgs: exec form as is, shell form joined into one string. */
function jsonArgs(node: Node): string[] {
  return node.json ? [...node.args] : [node.args.join(' ')];
}

function inlineFiles(node: Node): InlineFile[] {
  return node.heredocs.map(inlineFile);
}

function inlineFile(h: Heredoc): InlineFile {
  return { name: h.name, data: heredocContent(h), expand: h.expand, chomp: h.chomp, fileDescriptor: h.fileDescriptor };
}

function sourcesAndDest(node: Node, instruction: string): SourcesAndDest {
  const dest = node.args[node.args.length - 1] as string;
  if (!node.json && parseHeredoc(dest)) throw invalid(`${instruction} cannot accept a heredoc as a destination`);
  const sources: string[] = [];
  const sourceContents: InlineFile[] = [];
  for (const src of node.args.slice(0, -1)) {
    const opener = node.json ? undefined : parseHeredoc(src);
    const body = opener && node.heredocs.find((h) => h.name === opener.name);
    if (opener) sourceContents.push(inlineFile(body ?? opener));
    else sources.push(src);
  }
  return { sources, sourceContents, dest };
}

function keyValues(args: readonly string[], instruction: string): KeyValue[] {
  atLeastOne(args, instruction);
  const out: KeyValue[] = [];
  for (let i = 0; i < args.length; i += 2) {
    if (args[i] === '') throw invalid(`${instruction} names can not be blank`);
    out.push({ key: args[i] as string, value: args[i + 1] ?? '' });
  }
  return out;
}

function argDefinitions(args: readonly string[]): ArgDefinition[] {
  return args.map((arg) => {
    const eq = arg.indexOf('=');
    if (eq < 0) return { key: arg };
    if (eq === 0) throw invalid('ARG names can not be blank');
    return { key: arg.slice(0, eq), value: arg.slice(eq + 1) };
  });
}

function atLeastOne(args: readonly string[], instruction: string): void {
  if (args.length === 0) throw invalid(`${instruction} requires at least one argument`);
}

function exactlyOne(args: readonly string[], instruction: string): void {
  if (args.length !== 1) throw invalid(`${instruction} requires exactly one argument`);
}

function noDestination(instruction: string): BerthError {
  return invalid(`${instruction} requires at least two arguments, but only one was provided. Destination could not be determined`);
}

function invalid(message: string): BerthError {
  return new BerthError('invalid_argument', message);
}
