// Variable expansion and word splitting of Dockerfile words, as BuildKit's shell.Lex does it
// (frontend/dockerfile/shell/lex.go): quotes, escapes, `$v`, `${v}` and the `${v<modifier>...}` forms.
// The results and error texts match BuildKit's so builds behave and fail as they do under Docker.
import { BerthError } from '../../errors.ts';

/** The Dockerfile's `# escape=` token. */
export type EscapeToken = '\\' | '`';

export interface LexOptions {
  /** Keep the quote characters in the result (BuildKit's RawQuotes). */
  rawQuotes?: boolean;
  /** Keep escape tokens in the result (BuildKit's RawEscapes). */
  rawEscapes?: boolean;
  /** Treat quotes as ordinary characters (BuildKit's SkipProcessQuotes). */
  skipProcessQuotes?: boolean;
  /** Leave references to unset variables as written (BuildKit's SkipUnsetEnv). */
  skipUnsetEnv?: boolean;
}

export interface Expansion {
  /** The word with variables expanded and quotes removed, spaces kept. */
  result: string;
  /** The same split on unquoted whitespace (what EXPOSE, VOLUME, ... take). */
  words: string[];
  /** Variables the word referenced that were set. */
  matched: Set<string>;
  /** Variables the word referenced that were not set (BuildKit's lint rules use them). */
  unmatched: Set<string>;
}

export type Environment = readonly string[] | ReadonlyMap<string, string>;

/** `KEY=value` entries as a map; a later entry wins; a bare `KEY` is set to ''. Keys are case-sensitive (Linux). */
export function buildEnvs(env: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const e of env) {
    const i = e.indexOf('=');
    if (i < 0) out.set(e, '');
    else out.set(e.slice(0, i), e.slice(i + 1));
  }
  return out;
}

export class ShellLex {
  readonly escapeToken: EscapeToken;
  readonly options: Readonly<LexOptions>;

  constructor(escapeToken: EscapeToken = '\\', options: LexOptions = {}) {
    this.escapeToken = escapeToken;
    this.options = { ...options };
  }

  /** Expands one word; throws BerthError('invalid_argument') with BuildKit's `failed to process "<word>": ...`. */
  process(word: string, env: Environment): Expansion {
    const envs = env instanceof Map ? env : buildEnvs(env as readonly string[]);
    const w = new ShellWord(word, envs, this.escapeToken, this.options);
    try {
      const { result, words } = w.processStopOn(undefined, this.options.rawEscapes ?? false);
      return { result, words, matched: w.matched, unmatched: w.unmatched };
    } catch (e) {
      if (e instanceof LexError) {
        throw new BerthError('invalid_argument', `failed to process ${JSON.stringify(word)}: ${e.message}`);
      }
      throw e;
    }
  }

  processWord(word: string, env: Environment): string {
    return this.process(word, env).result;
  }

  processWords(word: string, env: Environment): string[] {
    return this.process(word, env).words;
  }
}

class LexError extends Error {}

const SPACE = /^[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]$/u;
/** Go's unicode.IsSpace, of one character: Latin-1 spaces plus the Unicode White_Space property. */
export const isSpace = (ch: string): boolean => SPACE.test(ch);
const isDigit = (ch: string): boolean => /^\p{Nd}$/u.test(ch);
const isNameChar = (ch: string): boolean => /^[\p{L}\p{Nd}_]$/u.test(ch);
// POSIX special parameters; BuildKit reads them as one-character names (never set in a build).
const SPECIAL_PARAMS = new Set(['@', '*', '#', '?', '-', '$', '!', '0']);
// What Go prints for string(scanner.EOF) in "unsupported modifier" messages.
const EOF_RUNE = '\ufffd';

/** Accumulates the whitespace-split words beside the result. */
class Words {
  private word = '';
  private inWord = false;
  private readonly words: string[] = [];

