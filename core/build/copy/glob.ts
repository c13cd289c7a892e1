// COPY and ADD sources are Go filepath.Match patterns (as dockerd's copyWithWildcards matches them): `*` and
// `?` never cross a slash, `[...]` classes negate with `^`, `\` escapes, and `**` is just two stars.
import { BerthError } from '../../errors.ts';

/** dockerd's containsWildcards: an unescaped `*`, `?` or `[`. */
export function containsWildcards(path: string): boolean {
  for (let i = 0; i < path.length; i++) {
    const ch = path[i];
    if (ch === '\\') i++;
    else if (ch === '*' || ch === '?' || ch === '[') return true;
  }
  return false;
}

const cache = new Map<string, RegExp>();

/** filepath.Match of one path element against one pattern element; a malformed pattern fails as Go's does. */
export function matchName(pattern: string, name: string): boolean {
  let re = cache.get(pattern);
  if (!re) {
    re = compile(pattern);
    cache.set(pattern, re);
  }
  return re.test(name);
}

function compile(pattern: string): RegExp {
  const chars = Array.from(pattern);
  let re = '^';
  let i = 0;
  const literal = (ch: string): string => ch.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
  // One class member: a character, possibly escaped; none may be missing, `-` or `]` unescaped.
  const member = (): string => {
    let ch = chars[i];
    if (ch === undefined || ch === '-' || ch === ']') throw badPattern();
    if (ch === '\\') { i++; ch = chars[i]; if (ch === undefined) throw badPattern(); }
    i++;
    return ch;
  };
  while (i < chars.length) {
    const ch = chars[i]!;
    if (ch === '*') { re += '[^/]*'; i++; }
    else if (ch === '?') { re += '[^/]'; i++; }
    else if (ch === '\\') {
      i++;
      if (i >= chars.length) throw badPattern();
      re += literal(chars[i]!);
      i++;
    } else if (ch === '[') {
      i++;
      let cls = '';
      if (chars[i] === '^') { cls = '^'; i++; }
      for (let n = 0; ; n++) {
        if (chars[i] === ']' && n > 0) { i++; break; }
        const lo = member();
        if (chars[i] === '-') {
          i++;
          const hi = member();
          if (hi < lo) throw badPattern();
          cls += `${literal(lo)}-${literal(hi)}`;
        } else {
          cls += literal(lo);
        }
      }
      // A negated class still never matches the separator.
      re += cls.startsWith('^') ? `[${cls}/]` : `[${cls}]`;
    } else {
      re += literal(ch);
      i++;
    }
  }
  return new RegExp(re + '$', 'u');
}

function badPattern(): BerthError {
  return new BerthError('invalid_argument', 'syntax error in pattern');
}
