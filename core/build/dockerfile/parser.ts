// The Dockerfile parser (BuildKit's frontend/dockerfile/parser): text -> one node per instruction, with
// its flags, argument words, here-documents and source lines. It knows the syntax only; what each
// instruction means is instructions.ts's business, and variable expansion happens at build time.
import { BerthError } from '../../errors.ts';
import { DirectiveParser, trimContinuation, type Directive } from './directives.ts';
import { chompHeredocContent, heredocsFromLine, type Heredoc } from './heredoc.ts';
import {
  parseHealthConfig, parseIgnore, parseMaybeJSON, parseMaybeJSONToList, parseNameOrNameVal,
  parseNameVal, parseString, parseStringsWhitespaceDelimited, type LineArguments, type LineParser,
} from './line-parsers.ts';
import { isSpace, type EscapeToken } from './shell-lex.ts';

export { chompHeredocContent, type Heredoc, type Directive };

/** One instruction as written (BuildKit's Node, flattened: its Next chain is `args`). */
export interface Node {
  /** The instruction, lower case: `from`, `run`, ... (unknown ones too; instructions.ts refuses them). */
  value: string;
  /** The instruction as written (`From`), for messages. */
  keyword: string;
  /** The instruction's logical line: continuations joined, comment lines dropped, heredoc bodies not included. */
  original: string;
  /** `--name=value` words before the arguments, as written (quotes removed). */
  flags: string[];
  /** The argument words (see line-parsers.ts for each instruction's rules). */
  args: string[];
  /** The arguments were a JSON array (exec form). */
  json: boolean;
  /** ENV/LABEL in the legacy `KEY value` form. */
  legacyKeyValue: boolean;
  /** ONBUILD's trigger instruction. */
  child?: Node;
  /** Here-documents, in the order the line opens them; bodies as read (see chompHeredocContent). */
  heredocs: Heredoc[];
  /** The comment lines right above the instruction, `#` and blanks trimmed. */
  comments: string[];
  /** 1-based, inclusive; endLine covers continuations and heredoc bodies. */
  startLine: number;
  endLine: number;
}

export interface ParseWarning {
  message: string;
  detail: string;
  url: string;
  line: number;
}

export interface ParseResult {
  nodes: Node[];
  warnings: ParseWarning[];
  escapeToken: EscapeToken;
  directives: Directive[];
}

export interface ParseOptions {
  /** The Dockerfile's name, put in front of error messages (`Dockerfile.dev: dockerfile parse error ...`). */
  file?: string;
}

/** A Dockerfile that cannot be parsed: BuildKit's message, and where. */
export class DockerfileParseError extends BerthError {
  readonly file: string | undefined;
  readonly startLine: number;
  readonly endLine: number;
  readonly reason: string;
  constructor(reason: string, startLine: number, endLine: number, file?: string) {
    const at = `dockerfile parse error on line ${startLine}: ${reason}`;
    super('invalid_argument', file ? `${file}: ${at}` : at);
    this.reason = reason;
    this.file = file;
    this.startLine = startLine;
    this.endLine = endLine;
  }
}

const LINE_PARSERS: Readonly<Record<string, LineParser>> = {
  add: parseMaybeJSONToList,
  arg: parseNameOrNameVal,
  cmd: parseMaybeJSON,
  copy: parseMaybeJSONToList,
  entrypoint: parseMaybeJSON,
  env: (rest, escape) => parseNameVal(rest, 'ENV', escape),
  expose: parseStringsWhitespaceDelimited,
  from: parseStringsWhitespaceDelimited,
  healthcheck: parseHealthConfig,
  label: (rest, escape) => parseNameVal(rest, 'LABEL', escape),
  maintainer: parseString,
  run: parseMaybeJSON,
  shell: parseMaybeJSON,
  stopsignal: parseString,
  user: parseString,
  volume: parseMaybeJSONToList,
  workdir: parseString,
};

