// Detach keys as moby/term reads them (`ctrl-p,ctrl-q`, `a,ctrl-[`) and its EscapeProxy: the CLI
// watches its own stdin for the sequence while attached with a TTY, holding back a partial match
// and letting it through when the sequence breaks.

export const DEFAULT_DETACH_KEYS = [16, 17]; // ctrl-p, ctrl-q

const CTRL_KEYS = '@abcdefghijklmnopqrstuvwxyz[\\]^_';

/** term.ToBytes. */
export function detachKeyBytes(keys: string): number[] {
  const out: number[] = [];
  for (const key of keys.split(',')) {
    if (key.length === 1) { out.push(key.charCodeAt(0)); continue; }
    const m = /^ctrl-(.)$/.exec(key.toLowerCase());
    const i = m ? CTRL_KEYS.indexOf(m[1]!) : -1;
    if (i < 0) throw new Error(`Unknown character: '${key}'`);
    out.push(i);
  }
  return out;
}

/** Feed it stdin chunks; it returns what to send on and whether the sequence was typed. */
export class EscapeProxy {
  private matched = 0;
  constructor(private readonly keys: number[]) {}

  feed(chunk: Uint8Array): { data: Uint8Array; detached: boolean } {
    if (this.keys.length === 0) return { data: chunk, detached: false };
    const out: number[] = [];
    for (const b of chunk) {
      if (b === this.keys[this.matched]) {
        this.matched++;
        if (this.matched === this.keys.length) return { data: new Uint8Array(out), detached: true };
        continue;
      }
      // A broken sequence: what was held back goes through after all.
      for (let i = 0; i < this.matched; i++) out.push(this.keys[i]!);
      this.matched = 0;
      if (b === this.keys[0]) { this.matched = 1; continue; }
      out.push(b);
    }
    return { data: new Uint8Array(out), detached: false };
  }
}
