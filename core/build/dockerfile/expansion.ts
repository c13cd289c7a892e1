// Which Dockerfile instructions (and which of their flags) get variable expansion, and the expansion
// itself over plain words, as BuildKit's Dockerfile frontend does it. RUN, CMD, ENTRYPOINT, SHELL,
// HEALTHCHECK and ONBUILD are left to the shell at run time (or to the child build), so they never expand.
import { BerthError } from '../../errors.ts';
import { ShellLex, type EscapeToken, type Environment, type Expansion } from './shell-lex.ts';

/**
 * Instructions whose arguments are expanded (BuildKit's SupportsSingleWordExpansion, plus FROM with the
 * global ARGs and EXPOSE). Names are lower case, as the parser normalises them.
 */
export const EXPANDING_INSTRUCTIONS: ReadonlySet<string> = new Set([
  'add', 'arg', 'copy', 'env', 'expose', 'from', 'label', 'stopsignal', 'user', 'volume', 'workdir',
]);

/** Instructions whose arguments are split into several words after expansion (BuildKit's ProcessWords). */
export const SPLITTING_INSTRUCTIONS: ReadonlySet<string> = new Set(['expose']);

// Flag values BuildKit expands, per instruction. RUN --mount is expanded field by field by the mount
// parser (each `key=value`'s value but `from`'s), so it gets a word expander rather than one expansion of
// the whole. COPY --from and a mount's `from` are never expanded: they name a stage, and the stage graph
// is fixed before any stage's variables are known, so BuildKit refuses variables there (checkCopyFrom,
// checkMountFrom). --exclude, --network, --security, --link and HEALTHCHECK's flags are taken as written.
const EXPANDING_FLAGS: ReadonlyMap<string, ReadonlySet<string>> = new Map([
  ['add', new Set(['chown', 'chmod', 'checksum'])],
  ['copy', new Set(['chown', 'chmod'])],
  ['from', new Set(['platform'])],
  ['run', new Set(['mount'])],
]);

export function expandsInstruction(instruction: string): boolean {
  return EXPANDING_INSTRUCTIONS.has(instruction.toLowerCase());
}

export function expandsFlag(instruction: string, flag: string): boolean {
  return EXPANDING_FLAGS.get(instruction.toLowerCase())?.has(flag.toLowerCase()) ?? false;
}

export interface ExpandOptions {
  /** The Dockerfile's `# escape=` token; `\` by default. */
  escapeToken?: EscapeToken;
  /** Where the word comes from, e.g. `Dockerfile:3`; prefixed to errors. */
  at?: string;
}

/** One word expanded, quotes removed, with the variables it used and those it found unset. */
export function expandWordWithMatches(word: string, env: Environment, options: ExpandOptions = {}): Expansion {
  return located(options, () => new ShellLex(options.escapeToken ?? '\\').process(word, env));
}

/** One word expanded (BuildKit's ProcessWord): `$HOME/x` -> `/root/x`; spaces inside stay. */
export function expandWord(word: string, env: Environment, options: ExpandOptions = {}): string {
  return expandWordWithMatches(word, env, options).result;
}

/** A word expanded then split on unquoted whitespace (BuildKit's ProcessWords, as EXPOSE uses it). */
export function expandWords(word: string, env: Environment, options: ExpandOptions = {}): string[] {
  return expandWordWithMatches(word, env, options).words;
}

/** BuildKit's SingleWordExpander over `env`, for parsers that expand parts of a value (RUN --mount fields). */
export function wordExpander(env: Environment, options: ExpandOptions = {}): (word: string) => string {
  return (word) => expandWord(word, env, options);
}

/**
 * An instruction's argument words as BuildKit dispatches them: each word expanded on its own (EXPOSE's
 * also split; FROM's image only, not `AS name`), ENV/LABEL/ARG words taken as `key=value` pairs (see
 * expandKeyValue), or returned unchanged for the instructions that do not expand.
 */
export function expandArguments(
  instruction: string, args: readonly string[], env: Environment, options: ExpandOptions = {},
): string[] {
  const name = instruction.toLowerCase();
  if (!EXPANDING_INSTRUCTIONS.has(name)) return [...args];
  if (SPLITTING_INSTRUCTIONS.has(name)) return args.flatMap((a) => expandWords(a, env, options));
  if (name === 'from') return args.map((a, i) => (i === 0 ? expandWord(a, env, options) : a));
  if (KEY_VALUE_INSTRUCTIONS.has(name)) {
    return args.map((a) => {
      const i = a.indexOf('=');
      if (i < 0) return name === 'arg' ? a : expandWord(a, env, options);
      return expandKeyValue(name, a.slice(0, i), a.slice(i + 1), env, options).join('=');
    });
  }
  return args.map((a) => expandWord(a, env, options));
}

const KEY_VALUE_INSTRUCTIONS: ReadonlySet<string> = new Set(['env', 'label', 'arg']);

/**
 * A COPY/ADD here-document body whose delimiter was not quoted (BuildKit's ExpandRaw): variables expanded
 * and escapes applied, but quotes left as they are, since they belong to the file. The escape is always
 * `\`, whatever the Dockerfile's `# escape=`.
 */
export function expandHeredoc(body: string, env: Environment, options: ExpandOptions = {}): string {
  return located(options, () => new ShellLex('\\', { skipProcessQuotes: true }).processWord(body, env));
}

/**
 * One key/value pair of ENV or LABEL (both expanded) or ARG (only the default value: an ARG's name is
 * never expanded). Other instructions' pairs are returned unchanged.
 */
export function expandKeyValue(
  instruction: string, key: string, value: string, env: Environment, options: ExpandOptions = {},
): [string, string] {
  switch (instruction.toLowerCase()) {
    case 'env':
    case 'label':
      return [expandWord(key, env, options), expandWord(value, env, options)];
    case 'arg':
      return [key, expandWord(value, env, options)];
    default:
      return [key, value];
  }
}

/**
 * COPY --from takes a stage name, index or image as written: a value that expansion would change (a
 * variable, quotes, escapes) is refused with BuildKit's text.
 */
export function checkCopyFrom(from: string, options: ExpandOptions = {}): void {
  if (expandWord(from, [], options) !== from) {
    throw new BerthError('invalid_argument', locatedMessage(options,
      'variable expansion is not supported for --from, define a new stage with FROM using ARG from global scope as a workaround'));
  }
}

/** A RUN --mount's `from=` value must not hold a `$` followed by anything (BuildKit's test). */
export function checkMountFrom(from: string, options: ExpandOptions = {}): void {
  if (/\$[^\n]/u.test(from)) {
    throw new BerthError('invalid_argument', locatedMessage(options,
      "'from' doesn't support variable expansion, define alias stage instead"));
  }
}

function locatedMessage(options: ExpandOptions, message: string): string {
  return options.at ? `${options.at}: ${message}` : message;
}

function located<T>(options: ExpandOptions, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (options.at && e instanceof BerthError) throw new BerthError(e.code, locatedMessage(options, e.message), { cause: e });
    throw e;
  }
}
