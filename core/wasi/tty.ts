// `-t` for a wasm module: there is no pty, so the runtime does what the kernel's tty would do with
// its default settings. Output: \n becomes \r\n (ONLCR). Input (canonical mode): typed bytes are
// echoed and held until Enter (\r becomes \n, ICRNL), backspace and ctrl-u edit the pending line,
// ctrl-c is SIGINT, ctrl-d ends input (or hands over a partial line).

const enc = new TextEncoder();

export type TtyInput =
  | { kind: 'echo'; data: Uint8Array }
  | { kind: 'data'; data: Uint8Array }
  | { kind: 'eof' }
  | { kind: 'signal'; signal: number };

/** ONLCR: every \n not already preceded by \r becomes \r\n. */
export function ttyOutput(data: Uint8Array, lastWasCr = false): { data: Uint8Array; lastWasCr: boolean } {
  let extra = 0;
  for (let i = 0; i < data.length; i++) if (data[i] === 10 && !(i === 0 ? lastWasCr : data[i - 1] === 13)) extra++;
  if (!extra) return { data, lastWasCr: data.length ? data[data.length - 1] === 13 : lastWasCr };
  const out = new Uint8Array(data.length + extra);
  let o = 0;
  for (let i = 0; i < data.length; i++) {
    if (data[i] === 10 && !(i === 0 ? lastWasCr : data[i - 1] === 13)) out[o++] = 13;
    out[o++] = data[i]!;
  }
  return { data: out, lastWasCr: data[data.length - 1] === 13 };
}

export class CanonicalInput {
  private line: number[] = [];

  feed(input: Uint8Array): TtyInput[] {
    const events: TtyInput[] = [];
    const echo = (s: string | number[]) => events.push({ kind: 'echo', data: typeof s === 'string' ? enc.encode(s) : new Uint8Array(s) });
    for (const b of input) {
      if (b === 13 || b === 10) {
        echo('\r\n');
        events.push({ kind: 'data', data: new Uint8Array([...this.line, 10]) });
        this.line = [];
      } else if (b === 0x7f || b === 8) {
        if (this.line.length) {
          // A UTF-8 character is erased whole: continuation bytes go with their lead byte.
          let c: number;
          do { c = this.line.pop()!; } while ((c & 0xc0) === 0x80 && this.line.length);
          echo('\b \b');
        }
      } else if (b === 0x15) {
        echo('\b \b'.repeat(new TextDecoder().decode(new Uint8Array(this.line)).length));
        this.line = [];
      } else if (b === 3) {
        echo('^C\r\n');
        this.line = [];
        events.push({ kind: 'signal', signal: 2 });
      } else if (b === 4) {
        if (this.line.length) { events.push({ kind: 'data', data: new Uint8Array(this.line) }); this.line = []; }
        else events.push({ kind: 'eof' });
      } else {
        this.line.push(b);
        echo(b < 0x20 && b !== 9 ? `^${String.fromCharCode(b + 64)}` : [b]);
      }
    }
    return events;
  }
}