  addChar(ch: string): void {
    if (isSpace(ch)) {
      if (this.inWord && this.word.length > 0) {
        this.words.push(this.word);
        this.word = '';
        this.inWord = false;
      }
    } else {
      this.addRawChar(ch);
    }
  }
  addRawChar(ch: string): void { this.word += ch; this.inWord = true; }
  addString(s: string): void { for (const ch of s) this.addChar(ch); }
  addRawString(s: string): void { this.word += s; this.inWord = true; }
  finish(): string[] {
    if (this.word.length > 0) { this.words.push(this.word); this.word = ''; this.inWord = false; }
    return this.words;
  }
}

class ShellWord {
  readonly matched = new Set<string>();
  readonly unmatched = new Set<string>();
  private readonly chars: string[];
  private pos = 0;
  private rawEscapes = false;

  constructor(
    source: string,
    private readonly envs: ReadonlyMap<string, string>,
    private readonly escape: EscapeToken,
    private readonly options: Readonly<LexOptions>,
  ) {
    this.chars = Array.from(source); // code points, as Go's scanner reads runes
  }

  private peek(): string | undefined { return this.chars[this.pos]; }
  private next(): string | undefined { return this.chars[this.pos++]; }
  private atEnd(): boolean { return this.pos >= this.chars.length; }

  /** Reads up to `stop` (consumed) or the end; a missing `stop` is an error. */
  processStopOn(stop: string | undefined, rawEscapes: boolean): { result: string; words: string[] } {
    const saved = this.rawEscapes;
    this.rawEscapes = rawEscapes;
    try {
      return this.readUntil(stop);
    } finally {
      this.rawEscapes = saved;
    }
  }

  private readUntil(stop: string | undefined): { result: string; words: string[] } {
    let result = '';
    const words = new Words();
    const quotes = !this.options.skipProcessQuotes;
    while (!this.atEnd()) {
      let ch = this.peek()!;
      if (stop !== undefined && ch === stop) {
        this.next();
        return { result, words: words.finish() };
      }
      if (ch === '$') {
        const value = this.processDollar();
        result += value;
        words.addString(value);
      } else if (quotes && (ch === "'" || ch === '"')) {
        const value = ch === "'" ? this.processSingleQuote() : this.processDoubleQuote();
        result += value;
        words.addRawString(value);
      } else {
        this.next();
        if (ch === this.escape) {
          if (this.rawEscapes) { words.addRawChar(ch); result += ch; }
          // An escape token at the very end is dropped, as a line continuation would be.
          if (this.atEnd()) break;
          ch = this.next()!;
          words.addRawChar(ch);
        } else {
          words.addChar(ch);
        }
        result += ch;
      }
    }
    if (stop !== undefined) throw new LexError(`unexpected end of statement while looking for matching ${stop}`);
    return { result, words: words.finish() };
  }

  // Everything up to the next ' is literal; a single quote cannot be escaped inside.
  private processSingleQuote(): string {
    let result = '';
    const open = this.next()!;
    if (this.options.rawQuotes) result += open;
    for (;;) {
      const ch = this.next();
      if (ch === undefined) throw new LexError('unexpected end of statement while looking for matching single-quote');
      if (ch === "'") {
        if (this.options.rawQuotes) result += ch;
        return result;
      }
      result += ch;
    }
  }

  // Literal except `$`, and the escape token before `"`, `$` or itself (sh's rules, minus backquotes).
  private processDoubleQuote(): string {
    let result = '';
    const open = this.next()!;
    if (this.options.rawQuotes) result += open;
    for (;;) {
      const peeked = this.peek();
      if (peeked === undefined) throw new LexError('unexpected end of statement while looking for matching double-quote');
      if (peeked === '"') {
        this.next();
        if (this.options.rawQuotes) result += peeked;
        return result;
      }
      if (peeked === '$') {
        result += this.processDollar();
        continue;
      }
      let ch = this.next()!;
      if (ch === this.escape) {
        if (this.rawEscapes) result += ch;
        const after = this.peek();
        if (after === undefined) continue;
        if (after === '"' || after === '$' || after === this.escape) ch = this.next()!;
      }
      result += ch;
    }
  }