const HEREDOC_INSTRUCTIONS: ReadonlySet<string> = new Set(['add', 'copy', 'run']);
// BuildKit reads lines with Go's bufio.Scanner, whose tokens (a line and its newline) stop at 64 KiB.
const MAX_LINE_BYTES = 64 * 1024;
const COMMENT = /^#/;
const BOM = '\ufeff';

/** Parses a Dockerfile; throws DockerfileParseError. Warnings (empty continuation lines) are returned. */
export function parseDockerfile(text: string, options: ParseOptions = {}): ParseResult {
  const lines = splitLines(text.startsWith(BOM) ? text.slice(1) : text);
  const tooLong = lines.findIndex((l) => l.length * 3 > MAX_LINE_BYTES && utf8Length(l) > MAX_LINE_BYTES);
  const directives = new DirectiveParser();
  const nodes: Node[] = [];
  const warnings: ParseWarning[] = [];
  let comments: string[] = [];
  let n = 0; // lines consumed so far = the 1-based number of the last one read
  const fail = (e: unknown, start: number, end: number): never => {
    if (e instanceof BerthError) throw new DockerfileParseError(e.message, start, end, options.file);
    throw e;
  };
  const feedDirective = (line: string): boolean => {
    try {
      return directives.feed(line);
    } catch (e) {
      return fail(e, n, n);
    }
  };

  // The next physical line. Go's scanner stops at an overlong line: what came before it parses, then the
  // whole file fails.
  const take = (): string => {
    if (n === tooLong) fail(new BerthError('invalid_argument', `dockerfile line greater than max allowed size of ${MAX_LINE_BYTES - 1}`), n, n);
    return lines[n++] as string;
  };

  while (n < lines.length) {
    const raw = take();
    const stripped = trimLeadingSpace(trimNewline(raw));
    if (COMMENT.test(stripped)) {
      const comment = stripped.slice(1).trim();
      comments = comment === '' ? [] : [...comments, comment];
    }
    // A directive is no comment of the instruction that follows.
    if (feedDirective(stripped)) comments = comments.slice(0, -1);
    const startLine = n;
    let { line, continues } = trimContinuation(COMMENT.test(stripped) ? '' : stripped, directives.escapeToken);
    if (!continues && line === '') continue;

    let emptyContinuation = false;
    while (continues && n < lines.length) {
      const next = trimNewline(take());
      feedDirective(next);
      if (COMMENT.test(trimLeadingSpace(next))) continue;
      if (trimLeadingSpace(next) === '') {
        emptyContinuation = true;
        continue;
      }
      const piece = trimContinuation(next, directives.escapeToken);
      line += piece.line;
      continues = piece.continues;
    }
    if (emptyContinuation) {
      warnings.push({
        message: `Empty continuation line found in: ${line}`,
        detail: 'Empty continuation lines will become errors in a future release',
        url: 'https://docs.docker.com/go/dockerfile/rule/no-empty-continuation/',
        line: n,
      });
    }

    let node: Node;
    try {
      node = nodeFromLine(line, directives.escapeToken, comments);
    } catch (e) {
      return fail(e, startLine, n);
    }
    if (canContainHeredoc(node) && line.includes('<<')) {
      let heredocs: Heredoc[] = [];
      try {
        heredocs = heredocsFromLine(line);
      } catch (e) {
        fail(e, startLine, n);
      }
      for (const heredoc of heredocs) {
        let terminated = false;
        while (n < lines.length) {
          const body = take();
          let candidate = trimNewline(body);
          if (heredoc.chomp) candidate = candidate.replace(/^\t+/, '');
          if (candidate === heredoc.name) {
            terminated = true;
            break;
          }
          heredoc.content += body;
        }
        if (!terminated) fail(new BerthError('invalid_argument', 'unterminated heredoc'), startLine, n);
        node.heredocs.push(heredoc);
      }
    }
    node.startLine = startLine;
    node.endLine = n;
    if (node.child) {
      node.child.startLine = startLine;
      node.child.endLine = n;
    }
    nodes.push(node);
    comments = [];
  }
  if (nodes.length === 0) fail(new BerthError('invalid_argument', 'file with no instructions'), n, n);
  return { nodes, warnings, escapeToken: directives.escapeToken, directives: directives.directives };
}

