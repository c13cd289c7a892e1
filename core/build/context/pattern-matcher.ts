// moby/patternmatcher: the path patterns of .dockerignore (`*`, `?`, `[...]`, `\` escapes, `**` across
// directories, `!` exceptions) and the "a path or one of its parents matches" rule the build context uses.
// Paths are slash-separated and relative to the context root, as on Linux.
import { BerthError } from '../../errors.ts';

// Go's filepath.ErrBadPattern.
const BAD_PATTERN = 'syntax error in pattern';

/** Go's path.Clean: no `.` elements, `..` resolved, no repeated or trailing slashes; '' -> '.'. */
export function cleanPath(p: string): string {
  if (p === '') return '.';
  const rooted = p.startsWith('/');
  const out: string[] = [];
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue;
    if (part !== '..') out.push(part);
    else if (out.length > 0 && out[out.length - 1] !== '..') out.pop();
    else if (!rooted) out.push('..');
  }
  const joined = out.join('/');
  if (rooted) return '/' + joined;
  return joined === '' ? '.' : joined;
}

/** Go's path.Dir: everything before the last slash, cleaned. */
export function parentPath(p: string): string {
  return cleanPath(p.slice(0, p.lastIndexOf('/') + 1));
}

/** The parent directories of `file`, outermost first: `a/b/c` -> `a`, `a/b`. */
function ancestors(file: string): string[] {
  const parent = parentPath(file);
  if (parent === '.') return [];
  const dirs = parent.split('/');
  return dirs.map((_, i) => dirs.slice(0, i + 1).join('/'));
}

type MatchKind = 'exact' | 'prefix' | 'suffix' | 'regexp';

// Characters that mean something to a regular expression but nothing to filepath.Match.
const REGEX_ONLY = new Set(['.', '+', '(', ')', '|', '{', '}', '$']);
// One character that is not a slash; a surrogate pair counts as one, as Go's runes do.
const ONE_NAME_CHAR = '(?:[\\ud800-\\udbff][\\udc00-\\udfff]|[^/\\ud800-\\udfff])';
// Escapes Go's regexp gives a meaning; any other escaped letter or digit is a syntax error there.
const REGEX_ESCAPES: Record<string, string> = {
  d: '[0-9]', D: '[^0-9]', s: '[\\t\\n\\f\\r ]', S: '[^\\t\\n\\f\\r ]', w: '[0-9A-Za-z_]', W: '[^0-9A-Za-z_]',
  b: '\\b', B: '\\B', a: '\\x07', f: '\\f', t: '\\t', n: '\\n', r: '\\r', v: '\\v', A: '^', z: '$',
};

/** One cleaned pattern of a matcher. */
export class Pattern {
  /** The pattern as matched: cleaned, without its `!`. */
  readonly cleanedPattern: string;
  readonly dirs: readonly string[];
  /** A `!` exception: re-includes what earlier patterns excluded. */
  readonly exclusion: boolean;
  /** Where the pattern was read, e.g. `.dockerignore:3`, for errors. */
  readonly at: string | undefined;
  private compiled?: { kind: MatchKind; regexp?: RegExp } | { error: true };

  constructor(cleanedPattern: string, exclusion: boolean, at?: string) {
    this.cleanedPattern = cleanedPattern;
    this.dirs = cleanedPattern.split('/');
    this.exclusion = exclusion;
    this.at = at;
  }

  toString(): string { return this.cleanedPattern; }

  /** Whether `path` (slash-separated) matches; a pattern its regexp cannot compile fails as Go's does. */
  match(path: string): boolean {
    this.compiled ??= this.compile();
    const c = this.compiled;
    if ('error' in c) throw badPattern(this.at);
    const p = this.cleanedPattern;
    switch (c.kind) {
      case 'exact': return path === p;
      case 'prefix': return path.startsWith(p.slice(0, -2));
      case 'suffix': {
        const suffix = p.slice(2);
        // `**/foo` also matches `foo` itself.
        return path.endsWith(suffix) || (suffix.startsWith('/') && path === suffix.slice(1));
      }
      case 'regexp': return c.regexp!.test(path);
    }
  }

