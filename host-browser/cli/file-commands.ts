// The shell's file built-ins, enough to write a Dockerfile and a build context in the terminal:
// `ls`, `cat FILE...`, `cat > FILE` (and `>>`, and `<<WORD` here-documents) and `rm`. Paths are
// relative to the working directory; directories come into being with the files in them.
import type { MemoryFiles } from './memory-files.ts';
import { absolutePath } from './memory-tree.ts';

/** What a `cat` line asks for: its input files, where the output goes and how the typed input ends. */
export interface CatCommand {
  inputs: string[];
  /** `> FILE` or `>> FILE` (append). */
  output?: { path: string; append: boolean };
  /** `<<WORD`: the line that ends the typed input (quotes around WORD were taken off by word splitting). */
  heredoc?: string;
}

export class UsageError extends Error {}

/** The words after `cat`, with `>`, `>>` and `<<` as separate words or attached to theirs. */
export function parseCat(args: readonly string[]): CatCommand {
  const cmd: CatCommand = { inputs: [] };
  for (let i = 0; i < args.length; i++) {
    const m = /^(>>|>|<<-?)(.*)$/.exec(args[i]!);
    if (!m) { cmd.inputs.push(args[i]!); continue; }
    const operand = m[2] || args[++i];
    if (operand === undefined || operand === '') throw new UsageError(`syntax error: ${m[1]} needs a word after it`);
    if (m[1] === '<<' || m[1] === '<<-') cmd.heredoc = operand;
    else cmd.output = { path: operand, append: m[1] === '>>' };
  }
  return cmd;
}

/** Whether `cat` reads lines from the terminal: with no input files, or a here-document. */
export function readsTerminal(cmd: CatCommand): boolean {
  return cmd.heredoc !== undefined || cmd.inputs.length === 0;
}

/** Why the output file cannot be written (sh says it before cat runs), or undefined. */
export function outputProblem(files: MemoryFiles, cwd: string, cmd: CatCommand): string | undefined {
  if (!cmd.output) return undefined;
  const path = absolutePath(cwd, cmd.output.path);
  if (dirExists(files, path) || path === cwd) return `sh: can't create ${cmd.output.path}: Is a directory`;
  for (let i = path.indexOf('/', 1); i > 0; i = path.indexOf('/', i + 1)) {
    if (files.stat(path.slice(0, i))) return `sh: can't create ${cmd.output.path}: Not a directory`;
  }
  return undefined;
}

/** Runs `cat` once its typed lines (if any) are in; returns the exit status. */
export async function cat(files: MemoryFiles, cwd: string, cmd: CatCommand, typed: string | undefined, write: (text: string) => Promise<void>): Promise<number> {
  let text = typed ?? '';
  let status = 0;
  if (typed === undefined) {
    for (const name of cmd.inputs) {
      const got = await files.readText(absolutePath(cwd, name));
      if (got === undefined) {
        await write(`cat: can't open '${name}': ${dirExists(files, absolutePath(cwd, name)) ? 'Is a directory' : 'No such file or directory'}\n`);
        status = 1;
      } else {
        text += got;
      }
    }
  }
  if (!cmd.output) {
    await write(text);
    return status;
  }
  const problem = outputProblem(files, cwd, cmd);
  if (problem) {
    await write(`${problem}\n`);
    return 1;
  }
  const path = absolutePath(cwd, cmd.output.path);
  const before = cmd.output.append ? (await files.readText(path)) ?? '' : '';
  await files.writeText(path, before + text);
  return status;
}

/** `ls [PATH...]`: names one to a line, directories marked with `/` (ls -F), dotfiles hidden. */
export async function ls(files: MemoryFiles, cwd: string, args: readonly string[], write: (text: string) => Promise<void>): Promise<number> {
  let status = 0;
  const targets = args.filter((a) => !a.startsWith('-'));
  for (const name of targets.length ? targets : ['.']) {
    const path = absolutePath(cwd, name);
    if (files.stat(path)) { await write(`${name}\n`); continue; }
    if (!dirExists(files, path) && path !== cwd) {
      await write(`ls: ${name}: No such file or directory\n`);
      status = 1;
      continue;
    }
    if (targets.length > 1) await write(`${name}:\n`);
    const prefix = path === '/' ? '/' : `${path}/`;
    const names = new Map<string, boolean>();
    for (const f of files.list()) {
      if (!f.startsWith(prefix)) continue;
      const [first, ...rest] = f.slice(prefix.length).split('/');
      if (first && !first.startsWith('.')) names.set(first, rest.length > 0 || names.get(first) === true);
    }
    await write([...names].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([n, dir]) => `${n}${dir ? '/' : ''}\n`).join(''));
  }
  return status;
}

/** `rm FILE...` (and `-f`): files only, as directories exist only through their files. */
export async function rm(files: MemoryFiles, cwd: string, args: readonly string[], write: (text: string) => Promise<void>): Promise<number> {
  const force = args.includes('-f');
  let status = 0;
  for (const name of args.filter((a) => !a.startsWith('-'))) {
    const path = absolutePath(cwd, name);
    if (files.stat(path)) { files.remove(path); continue; }
    if (force) continue;
    await write(`rm: can't remove '${name}': ${dirExists(files, path) ? 'Is a directory' : 'No such file or directory'}\n`);
    status = 1;
  }
  return status;
}

function dirExists(files: MemoryFiles, path: string): boolean {
  const prefix = path === '/' ? '/' : `${path}/`;
  return files.list().some((f) => f.startsWith(prefix));
}
