// The shell's prompt line, readline-style: cursor movement, history on up/down, the usual emacs
// keys. Pure: each key gives back what to write to the terminal and what happened to the line.
import { isText, splitKeys } from './keys.ts';

export type EditorEvent =
  | { kind: 'output'; text: string }
  | { kind: 'submit'; line: string }
  | { kind: 'cancel' }
  | { kind: 'clear' };

const left = (n: number) => (n > 0 ? `\x1b[${n}D` : '');
const right = (n: number) => (n > 0 ? `\x1b[${n}C` : '');

export class LineEditor {
  private line: string[] = [];
  private cursor = 0;
  private readonly history: string[] = [];
  /** Position in history while browsing with up/down; history.length is the line being typed. */
  private browsing = 0;
  private draft: string[] = [];

  constructor(private readonly maxHistory = 500) {}

  /** The entered lines, oldest first. */
  get entries(): readonly string[] {
    return this.history;
  }

  /** The line being typed. */
  get text(): string {
    return this.line.join('');
  }

  feed(input: string): EditorEvent[] {
    const events: EditorEvent[] = [];
    let out = '';
    const flush = () => { if (out) events.push({ kind: 'output', text: out }); out = ''; };
    for (const key of splitKeys(input)) {
      switch (key) {
        case '\r':
        case '\n': {
          out += right(this.line.length - this.cursor) + '\r\n';
          flush();
          const line = this.text;
          this.remember(line);
          this.line = [];
          this.cursor = 0;
          events.push({ kind: 'submit', line });
          break;
        }
        case '\x03':
          out += right(this.line.length - this.cursor) + '^C\r\n';
          flush();
          this.line = [];
          this.cursor = 0;
          this.browsing = this.history.length;
          events.push({ kind: 'cancel' });
          break;
        case '\x0c': // ctrl-l
          flush();
          events.push({ kind: 'clear' });
          break;
        case '\x7f':
        case '\b':
          if (this.cursor > 0) out += this.erase(this.cursor - 1, this.cursor);
          break;
        case '\x04': // ctrl-d: delete under the cursor (an empty line stays, the shell cannot exit)
        case '\x1b[3~':
          if (this.cursor < this.line.length) out += this.erase(this.cursor, this.cursor + 1);
          break;
        case '\x15': // ctrl-u
          out += this.erase(0, this.cursor);
          break;
        case '\x0b': // ctrl-k
          out += this.erase(this.cursor, this.line.length);
          break;
        case '\x17': { // ctrl-w
          let from = this.cursor;
          while (from > 0 && /\s/.test(this.line[from - 1]!)) from--;
          while (from > 0 && !/\s/.test(this.line[from - 1]!)) from--;
          out += this.erase(from, this.cursor);
          break;
        }
        case '\x1b[D':
        case '\x1bOD':
        case '\x02':
          if (this.cursor > 0) { this.cursor--; out += left(1); }
          break;
        case '\x1b[C':
        case '\x1bOC':
        case '\x06':
          if (this.cursor < this.line.length) { this.cursor++; out += right(1); }
          break;
        case '\x1b[H':
        case '\x1bOH':
        case '\x1b[1~':
        case '\x01':
          out += left(this.cursor);
          this.cursor = 0;
          break;
        case '\x1b[F':
        case '\x1bOF':
        case '\x1b[4~':
        case '\x05':
          out += right(this.line.length - this.cursor);
          this.cursor = this.line.length;
          break;
        case '\x1b[A':
        case '\x1bOA':
        case '\x10':
          out += this.browse(-1);
          break;
        case '\x1b[B':
        case '\x1bOB':
        case '\x0e':
          out += this.browse(1);
          break;
        default:
          if (isText(key)) out += this.insert(key);
      }
    }
    flush();
    return events;
  }

  private insert(key: string): string {
    this.line.splice(this.cursor, 0, key);
    this.cursor++;
    const rest = this.line.slice(this.cursor).join('');
    return key + rest + left(rest.length);
  }

  /** Removes line[from, to) and redraws from `from` to the end. */
  private erase(from: number, to: number): string {
    if (to <= from) return '';
    const back = this.cursor - from;
    this.line.splice(from, to - from);
    this.cursor = from;
    const rest = this.line.slice(from).join('');
    return left(back) + rest + '\x1b[K' + left(rest.length);
  }

  /** Replaces the line with the history entry `delta` away. */
  private browse(delta: number): string {
    const to = this.browsing + delta;
    if (to < 0 || to > this.history.length) return '';
    if (this.browsing === this.history.length) this.draft = this.line;
    this.browsing = to;
    const next = to === this.history.length ? this.draft : Array.from(this.history[to]!);
    const out = left(this.cursor) + next.join('') + '\x1b[K';
    this.line = [...next];
    this.cursor = this.line.length;
    return out;
  }

  private remember(line: string): void {
    if (line.trim() && this.history.at(-1) !== line) {
      this.history.push(line);
      if (this.history.length > this.maxHistory) this.history.shift();
    }
    this.browsing = this.history.length;
    this.draft = [];
  }
}
