// Go's path.Match, which Docker's `reference=` filter uses: `*` and `?` never match `/`.

function classToRegex(body: string): string {
  let neg = false;
  if (body.startsWith('^')) { neg = true; body = body.slice(1); }
  const escaped = body.replace(/\\(.)/g, (_m, c: string) => `\\${c}`).replace(/[\]]/g, '\\]');
  return `[${neg ? '^' : ''}${escaped}${neg ? '/' : ''}]`;
}

export function globToRegExp(pattern: string): RegExp {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') out += '[^/]*';
    else if (c === '?') out += '[^/]';
    else if (c === '\\' && i + 1 < pattern.length) out += `\\${pattern[++i]}`;
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end < 0) throw new Error('syntax error in pattern');
      out += classToRegex(pattern.slice(i + 1, end));
      i = end;
    } else out += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`^${out}$`);
}

export function pathMatch(pattern: string, name: string): boolean {
  try { return globToRegExp(pattern).test(name); } catch { return false; }
}