  // Plain names compare as strings and `dir/**`, `**name` as prefix and suffix; the rest become a regexp.
  private compile(): { kind: MatchKind; regexp?: RegExp } | { error: true } {
    const chars = Array.from(this.cleanedPattern);
    let re = '^';
    let kind: MatchKind = 'exact';
    for (let i = 0; i < chars.length; i++) {
      const ch = chars[i]!;
      if (ch === '*') {
        if (chars[i + 1] === '*') {
          const start = i;
          i++;
          if (chars[i + 1] === '/') i++; // `**/` is `**`
          if (i + 1 >= chars.length) {
            // A trailing `**` takes everything below, as .gitignore's does.
            if (kind === 'exact') kind = 'prefix';
            else { re += '[^\\n]*'; kind = 'regexp'; }
          } else {
            // Any number of whole directories, none included.
            re += '(?:[^\\n]*/)?';
            kind = 'regexp';
          }
          if (start === 0) kind = 'suffix';
        } else {
          re += '[^/]*';
          kind = 'regexp';
        }
      } else if (ch === '?') {
        re += ONE_NAME_CHAR;
        kind = 'regexp';
      } else if (REGEX_ONLY.has(ch)) {
        re += '\\' + ch;
      } else if (ch === '\\') {
        const next = chars[i + 1];
        if (next === undefined) { re += '\\\\'; continue; }
        i++;
        kind = 'regexp';
        if (/[A-Za-z0-9]/.test(next)) {
          const mapped = REGEX_ESCAPES[next];
          if (mapped === undefined) return { error: true };
          re += mapped;
        } else {
          re += '\\' + next;
        }
      } else if (ch === '[' || ch === ']') {
        re += ch;
        kind = 'regexp';
      } else {
        re += ch;
      }
    }
    if (kind !== 'regexp') return { kind };
    try {
      return { kind, regexp: new RegExp(re + '$') };
    } catch {
      return { error: true };
    }
  }
}

/** Opaque per-directory state for matchesUsingParentResults (which patterns the parent matched). */
export interface MatchInfo {
  readonly parentMatched: readonly boolean[];
}

export type PatternSource = string | { pattern: string; at?: string };

export class PatternMatcher {
  readonly patterns: readonly Pattern[];
  /** Whether any pattern is a `!` exception (a walker may then not skip excluded directories). */
  readonly exclusions: boolean;

  private constructor(patterns: Pattern[]) {
    this.patterns = patterns;
    this.exclusions = patterns.some((p) => p.exclusion);
  }

  /**
   * patternmatcher.New: each pattern trimmed and cleaned, blanks dropped, a leading `!` made an exception.
   * Refuses a lone `!` and what filepath.Match calls malformed (`[`, `[]a]`, `[a-]`, a trailing `\`).
   */
  static create(sources: readonly PatternSource[]): PatternMatcher {
    const patterns: Pattern[] = [];
    for (const source of sources) {
      const raw = typeof source === 'string' ? source : source.pattern;
      const at = typeof source === 'string' ? undefined : source.at;
      let p = raw.trim();
      if (p === '') continue;
      p = cleanPath(p);
      const exclusion = p.startsWith('!');
      if (exclusion) {
        if (p.length === 1) throw new BerthError('invalid_argument', located(at, 'illegal exclusion pattern: "!"'));
        p = p.slice(1);
      }
      if (!isWellFormedGlob(p)) throw badPattern(at);
      patterns.push(new Pattern(p, exclusion, at));
    }
    return new PatternMatcher(patterns);
  }

  /**
   * Whether `file` is excluded: it or one of its parent directories matches a pattern, and no later `!`
   * exception matches it (or one of its parents) again.
   */
  matchesOrParentMatches(file: string): boolean {
    return this.evaluate(file, (_, parents) => parents);
  }

  /** Whether `file` itself matches, parents not considered. */
  matchesExact(file: string): boolean {
    return this.evaluate(file, () => []);
  }

  /**
   * patternmatcher's deprecated Matches, which the docker CLI still uses to decide whether the Dockerfile and
   * .dockerignore are ignored: only the parent at the pattern's own depth is tried.
   */
  matchesAtPatternDepth(file: string): boolean {
    return this.evaluate(file, (pattern, parents) => {
      const atDepth = parents[pattern.dirs.length - 1];
      return atDepth === undefined ? [] : [atDepth];
    });
  }