  private processDollar(): string {
    this.next();
    if (this.peek() !== '{') {
      const name = this.processName();
      if (name === '') return '$';
      const [value, set] = this.getEnv(name);
      if (!set && this.options.skipUnsetEnv) return '$' + name;
      return value;
    }
    this.next();
    const first = this.peek();
    if (first === undefined) throw new LexError("syntax error: missing '}'");
    if (first === '{' || first === '}' || first === ':') throw new LexError('syntax error: bad substitution');

    const name = this.processName();
    let ch = this.next();
    let modifier = ch ?? EOF_RUNE;
    if (ch === '}') {
      const [value, set] = this.getEnv(name);
      if (!set && this.options.skipUnsetEnv) return `\${${name}}`;
      return value;
    }
    if (ch === '/') return this.processReplace(name);

    let nullIsUnset = false;
    if (ch === ':') {
      nullIsUnset = true;
      ch = this.next();
      modifier += ch ?? EOF_RUNE;
    } else if (ch === undefined || !'+-?#%'.includes(ch)) {
      throw new LexError(`unsupported modifier (${modifier}) in substitution`);
    }

    // Patterns keep their escapes so `\*` and `\}` reach the pattern compiler.
    const word = this.stopOnOrMissing('}', ch === '#' || ch === '%', "syntax error: missing '}'");
    const [value, set] = this.getEnv(name);
    if (this.options.skipUnsetEnv && !set) return `\${${name}${modifier}${word}}`;

    const unsetOrNull = !set || (nullIsUnset && value === '');
    switch (ch) {
      case '-':
        return unsetOrNull ? word : value;
      case '+':
        return unsetOrNull ? '' : word;
      case '?':
        if (!set) throw new LexError(`${name}: ${word || 'is not allowed to be unset'}`);
        if (nullIsUnset && value === '') throw new LexError(`${name}: ${word || 'is not allowed to be empty'}`);
        return value;
      case '%':
      case '#': {
        // `%`/`#` remove the shortest match, `%%`/`##` the longest.
        const greedy = word.startsWith(ch);
        const pattern = greedy ? word.slice(1) : word;
        return ch === '%' ? trimSuffix(pattern, value, greedy) : trimPrefix(pattern, value, greedy);
      }
      default:
        throw new LexError(`unsupported modifier (${modifier}) in substitution`);
    }
  }

  /** `${name/pattern/replacement}` and `${name//pattern/replacement}` (all matches). */
  private processReplace(name: string): string {
    const all = this.peek() === '/';
    if (all) this.next();
    const pattern = this.stopOnOrMissing('/', true, "syntax error: missing '/' in ${}");
    const replacement = this.stopOnOrMissing('}', true, "syntax error: missing '}'");
    const [value, set] = this.getEnv(name);
    if (this.options.skipUnsetEnv && !set) return `\${${name}/${pattern}/${replacement}}`;
    const re = compilePattern(pattern, true, false, all);
    if (all) return replaceAll(value, re, replacement);
    const m = re.exec(value);
    if (!m) return value;
    return value.slice(0, m.index) + replacement + value.slice(m.index + m[0].length);
  }

  private stopOnOrMissing(stop: string, rawEscapes: boolean, missing: string): string {
    try {
      return this.processStopOn(stop, rawEscapes).result;
    } catch (e) {
      if (e instanceof LexError && this.atEnd()) throw new LexError(missing);
      throw e;
    }
  }

  // A name is letters, digits and `_`; a leading digit reads digits only (`$1x` is `$1` then `x`).
  private processName(): string {
    let name = '';
    for (let ch = this.peek(); ch !== undefined; ch = this.peek()) {
      if (name === '' && isDigit(ch)) {
        while (this.peek() !== undefined && isDigit(this.peek()!)) name += this.next();
        return name;
      }
      if (name === '' && SPECIAL_PARAMS.has(ch)) return this.next()!;
      if (!isNameChar(ch)) break;
      name += this.next();
    }
    return name;
  }

  private getEnv(name: string): [string, boolean] {
    const value = this.envs.get(name);
    if (value === undefined) {
      this.unmatched.add(name);
      return ['', false];
    }
    this.matched.add(name);
    return [value, true];
  }
}

