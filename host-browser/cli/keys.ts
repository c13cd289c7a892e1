// Cuts terminal input (what xterm's onData hands over) into keys: one character, or one whole
// escape sequence (CSI `ESC [ params final`, SS3 `ESC O x`) so editors can match arrows and the like.

export function splitKeys(input: string): string[] {
  const keys: string[] = [];
  const chars = Array.from(input);
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i]!;
    if (c !== '\x1b' || i + 1 >= chars.length) { keys.push(c); continue; }
    const next = chars[i + 1]!;
    if (next === 'O' && i + 2 < chars.length) {
      keys.push(c + next + chars[i + 2]);
      i += 2;
      continue;
    }
    if (next === '[') {
      let j = i + 2;
      while (j < chars.length && !/[@-~]/.test(chars[j]!)) j++;
      keys.push(chars.slice(i, j + 1).join(''));
      i = j;
      continue;
    }
    keys.push(c + next); // alt+key
    i += 1;
  }
  return keys;
}

/** True for keys a line holds as text: printable characters and tab, not controls or sequences. */
export function isText(key: string): boolean {
  if (key.length > 2 || key.startsWith('\x1b')) return false;
  const code = key.codePointAt(0)!;
  return key === '\t' || (code >= 0x20 && code !== 0x7f && !(code >= 0x80 && code < 0xa0));
}
