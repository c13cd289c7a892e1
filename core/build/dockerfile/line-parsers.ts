// BuildKit's per-instruction argument parsers (frontend/dockerfile/parser/line_parsers.go): how the text
// after an instruction's name and flags becomes its argument words. Quotes stay in the words; variable
// expansion removes them later, for the instructions that expand.
import { BerthError } from '../../errors.ts';
import { isSpace, type EscapeToken } from './shell-lex.ts';

export interface LineArguments {
  args: string[];
  /** The arguments were a JSON array (exec form). */
  json: boolean;
  /** ENV/LABEL written `KEY value` (the legacy form) rather than `KEY=value`. */
  legacyKeyValue?: boolean;
}

export type LineParser = (rest: string, escape: EscapeToken) => LineArguments;

const WHITESPACE = /[\t\v\f\r ]+/;
const NOT_STRING_ARRAY = 'when using JSON array syntax, arrays must be comprised of strings only';

const none = (): LineArguments => ({ args: [], json: false });

/** FROM, EXPOSE, and the fallback of COPY/ADD/VOLUME: words split on blanks, nothing else. */
export const parseStringsWhitespaceDelimited: LineParser = (rest) =>
  rest === '' ? none() : { args: rest.split(WHITESPACE), json: false };

/** USER, WORKDIR, STOPSIGNAL, MAINTAINER: the whole rest is one argument. */
export const parseString: LineParser = (rest) => (rest === '' ? none() : { args: [rest], json: false });

/** Instructions BuildKit does not know keep no arguments (instructions.ts refuses them). */
export const parseIgnore: LineParser = () => none();

/**
 * A JSON array of strings, or undefined when the text is not one. Like BuildKit (a json.Decoder reading
 * one value), only the first JSON value counts: `["a"] b` is exec form `["a"]`. An array holding
 * something other than strings is an error, not shell form.
 */
export function parseJSONArray(rest: string): string[] | undefined {
  const text = rest.replace(/^\s+/u, '');
  if (!text.startsWith('[')) return undefined;
  const end = firstJSONValueEnd(text);
  if (end < 0) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text.slice(0, end));
  } catch {
    return undefined;
  }
  if (!Array.isArray(value)) return undefined;
  if (!value.every((v): v is string => typeof v === 'string')) throw new BerthError('invalid_argument', NOT_STRING_ARRAY);
  return value;
}

/** Where the JSON array that opens `text` ends (brackets outside strings balanced), or -1. */
function firstJSONValueEnd(text: string): number {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') {
      inString = true;
    } else if (c === '[' || c === '{') {
      depth++;
    } else if (c === ']' || c === '}') {
      if (--depth === 0) return i + 1;
    }
  }
  return -1;
}

/** RUN, CMD, ENTRYPOINT, SHELL: exec form when the rest is a JSON array, else one shell-form string. */
export const parseMaybeJSON: LineParser = (rest) => {
  if (rest === '') return none();
  const json = parseJSONArray(rest);
  return json ? { args: json, json: true } : { args: [rest], json: false };
};

/** COPY, ADD, VOLUME: a JSON array, else blank-separated words. */
export const parseMaybeJSONToList: LineParser = (rest, escape) => {
  const json = parseJSONArray(rest);
  return json ? { args: json, json: true } : parseStringsWhitespaceDelimited(rest, escape);
};

/** HEALTHCHECK: a type word (`CMD`, `NONE`) then, like RUN, exec or shell form. */
export const parseHealthConfig: LineParser = (rest, escape) => {
  let sep = 0;
  while (sep < rest.length && !isSpace(rest[sep] as string)) sep++;
  if (sep === 0) return none();
  let next = sep;
  while (next < rest.length && isSpace(rest[next] as string)) next++;
  const cmd = parseMaybeJSON(rest.slice(next), escape);
  return { args: [rest.slice(0, sep), ...cmd.args], json: cmd.json };
};

/**
 * Words separated by unquoted blanks, quotes and escapes kept in the word (BuildKit's parseWords). An
 * escape token outside single quotes keeps the next character in the word whatever it is.
 */
export function parseWords(rest: string, escape: EscapeToken): string[] {
  const chars = [...rest];
  const words: string[] = [];
  let word = '';
  let quote = '';
  let inWord = false;
  let blankOK = false;
  for (let i = 0; i < chars.length; i++) {
    let c = chars[i] as string;
    if (!inWord && !quote) {
      if (isSpace(c)) continue;
      inWord = true;
    }
    if (quote) {
      const open = quote;
      if (c === open) quote = '';
      if (c === escape && open !== "'") {
        if (i + 1 === chars.length) { quote = ''; continue; }
        word += c;
        c = chars[++i] as string;
      }
      word += c;
      continue;
    }
    if (isSpace(c)) {
      if (blankOK || word) words.push(word);
      word = '';
      blankOK = false;
      inWord = false;
      continue;
    }
    if (c === "'" || c === '"') {
      quote = c;
      blankOK = true;
    } else if (c === escape) {
      if (i + 1 === chars.length) continue;
      word += c;
      c = chars[++i] as string;
    }
    word += c;
  }
  if ((inWord || quote) && (blankOK || word)) words.push(word);
  return words;
}

/**
 * ENV and LABEL: `KEY=value ...`, or the legacy `KEY value` (everything after the first blank is the
 * value) when the first word has no `=`. Arguments come out as key, value pairs.
 */
export function parseNameVal(rest: string, instruction: string, escape: EscapeToken): LineArguments {
  const words = parseWords(rest, escape);
  if (words.length === 0) return none();
  if (!(words[0] as string).includes('=')) {
    const i = rest.search(WHITESPACE);
    if (i < 0) throw new BerthError('invalid_argument', `${instruction} must have two arguments`);
    const value = rest.slice(i).replace(/^[\t\v\f\r ]+/, '');
    return { args: [rest.slice(0, i), value], json: false, legacyKeyValue: true };
  }
  const args: string[] = [];
  for (const word of words) {
    const eq = word.indexOf('=');
    if (eq < 0) {
      throw new BerthError('invalid_argument',
        `Syntax error - can't find = in ${goQuote(word)}. Must be of the form: name=value`);
    }
    args.push(word.slice(0, eq), word.slice(eq + 1));
  }
  return { args, json: false };
}

/** ARG: `name`, `name=`, `name=value`, several per line, each kept as one word. */
export const parseNameOrNameVal: LineParser = (rest, escape) => ({ args: parseWords(rest, escape), json: false });

/** Go's %q for the strings a Dockerfile holds (printable text; control characters escaped). */
export function goQuote(s: string): string {
  return JSON.stringify(s).replace(/\\u007f/g, '\\x7f');
}
