// Parser directives (`# syntax=`, `# escape=`, `# check=`) as BuildKit reads them: only in the comment
// lines that open the file. The first line that is not a directive (an instruction, an empty line, any
// other comment, even an unknown `# key=value`) ends them for good.
import { BerthError } from '../../errors.ts';
import type { EscapeToken } from './shell-lex.ts';

export const DEFAULT_ESCAPE_TOKEN: EscapeToken = '\\';

const KNOWN_DIRECTIVES: ReadonlySet<string> = new Set(['syntax', 'escape', 'check']);
const DIRECTIVE = /^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$/;

export interface Directive {
  /** Lower case: `syntax`, `escape` or `check`. */
  name: string;
  value: string;
  /** 1-based. */
  line: number;
}

/** The directives state while a Dockerfile is read, line by line. */
export class DirectiveParser {
  escapeToken: EscapeToken = DEFAULT_ESCAPE_TOKEN;
  readonly directives: Directive[] = [];
  #done = false;
  #line = 0;

  /**
   * Feeds the next physical line (newline and, for a first line, leading blanks already trimmed);
   * true when it was a directive.
   */
  feed(line: string): boolean {
    this.#line++;
    if (this.#done) return false;
    const m = DIRECTIVE.exec(line);
    const name = m?.[1]?.toLowerCase();
    if (!m || !name || !KNOWN_DIRECTIVES.has(name)) {
      this.#done = true;
      return false;
    }
    if (this.directives.some((d) => d.name === name)) {
      throw new BerthError('invalid_argument', `only one ${name} parser directive can be used`);
    }
    const value = m[2] ?? '';
    if (name === 'escape') this.escapeToken = escapeToken(value);
    this.directives.push({ name, value, line: this.#line });
    return true;
  }

  get(name: string): string | undefined {
    return this.directives.find((d) => d.name === name)?.value;
  }
}

function escapeToken(value: string): EscapeToken {
  if (value !== '`' && value !== '\\') {
    throw new BerthError('invalid_argument', `invalid escape token '${value}' does not match \` or \\`);
  }
  return value;
}

/**
 * The escape token ends a line as a continuation when it is the last non-blank character, unless an
 * escape token precedes it (an escaped escape). Returns the line without it, and whether one was found.
 */
export function trimContinuation(line: string, escape: EscapeToken): { line: string; continues: boolean } {
  const re = escape === '\\' ? /(^|[^\\])\\[ \t]*$/ : /(^|[^`])`[ \t]*$/;
  const m = re.exec(line);
  if (!m) return { line, continues: false };
  return { line: line.slice(0, m.index) + (m[1] ?? ''), continues: true };
}
