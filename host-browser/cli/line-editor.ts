// The shell's prompt line, readline-style: cursor movement, history on up/down, the usual emacs
// keys. Pure: each key gives back what to write to the terminal and what happened to the line.
// A line longer than the terminal wraps, so the cursor is placed by row and column (one column per
// character: wide characters are not measured).
import { isText, splitKeys } from './keys.ts';

export type EditorEvent =
  | { kind: 'output'; text: string }
  | { kind: 'submit'; line: string }
  | { kind: 'cancel' }
  | { kind: 'clear' }
  /** ctrl-d on an empty line: the end of input where lines are read (the prompt ignores it). */
  | { kind: 'eof' };

export interface EditorLayout {
  /** Columns of the terminal now (it may be resized between keys). */
  columns(): number;
  /** Columns the prompt takes before the line. */
  promptWidth: number;
}

const NO_WRAP: EditorLayout = { columns: () => Number.MAX_SAFE_INTEGER, promptWidth: 0 };

export class LineEditor {
  private line: string[] = [];
  private cursor = 0;
  private readonly history: string[] = [];
  /** Position in history while browsing with up/down; history.length is the line being typed. */
  private browsing = 0;
  private draft: string[] = [];

  constructor(private readonly layout: EditorLayout = NO_WRAP, private readonly maxHistory = 500) {}

  /** Starts from lines entered before (a history kept across page loads), oldest first. */
  restoreHistory(lines: readonly string[]): void {
    this.history.splice(0, this.history.length, ...lines.slice(-this.maxHistory));
    this.browsing = this.history.length;
  }

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
          out += this.moveTo(this.line.length) + '\r\n';
          flush();
          const line = this.text;
          this.remember(line);
          this.line = [];
          this.cursor = 0;
          events.push({ kind: 'submit', line });
          break;
        }
        case '\x03':
          out += this.moveTo(this.line.length) + '^C\r\n';
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
        case '\x04': // ctrl-d: delete under the cursor; on an empty line, the end of input
          if (this.line.length === 0) {
            flush();
            events.push({ kind: 'eof' });
            break;
          }
          if (this.cursor < this.line.length) out += this.erase(this.cursor, this.cursor + 1);
          break;
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
          if (this.cursor > 0) out += this.moveTo(this.cursor - 1);
          break;
        case '\x1b[C':
        case '\x1bOC':
        case '\x06':
          if (this.cursor < this.line.length) out += this.moveTo(this.cursor + 1);
          break;
        case '\x1b[H':
        case '\x1bOH':
        case '\x1b[1~':
        case '\x01':
          out += this.moveTo(0);
          break;
        case '\x1b[F':
        case '\x1bOF':
        case '\x1b[4~':
        case '\x05':
          out += this.moveTo(this.line.length);
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

  /** Row (from the prompt's) and column of line position `i`. */
  private place(i: number): { row: number; col: number } {
    const cols = Math.max(1, this.layout.columns());
    const at = this.layout.promptWidth + i;
    return { row: Math.floor(at / cols), col: at % cols };
  }

  /** Moves the terminal's cursor from the cursor to line position `to`, which becomes the cursor. */
  private moveTo(to: number): string {
    const a = this.place(this.cursor);
    const b = this.place(to);
    this.cursor = to;
    if (a.row === b.row && a.col === b.col) return '';
    const vertical = b.row < a.row ? `\x1b[${a.row - b.row}A` : b.row > a.row ? `\x1b[${b.row - a.row}B` : '';
    if (!vertical && b.col < a.col) return `\x1b[${a.col - b.col}D`;
    if (!vertical && b.col > a.col) return `\x1b[${b.col - a.col}C`;
    return `${vertical}\x1b[${b.col + 1}G`;
  }

  /**
   * Writes the line from position `from` (where the cursor is) to its end, clears what was beyond
   * when the line got shorter, and returns to `cursor`.
   */
  private redraw(from: number, cursor: number, shorter: boolean): string {
    let out = this.line.slice(from).join('');
    this.cursor = this.line.length;
    // Text that ends in the last column leaves the cursor there, not on the next row: step over.
    if (out && this.place(this.cursor).col === 0) out += ' \r';
    return out + (shorter ? '\x1b[J' : '') + this.moveTo(cursor);
  }

  private insert(key: string): string {
    this.line.splice(this.cursor, 0, key);
    return this.redraw(this.cursor, this.cursor + 1, false);
  }

  /** Removes line[from, to) and redraws from `from`. */
  private erase(from: number, to: number): string {
    if (to <= from) return '';
    const out = this.moveTo(from);
    this.line.splice(from, to - from);
    return out + this.redraw(from, from, true);
  }

  /** Replaces the line with the history entry `delta` away. */
  private browse(delta: number): string {
    const to = this.browsing + delta;
    if (to < 0 || to > this.history.length) return '';
    if (this.browsing === this.history.length) this.draft = this.line;
    this.browsing = to;
    const out = this.moveTo(0);
    const before = this.line.length;
    this.line = [...(to === this.history.length ? this.draft : Array.from(this.history[to]!))];
    return out + this.redraw(0, this.line.length, this.line.length < before);
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
