// The playground's shell: a prompt with line editing and history, `berth ...` (and `docker ...`)
// run by core's CLI entry as one process each, and a few built-ins (files: enough to write a
// Dockerfile and build it). Not sh: no pipes, variables or scripts — a terminal to type berth
// commands into.
import { runCli } from '../../core/cli/cli.ts';
import type { BuildInfo } from '../../core/cli/host.ts';
import { browserCliHost } from './browser-host.ts';
import type { EngineConnection } from '../worker/client.ts';
import { CliProcess } from './cli-process.ts';
import { LineEditor, type EditorEvent } from './line-editor.ts';
import type { MemoryFiles } from './memory-files.ts';
import { filesIn, memoryTree } from './memory-tree.ts';
import { cat, ls, outputProblem, parseCat, readsTerminal, rm, UsageError } from './file-commands.ts';
import { ShellSyntaxError, splitWords } from './shell-words.ts';
import type { TerminalDevice } from './terminal-device.ts';

export interface ShellOptions {
  tty: TerminalDevice;
  engine: EngineConnection;
  files: MemoryFiles;
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
  cat > FILE        write FILE: type its lines, then a line EOF (or ctrl-d)
  cat >> FILE       the same, appended; with <<WORD the input ends at WORD
  cat FILE...       show files
  ls [DIR]          the files here (a directory/ exists through its files)
  rm FILE...        remove files
  pwd               the working directory (the files live in this page)
  clear             clear the terminal (or ctrl-l)
  history           the commands typed so far
  help              this text

Try:  berth images
      berth run --rm busybox echo hello
      berth run -it --rm busybox sh
Build an image:
      cat > Dockerfile        then type:  FROM busybox
                                          RUN echo built > /built.txt
                                          CMD ["cat", "/built.txt"]
                                          EOF
      berth build -t demo .
      berth run --rm demo
Keys: up/down for history, ctrl-c interrupts, ctrl-p ctrl-q detaches from -it.
`;

/** The prompt of the lines a command reads from the terminal (sh's PS2). */
const CONTINUATION = '> ';

export class Shell {
  private readonly editor: LineEditor;
  private readonly prompt: string;
  private readonly env: Record<string, string | undefined>;
  private running: Promise<number> | undefined;
  /** Input after the first line of a paste, for the prompts to come. */
  private typeahead = '';
  /** The exit status of the last command, as sh's $?. */
  status = 0;
  /** The working directory: relative paths of the built-ins and of berth (build contexts, -o, -i) start here. */
  readonly cwd: string;

  constructor(private readonly opts: ShellOptions) {
    this.prompt = opts.prompt ?? '\x1b[1;34m$\x1b[0m ';
    const promptWidth = this.prompt.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '').length;
    this.editor = new LineEditor({ columns: () => opts.tty.size().width, promptWidth });
    this.editor.restoreHistory(opts.history?.load() ?? []);
    this.env = { HOME: opts.homeDir ?? '/home/berth', ...opts.env };
    this.cwd = this.env.HOME!;
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
    this.feedLines(this.editor, data, (ev) => {
      if (ev.kind === 'cancel') { this.status = 130; void this.opts.tty.write(this.prompt); }
      else if (ev.kind === 'submit') {
        this.opts.history?.save(this.editor.entries);
        void this.execute(ev.line);
        return true;
      }
      return false;
    });
  }

  /**
   * Gives typed (or pasted) input to `editor` a line at a time until `on` says the reading ends (a
   * command starts, the last line of a here-document came); what follows is kept for what reads next.
   */
  private feedLines(editor: LineEditor, data: string, on: (ev: EditorEvent) => boolean): void {
    while (data) {
      const eol = data.search(/[\r\n]/);
      const line = eol >= 0 ? data.slice(0, eol + 1) : data;
      const rest = eol >= 0 ? data.slice(eol + 1).replace(line.endsWith('\r') ? /^\n/ : /^$/, '') : '';
      let done = false;
      for (const ev of editor.feed(line)) {
        if (ev.kind === 'output') void this.opts.tty.write(ev.text);
        else if (ev.kind === 'clear') this.opts.tty.screen.clear();
        else if (!done) done = on(ev);
      }
      if (done) {
        this.typeahead = rest + this.typeahead;
        return;
      }
      data = rest;
    }
  }

  /**
   * Lines typed at the continuation prompt until a line that is just `end` or ctrl-d on an empty line,
   * joined with newlines (a final one included); undefined when ctrl-c cancelled them.
   */
  private readLines(end: string): Promise<string | undefined> {
    const editor = new LineEditor({ columns: () => this.opts.tty.size().width, promptWidth: CONTINUATION.length }, 0);
    const lines: string[] = [];
    return new Promise((resolve) => {
      const finish = (text: string | undefined) => {
        this.opts.tty.setInput(undefined);
        resolve(text);
        return true;
      };
      const onInput = (data: string) => this.feedLines(editor, data, (ev) => {
        if (ev.kind === 'cancel') return finish(undefined);
        if (ev.kind === 'eof' || (ev.kind === 'submit' && ev.line === end)) return finish(lines.map((l) => `${l}\n`).join(''));
        if (ev.kind === 'submit') {
          lines.push(ev.line);
          void this.opts.tty.write(CONTINUATION);
        }
        return false;
      });
      void this.opts.tty.write(CONTINUATION);
      this.opts.tty.setInput(onInput);
      // Lines pasted with the command are its input: taken once the prompt's reading has put them aside.
      queueMicrotask(() => {
        const ahead = this.typeahead;
        this.typeahead = '';
        if (ahead) onInput(ahead);
      });
    });
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
      case 'pwd': await tty.write(`${this.cwd}\n`); return 0;
      case 'ls': return ls(this.opts.files, this.cwd, args, (t) => tty.write(t));
      case 'rm': return rm(this.opts.files, this.cwd, args, (t) => tty.write(t));
      case 'cat': return this.cat(args);
      case 'berth':
      case 'docker':
        return this.runBerth(args);
      default:
        await tty.write(`sh: ${name}: not found (type help)\n`);
        return 127;
    }
  }

  private async cat(args: string[]): Promise<number> {
    const write = (t: string) => this.opts.tty.write(t);
    let cmd;
    try {
      cmd = parseCat(args);
    } catch (e) {
      if (!(e instanceof UsageError)) throw e;
      await write(`sh: ${e.message}\n`);
      return 2;
    }
    const problem = outputProblem(this.opts.files, this.cwd, cmd);
    if (problem) {
      await write(`${problem}\n`);
      return 1;
    }
    let typed: string | undefined;
    if (readsTerminal(cmd)) {
      typed = await this.readLines(cmd.heredoc ?? 'EOF');
      if (typed === undefined) return 130;
    }
    return cat(this.opts.files, this.cwd, cmd, typed, write);
  }

  private async runBerth(args: string[]): Promise<number> {
    const { tty, onCommand } = this.opts;
    const proc = new CliProcess(tty);
    tty.setInput((data) => proc.input(data));
    const host = browserCliHost({
      process: proc, engine: this.opts.engine, files: filesIn(this.opts.files, this.cwd), env: this.env,
      homeDir: this.env.HOME!, build: this.opts.build, localTree: memoryTree(this.opts.files, this.cwd),
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
