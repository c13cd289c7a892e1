// The playground's shell: a prompt with line editing and history, `berth ...` (and `docker ...`)
// run by core's CLI entry as one process each, and a few built-ins. Not sh: no pipes, variables
// or scripts — a terminal to type berth commands into.
import { runCli } from '../../core/cli/cli.ts';
import type { BuildInfo, CliFiles } from '../../core/cli/host.ts';
import { browserCliHost } from './browser-host.ts';
import type { EngineConnection } from '../worker/client.ts';
import { CliProcess } from './cli-process.ts';
import { LineEditor } from './line-editor.ts';
import { ShellSyntaxError, splitWords } from './shell-words.ts';
import type { TerminalDevice } from './terminal-device.ts';

export interface ShellOptions {
  tty: TerminalDevice;
  engine: EngineConnection;
  files: CliFiles;
  build: BuildInfo;
  env?: Record<string, string | undefined>;
  homeDir?: string;
  prompt?: string;
  /** Where the history is kept between page loads. */
  history?: { load(): string[]; save(lines: readonly string[]): void };
  /** Called around each command (the page shows what runs). */
  onCommand?(event: { phase: 'start'; argv: string[] } | { phase: 'end'; argv: string[]; status: number }): void;
}

const HELP = `Commands:
  berth COMMAND     the berth CLI against the engine in this page (berth --help for the list)
  docker COMMAND    the same (docker is an alias of berth here)
  clear             clear the terminal (or ctrl-l)
  history           the commands typed so far
  help              this text

Try:  berth images
      berth run --rm busybox echo hello
      berth run -it --rm busybox sh
Keys: up/down for history, ctrl-c interrupts, ctrl-p ctrl-q detaches from -it.
`;

export class Shell {
  private readonly editor: LineEditor;
  private readonly prompt: string;
  private readonly env: Record<string, string | undefined>;
  private running: Promise<number> | undefined;
  /** Input after the first line of a paste, for the prompts to come. */
  private typeahead = '';
  /** The exit status of the last command, as sh's $?. */
  status = 0;

  constructor(private readonly opts: ShellOptions) {
    this.prompt = opts.prompt ?? '\x1b[1;34m$\x1b[0m ';
    const promptWidth = this.prompt.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '').length;
    this.editor = new LineEditor({ columns: () => opts.tty.size().width, promptWidth });
    this.editor.restoreHistory(opts.history?.load() ?? []);
    this.env = { HOME: opts.homeDir ?? '/home/berth', ...opts.env };
  }

  /** Prints `banner` and the first prompt and takes over the terminal's input. */
  async start(banner = ''): Promise<void> {
    if (banner) await this.opts.tty.write(banner);
    await this.showPrompt();
  }

  /** True while a command runs. */
  get busy(): boolean {
    return this.running !== undefined;
  }

  /**
   * A line from the page (the engine stopped), printed where the user looks: above a new prompt that
   * keeps the line being typed, or among a running command's output.
   */
  async notice(text: string): Promise<void> {
    const tty = this.opts.tty;
    // (\r\n: a command may have the terminal raw)
    if (this.running) { await tty.write(`\r\n${text}\r\n`); return; }
    // to the line's end first, so that the terminal's cursor and the editor's agree after the reprint
    for (const ev of this.editor.feed('\x1b[F')) if (ev.kind === 'output') await tty.write(ev.text);
    await tty.write(`\r\n${text}\r\n${this.prompt}${this.editor.text}`);
  }

  /** Runs one command line as if typed (echoed after the prompt); resolves with its status. */
  async type(line: string): Promise<number> {
    if (this.running) throw new Error('a command is still running');
    await this.opts.tty.write(line + '\r\n');
    return this.execute(line);
  }

  private async showPrompt(): Promise<void> {
    this.opts.tty.setInput((data) => this.onPromptInput(data));
    await this.opts.tty.write(this.prompt);
    // Lines pasted together run one after the other, each at its own prompt.
    const rest = this.typeahead;
    this.typeahead = '';
    if (rest) this.onPromptInput(rest);
  }

  private onPromptInput(data: string): void {
    const eol = data.search(/[\r\n]/);
    if (eol >= 0 && eol < data.length - 1) {
      this.typeahead = data.slice(eol + 1).replace(/^\n/, '') + this.typeahead;
      data = data.slice(0, eol + 1);
    }
    for (const ev of this.editor.feed(data)) {
      if (ev.kind === 'output') void this.opts.tty.write(ev.text);
      else if (ev.kind === 'cancel') { this.status = 130; void this.opts.tty.write(this.prompt); }
      else if (ev.kind === 'clear') { this.opts.tty.screen.clear(); }
      else if (ev.kind === 'submit') {
        this.opts.history?.save(this.editor.entries);
        void this.execute(ev.line);
      }
    }
  }

  /** Runs a line; the prompt comes back when it ends. */
  private async execute(line: string): Promise<number> {
    this.opts.tty.setInput(undefined);
    const run = this.dispatch(line);
    this.running = run;
    const status = await run;
    this.running = undefined;
    this.status = status;
    await this.showPrompt();
    return status;
  }

  private async dispatch(line: string): Promise<number> {
    const tty = this.opts.tty;
    let argv: string[];
    try {
      argv = splitWords(line);
    } catch (e) {
      if (!(e instanceof ShellSyntaxError)) throw e;
      await tty.write(`sh: syntax error: ${e.message}\n`);
      return 2;
    }
    const [name, ...args] = argv;
    switch (name) {
      case undefined: return this.status;
      case 'help': await tty.write(HELP); return 0;
      case 'clear': await tty.write('\x1b[H\x1b[2J\x1b[3J'); return 0;
      case 'history':
        await tty.write(this.editor.entries.map((l, i) => `${String(i + 1).padStart(5)}  ${l}\n`).join(''));
        return 0;
      case 'berth':
      case 'docker':
        return this.runBerth(args);
      default:
        await tty.write(`sh: ${name}: not found (type help)\n`);
        return 127;
    }
  }

  private async runBerth(args: string[]): Promise<number> {
    const { tty, onCommand } = this.opts;
    const proc = new CliProcess(tty);
    tty.setInput((data) => proc.input(data));
    const host = browserCliHost({
      process: proc, engine: this.opts.engine, files: this.opts.files, env: this.env,
      homeDir: this.env.HOME!, build: this.opts.build,
    });
    onCommand?.({ phase: 'start', argv: ['berth', ...args] });
    let status = 1;
    try {
      status = await Promise.race([runCli(args, host), proc.killed]);
    } finally {
      // A command that ended (or was killed) in raw mode leaves the terminal cooked, as docker's restore does.
      tty.setRawMode(false);
      tty.setInput(undefined);
      proc.terminate(status);
    }
    onCommand?.({ phase: 'end', argv: ['berth', ...args], status });
    return status;
  }
}