/** One logical line (continuations joined) as a node; ONBUILD's rest becomes its child. */
export function nodeFromLine(line: string, escape: EscapeToken = '\\', comments: string[] = []): Node {
  const { keyword, flags, rest } = splitCommand(line);
  const name = keyword.toLowerCase();
  const node: Node = {
    value: name, keyword, original: line, flags, args: [], json: false, legacyKeyValue: false, heredocs: [], comments,
    startLine: 0, endLine: 0,
  };
  if (name === 'onbuild') {
    if (rest !== '') node.child = nodeFromLine(rest, escape);
    return node;
  }
  const parsed: LineArguments = (LINE_PARSERS[name] ?? parseIgnore)(rest, escape);
  node.args = parsed.args;
  node.json = parsed.json;
  node.legacyKeyValue = parsed.legacyKeyValue ?? false;
  return node;
}

function canContainHeredoc(node: Node): boolean {
  const target = node.value === 'onbuild' && node.child ? node.child : node;
  return HEREDOC_INSTRUCTIONS.has(target.value) && !target.json;
}

/** The instruction's name as written, its leading `--flags`, and the rest of the line. */
export function splitCommand(line: string): { keyword: string; flags: string[]; rest: string } {
  const trimmed = line.trim();
  const m = /[\t\v\f\r ]+/.exec(trimmed);
  if (!m) return { keyword: trimmed, flags: [], rest: '' };
  const { flags, rest } = extractBuilderFlags(trimmed.slice(m.index + m[0].length));
  return { keyword: trimmed.slice(0, m.index), flags, rest: rest.trim() };
}

/**
 * The `--flag` and `--flag=value` words that open an instruction's arguments (BuildKit's
 * extractBuilderFlags): quotes and `\` escapes are removed from them; `--` alone ends the flags.
 */
export function extractBuilderFlags(line: string): { flags: string[]; rest: string } {
  const flags: string[] = [];
  let word = '';
  let quote = '';
  let phase: 'spaces' | 'word' | 'quote' = 'spaces';
  let blankOK = false;
  for (let pos = 0; pos <= line.length; pos++) {
    const end = pos === line.length;
    let c = end ? '' : (line[pos] as string);
    if (phase === 'spaces') {
      if (end) break;
      if (isSpace(c)) continue;
      if (c !== '-' || line[pos + 1] !== '-') return { flags, rest: line.slice(pos) };
      phase = 'word';
    }
    if (end) {
      if (word !== '--' && (blankOK || word !== '')) flags.push(word);
      break;
    }
    if (phase === 'word') {
      if (isSpace(c)) {
        phase = 'spaces';
        if (word === '--') return { flags, rest: line.slice(pos) };
        if (blankOK || word !== '') flags.push(word);
        word = '';
        blankOK = false;
        continue;
      }
      if (c === "'" || c === '"') {
        quote = c;
        blankOK = true;
        phase = 'quote';
        continue;
      }
      if (c === '\\') {
        if (pos + 1 === line.length) continue;
        c = line[++pos] as string;
      }
      word += c;
      continue;
    }
    if (c === quote) {
      phase = 'word';
      continue;
    }
    if (c === '\\') {
      if (pos + 1 === line.length) {
        phase = 'word';
        continue;
      }
      c = line[++pos] as string;
    }
    word += c;
  }
  return { flags, rest: '' };
}

/** Lines with their line endings kept (heredoc bodies need them). */
function splitLines(text: string): string[] {
  return text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

function utf8Length(s: string): number {
  return new TextEncoder().encode(s).length;
}

function trimNewline(s: string): string {
  return s.replace(/[\r\n]+$/, '');
}

function trimLeadingSpace(s: string): string {
  let i = 0;
  while (i < s.length && isSpace(s[i] as string)) i++;
  return s.slice(i);
}

/** Heredoc bodies as the instruction will use them: `<<-` bodies lose their leading tabs. */
export function heredocContent(heredoc: Heredoc): string {
  return heredoc.chomp ? chompHeredocContent(heredoc.content) : heredoc.content;
}