// Regex metacharacters a shell pattern takes literally.
const REGEX_SPECIAL = new Set(['[', ']', '{', '}', '.', '+', '(', ')', '|', '^', '$']);

// A shell wildcard pattern (`*`, `?`, `\` escapes; no bracket expressions, as in BuildKit) as a RegExp.
// `\}` and `\/` stand for `}` and `/`, which would otherwise end the `${...}`.
function compilePattern(pattern: string, greedy: boolean, anchored: boolean, global: boolean): RegExp {
  const chars = Array.from(pattern);
  // Go's `.` is any character but a newline.
  const any = '[^\\n]';
  let out = anchored ? '^' : '';
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i]!;
    if (ch === '*') { out += greedy ? `${any}*` : `${any}*?`; continue; }
    if (ch === '?') { out += any; continue; }
    if (ch === '\\') {
      const after = chars[i + 1];
      if (after === '}' || after === '/') continue;
      i++;
      if (after !== '*' && after !== '?' && after !== '\\') {
        throw new LexError(`invalid pattern (${pattern}) in substitution: invalid escape '\\${after ?? EOF_RUNE}'`);
      }
      out += '\\' + after;
      continue;
    }
    out += REGEX_SPECIAL.has(ch) ? '\\' + ch : ch;
  }
  return new RegExp(out, global ? 'gu' : 'u');
}

function trimPrefix(pattern: string, value: string, greedy: boolean): string {
  const m = compilePattern(pattern, greedy, true, false).exec(value);
  return m ? value.slice(m[0].length) : value;
}

// Regular expressions cannot find the shortest rightmost match, so reverse both the pattern (keeping
// escapes before the character they escape) and the value, and trim a prefix.
function trimSuffix(pattern: string, value: string, greedy: boolean): string {
  return reverse(trimPrefix(reversePattern(pattern), reverse(value), greedy));
}

function reverse(s: string): string {
  return Array.from(s).reverse().join('');
}

/** Reverses a `${v%pattern}` pattern, keeping each escape before its character: `a\*c` -> `c\*a`. */
export function reversePattern(pattern: string): string {
  const units: string[] = [];
  const chars = Array.from(pattern);
  for (let i = 0; i < chars.length; i++) {
    if (chars[i] === '\\' && i + 1 < chars.length) {
      units.push('\\' + chars[i + 1]);
      i++;
    } else {
      units.push(chars[i]!);
    }
  }
  return units.reverse().join('');
}

// Go's Regexp.ReplaceAllString: empty matches right after a match are skipped, and the replacement
// is a template (`$0`/`${0}` the match, `$$` a dollar, other names empty; a malformed `$` kept).
function replaceAll(value: string, re: RegExp, template: string): string {
  let out = '';
  let last = 0;
  let prevEnd = -1;
  re.lastIndex = 0;
  while (re.lastIndex <= value.length) {
    const m = re.exec(value);
    if (!m) break;
    const start = m.index;
    const end = start + m[0].length;
    if (m[0].length === 0) {
      re.lastIndex = start + (value.codePointAt(start)! > 0xffff ? 2 : 1);
      if (start === prevEnd) continue;
    }
    out += value.slice(last, start) + expandTemplate(template, m[0]);
    last = end;
    prevEnd = end;
  }
  return out + value.slice(last);
}

function expandTemplate(template: string, match: string): string {
  let out = '';
  for (let i = 0; i < template.length; i++) {
    const ch = template[i]!;
    if (ch !== '$') { out += ch; continue; }
    const rest = template.slice(i + 1);
    if (rest.startsWith('$')) { out += '$'; i++; continue; }
    const braced = /^\{([A-Za-z0-9_]+)\}/.exec(rest);
    const bare = braced ? null : /^[A-Za-z0-9_]+/.exec(rest);
    const name = braced ? braced[1]! : bare?.[0];
    if (name === undefined) { out += '$'; continue; }
    i += (braced ? braced[0] : bare![0]).length;
    if (/^[0-9]+$/.test(name) && Number(name) === 0) out += match;
  }
  return out;
}
