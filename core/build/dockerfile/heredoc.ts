// Here-documents (`<<EOF`, `<<-EOF`, `<<"EOF"`, `3<<EOF`) on RUN, COPY and ADD lines, as BuildKit finds
// them: the line is split into shell words keeping quotes and escapes, and each word that is a heredoc
// opener names a body read from the lines that follow, in order.
import { ShellLex } from './shell-lex.ts';

export interface Heredoc {
  /** The terminator word, quotes removed: `EOF`. */
  name: string;
  /** The file descriptor written before `<<` (`3<<EOF`), 0 when none. */
  fileDescriptor: number;
  /** False when any part of the terminator was quoted: the body is taken literally. */
  expand: boolean;
  /** `<<-`: leading tabs are stripped from the body and the terminator line. */
  chomp: boolean;
  /** The body, each line with its newline; tabs not yet stripped (see chompHeredocContent). */
  content: string;
}

const HEREDOC = /^(\d*)<<(-?)([^<]*)$/;

/** The heredoc a word opens, or undefined when it is not one (`<<` alone, several words, `<<<`). */
export function parseHeredoc(word: string): Heredoc | undefined {
  const m = HEREDOC.exec(word);
  if (!m) return undefined;
  const rest = m[3] ?? '';
  if (rest === '') return undefined;
  const words = new ShellLex('\\', { skipUnsetEnv: true }).process(rest, []).words;
  if (words.length !== 1) return undefined;
  const raw = new ShellLex('\\', { skipUnsetEnv: true, rawQuotes: true }).process(rest, []).words;
  const name = words[0] ?? '';
  // Quotes that survive only in the raw split were real quotes: the terminator was quoted.
  const expand = quoteCount(name) === quoteCount(raw[0] ?? '');
  return { name, fileDescriptor: Number(m[1] || '0'), expand, chomp: m[2] === '-', content: '' };
}

/** Every heredoc an instruction line opens, in order, with empty bodies. */
export function heredocsFromLine(line: string): Heredoc[] {
  let words: string[];
  try {
    words = new ShellLex('\\', { rawQuotes: true, rawEscapes: true, skipUnsetEnv: true }).process(line, []).words;
  } catch {
    // BuildKit ignores a line its lexer cannot split (an unterminated quote): no heredocs.
    return [];
  }
  const docs: Heredoc[] = [];
  for (let i = 0; i < words.length; i++) {
    let word = words[i] as string;
    // `<< EOF` and `<<- EOF`: the operator and its word were split apart by the blank between them.
    if (/^\d*<<-?$/.test(word) && i + 1 < words.length) word += ` ${words[++i]}`;
    const doc = parseHeredoc(word);
    if (doc) docs.push(doc);
  }
  return docs;
}

/** `<<-` bodies: leading tabs removed from every line. */
export function chompHeredocContent(content: string): string {
  return content.replace(/^\t+/gm, '');
}

function quoteCount(s: string): number {
  let n = 0;
  for (const c of s) if (c === '"' || c === "'") n++;
  return n;
}
