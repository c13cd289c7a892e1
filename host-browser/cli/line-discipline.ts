// The terminal's canonical mode for a running command's stdin, as the kernel's n_tty does it: typed
// characters are echoed and held until Enter, backspace/ctrl-u/ctrl-w edit the pending line,
// ctrl-c is SIGINT, ctrl-d ends input (or hands over a partial line). Raw mode bypasses all of it.
import { isText, splitKeys } from './keys.ts';

export type DisciplineEvent =
  | { kind: 'echo'; text: string }
  | { kind: 'line'; text: string }
  | { kind: 'eof' }
  | { kind: 'interrupt' };

const ERASE = '\b \b';

export class LineDiscipline {
  /** Echo typed characters (off for password prompts). */
  echo = true;
  private pending: string[] = [];

  /** What the input does, in order: echo to show, completed lines, end of input, interrupts. */
  feed(input: string): DisciplineEvent[] {
    const events: DisciplineEvent[] = [];
    const echo = (text: string) => { if (this.echo && text) events.push({ kind: 'echo', text }); };
    for (const key of splitKeys(input)) {
      switch (key) {
        case '\r':
        case '\n':
          echo('\r\n');
          events.push({ kind: 'line', text: this.pending.join('') + '\n' });
          this.pending = [];
          break;
        case '\x7f':
        case '\b':
          if (this.pending.pop() !== undefined) echo(ERASE);
          break;
        case '\x15': // ctrl-u: the whole line
          echo(ERASE.repeat(this.pending.length));
          this.pending = [];
          break;
        case '\x17': { // ctrl-w: the last word and the blanks before it
          let n = 0;
          while (this.pending.length && /\s/.test(this.pending.at(-1)!)) { this.pending.pop(); n++; }
          while (this.pending.length && !/\s/.test(this.pending.at(-1)!)) { this.pending.pop(); n++; }
          echo(ERASE.repeat(n));
          break;
        }
        case '\x03':
          // echoctl shows ^C even with echo off, as a password prompt does.
          events.push({ kind: 'echo', text: '^C\r\n' });
          this.pending = [];
          events.push({ kind: 'interrupt' });
          break;
        case '\x04':
          if (this.pending.length) {
            events.push({ kind: 'line', text: this.pending.join('') });
            this.pending = [];
          } else {
            events.push({ kind: 'eof' });
          }
          break;
        default:
          if (isText(key)) {
            this.pending.push(key);
            echo(key);
          }
      }
    }
    return events;
  }

  /** Drops a half-typed line (the command that would have read it ended). */
  reset(): void {
    this.pending = [];
  }
}