  private evaluate(file: string, candidates: (pattern: Pattern, parents: string[]) => string[]): boolean {
    const parents = ancestors(file);
    let matched = false;
    for (const pattern of this.patterns) {
      // Only an exception can undo a match, and only a plain pattern can make one.
      if (pattern.exclusion !== matched) continue;
      if (pattern.match(file) || candidates(pattern, parents).some((p) => pattern.match(p))) matched = !pattern.exclusion;
    }
    return matched;
  }

  /**
   * The same answer as matchesOrParentMatches for a walker going down the tree: it passes the MatchInfo
   * returned for the parent directory instead of having every parent matched again.
   */
  matchesUsingParentResults(file: string, parentInfo?: MatchInfo): { matched: boolean; info: MatchInfo } {
    const parentMatched = parentInfo?.parentMatched ?? [];
    if (parentMatched.length !== 0 && parentMatched.length !== this.patterns.length) {
      throw new BerthError('internal', 'wrong number of values in parentMatched');
    }
    let matched = false;
    const info: boolean[] = [];
    this.patterns.forEach((pattern, i) => {
      let match = parentMatched[i] ?? false;
      if (!match && pattern.exclusion === matched) {
        match = pattern.match(file);
        if (!match && parentMatched.length === 0) match = ancestors(file).some((p) => pattern.match(p));
      }
      info.push(match);
      if (match) matched = !pattern.exclusion;
    });
    return { matched, info: { parentMatched: info } };
  }
}

/** patternmatcher.MatchesOrParentMatches over a list: the path is cleaned, and the root (`.`) never matches. */
export function matchesOrParentMatches(file: string, patterns: readonly PatternSource[]): boolean {
  const pm = PatternMatcher.create(patterns);
  const f = cleanPath(file);
  return f === '.' ? false : pm.matchesOrParentMatches(f);
}

/** patternmatcher.Matches over a list (the deprecated one-parent rule; see matchesAtPatternDepth). */
export function matchesAtPatternDepth(file: string, patterns: readonly PatternSource[]): boolean {
  const pm = PatternMatcher.create(patterns);
  const f = cleanPath(file);
  return f === '.' ? false : pm.matchesAtPatternDepth(f);
}

function located(at: string | undefined, message: string): string {
  return at ? `${at}: ${message}` : message;
}

function badPattern(at: string | undefined): BerthError {
  return new BerthError('invalid_argument', located(at, BAD_PATTERN));
}

// filepath.Match's syntax check (what patternmatcher.New runs it for): splits the pattern into chunks at
// stars outside classes and parses each, as matchChunk does, without matching anything.
function isWellFormedGlob(pattern: string): boolean {
  const chars = Array.from(pattern);
  let i = 0;
  while (i < chars.length) {
    while (chars[i] === '*') i++;
    const start = i;
    let inRange = false;
    for (; i < chars.length; i++) {
      const ch = chars[i];
      if (ch === '\\') { if (i + 1 < chars.length) i++; }
      else if (ch === '[') inRange = true;
      else if (ch === ']') inRange = false;
      else if (ch === '*' && !inRange) break;
    }
    if (!isWellFormedChunk(chars.slice(start, i))) return false;
  }
  return true;
}

function isWellFormedChunk(chunk: string[]): boolean {
  let i = 0;
  // One class member (an escaped or plain character); it must not be the chunk's end.
  const member = (): boolean => {
    const ch = chunk[i];
    if (ch === undefined || ch === '-' || ch === ']') return false;
    if (ch === '\\') { i++; if (i >= chunk.length) return false; }
    i++;
    return i < chunk.length;
  };
  while (i < chunk.length) {
    const ch = chunk[i]!;
    if (ch === '[') {
      i++;
      if (chunk[i] === '^') i++;
      for (let ranges = 0; ; ranges++) {
        if (chunk[i] === ']' && ranges > 0) { i++; break; }
        if (!member()) return false;
        if (chunk[i] === '-') { i++; if (!member()) return false; }
      }
    } else if (ch === '\\') {
      i++;
      if (i >= chunk.length) return false;
      i++;
    } else {
      i++;
    }
  }
  return true;
}
