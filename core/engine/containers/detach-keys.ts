// The detach sequence on an attached TTY (Docker's default ctrl-p,ctrl-q): bytes are held back
// while they match a prefix of it, and the whole sequence detaches instead of reaching the process.

export function parseDetachKeys(spec = 'ctrl-p,ctrl-q'): Uint8Array {
  const out: number[] = [];
  for (const key of spec.split(',')) {
    const k = key.trim();
    const ctrl = /^ctrl-(.)$/i.exec(k);
    if (ctrl) {
      const c = ctrl[1]!.toLowerCase();
      if (c >= 'a' && c <= 'z') out.push(c.charCodeAt(0) - 96);
      else if (c === '@') out.push(0);
      else if (c === '[') out.push(27);
      else if (c === '\\') out.push(28);
      else if (c === ']') out.push(29);
      else if (c === '^') out.push(30);
      else if (c === '_') out.push(31);
      else throw new Error(`Unknown character: '${k}'`);
    } else if (k.length === 1) out.push(k.charCodeAt(0));
    else throw new Error(`Unknown character: '${k}'`);
  }
  return new Uint8Array(out);
}

export function detachScanner(spec?: string): (chunk: Uint8Array) => { data: Uint8Array; detach: boolean } {
  const keys = parseDetachKeys(spec || undefined);
  let matched = 0;
  return (chunk) => {
    const out: number[] = [];
    for (const b of chunk) {
      if (b === keys[matched]) {
        matched++;
        if (matched === keys.length) return { data: new Uint8Array(out), detach: true };
        continue;
      }
      for (let i = 0; i < matched; i++) out.push(keys[i]!);
      matched = 0;
      if (b === keys[0]) { matched = 1; continue; }
      out.push(b);
    }
    return { data: new Uint8Array(out), detach: false };
  };
}
