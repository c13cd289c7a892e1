// The live view of a legacy build on a terminal: the daemon's `Step N/M : ...` stream regrouped per
// step. The running step shows its header, its time so far and the last lines of its output, redrawn
// in place; a finished step collapses to one line with its duration (CACHED when the daemon used the
// cache). A failed step keeps its last lines on screen. Lines outside any step (`Successfully built`)
// are printed as they come.
import type { JSONMessage } from '../json-message.ts';
import { progressString } from '../json-message.ts';

export interface StepViewOptions {
  /** Terminal columns. */
  width: () => number;
  /** Milliseconds, for durations. */
  now: () => number;
  /** Output lines kept under the running step. */
  tail?: number;
}

interface Step {
  title: string;
  started: number;
  ended?: number;
  cached: boolean;
  failed: boolean;
  lines: string[];
  /** Lines redrawn in place, by message id (pull progress during FROM). */
  keyed: Map<string, number>;
}

const STEP_RE = /^Step \d+\/\d+ : /;
// The builder's own bookkeeping lines: shown as the step's state, not as its output.
const META_RE = /^ ---> (Running in [0-9a-f]+|Using cache|[0-9a-f]{12})$|^Removing intermediate container [0-9a-f]+$/;

/** Drops terminal control sequences so every shown line is exactly one row. */
function plain(text: string): string {
  const line = text.slice(text.lastIndexOf('\r') + 1);
  return line.replace(/\x1b\[[0-9;?]*[ -/]*[@-~]/g, '').replace(/\x1b[@-_]/g, '').replace(/\t/g, '    ').replace(/[\x00-\x1f\x7f]/g, '');
}

function fit(text: string, width: number): string {
  const chars = Array.from(text);
  return chars.length <= width ? text : chars.slice(0, Math.max(0, width - 3)).join('') + '...';
}

export class StepView {
  private readonly opts: Required<StepViewOptions>;
  private current: Step | undefined;
  private partial = '';
  /** Rows of the live area now on screen, below everything printed for good. */
  private liveRows = 0;
  private afterSteps = false;
  /** The live area as last drawn. */
  private shown = '';

  constructor(opts: StepViewOptions) {
    this.opts = { tail: 6, ...opts };
  }

  /** Takes one message of the build stream; returns what to write to the terminal. */
  message(jm: JSONMessage): string {
    const done: string[] = [];
    if (jm.stream !== undefined) {
      const parts = (this.partial + jm.stream).split('\n');
      this.partial = parts.pop()!;
      for (const line of parts) this.line(line, done);
    } else if (jm.status !== undefined || jm.progressDetail) {
      this.status(jm, done);
    }
    return this.draw(done);
  }

  /** Redraws the running step (its time goes on); '' when nothing runs. */
  tick(): string {
    return this.current ? this.draw([]) : '';
  }

  /** Ends the view: the running step collapses, or stays open marked as failed. */
  finish(failed: boolean): string {
    const done: string[] = [];
    if (this.partial) {
      this.line(this.partial, done);
      this.partial = '';
    }
    if (this.current) {
      this.current.failed = failed;
      this.close(done);
    }
    return this.draw(done);
  }

  private line(raw: string, done: string[]): void {
    if (STEP_RE.test(raw)) {
      this.close(done);
      this.current = { title: plain(raw), started: this.opts.now(), cached: false, failed: false, lines: [], keyed: new Map() };
      return;
    }
    if (raw.startsWith('Successfully built ')) {
      this.close(done);
      this.afterSteps = true;
    }
    const step = this.current;
    if (!step || this.afterSteps) {
      done.push(raw);
      return;
    }
    const meta = META_RE.exec(raw);
    if (meta) {
      if (meta[1] === 'Using cache') step.cached = true;
      return;
    }
    step.lines.push(plain(raw));
  }

  private status(jm: JSONMessage, done: string[]): void {
    const progress = jm.progressDetail ? progressString(jm.progressDetail, this.opts.width()) : jm.progress ?? '';
    const text = `${jm.id ? `${jm.id}: ` : ''}${jm.status ?? ''}${progress ? ` ${progress}` : ''}`;
    const step = this.current;
    if (!step) {
      done.push(text);
      return;
    }
    const at = jm.id !== undefined ? step.keyed.get(jm.id) : undefined;
    if (at !== undefined) {
      step.lines[at] = plain(text);
      return;
    }
    if (jm.id !== undefined) step.keyed.set(jm.id, step.lines.length);
    step.lines.push(plain(text));
  }

  private close(done: string[]): void {
    const step = this.current;
    if (!step) return;
    step.ended = this.opts.now();
    done.push(this.header(step));
    if (step.failed) done.push(...this.tailLines(step));
    this.current = undefined;
  }

  private header(step: Step): string {
    const width = Math.max(20, this.opts.width());
    const seconds = ((step.ended ?? this.opts.now()) - step.started) / 1000;
    const time = `${Math.max(0, seconds).toFixed(1)}s`;
    const mark = step.failed ? 'ERROR ' : step.cached ? 'CACHED ' : '';
    const left = fit(` => ${mark}${step.title}`, width - time.length - 2);
    return left.padEnd(width - time.length - 1) + time;
  }

  private tailLines(step: Step): string[] {
    const width = Math.max(20, this.opts.width());
    // The line still being written shows too, unless it is the next step's header or nothing visible yet.
    const partial = step === this.current && !STEP_RE.test(this.partial) ? plain(this.partial) : '';
    const lines = partial ? [...step.lines, partial] : step.lines;
    return lines.slice(-this.opts.tail).map((l) => fit(`    ${l}`, width - 1));
  }

  private draw(done: string[]): string {
    const live = this.current ? [this.header(this.current), ...this.tailLines(this.current)] : [];
    const shown = live.join('\n');
    // Nothing new (a bookkeeping line, the same time): no redraw, so a slow terminal is not flooded.
    if (done.length === 0 && shown === this.shown) return '';
    let out = this.liveRows > 0 ? `\r\x1b[${this.liveRows}A\x1b[J` : '';
    for (const l of [...done, ...live]) out += `${l}\n`;
    this.liveRows = live.length;
    this.shown = shown;
    return out;
  }
}
