// Go's encoding/csv Reader.Read for the one record a flag value holds (`--network name=n,alias=a`):
// the docker CLI reads such values with it, so quoting works, and fails, the way it does there.
// Columns in its errors are 1-based byte offsets, hence the work on UTF-8 bytes.

const QUOTE = 0x22;
const COMMA = 0x2c;
const NL = 0x0a;
const CR = 0x0d;

/** encoding/csv's ParseError text. */
function parseError(startLine: number, line: number, column: number, why: string): Error {
  const where = startLine !== line ? `record on line ${startLine}; parse error on line ${line}` : `parse error on line ${line}`;
  return new Error(`${where}, column ${column}: ${why}`);
}

const BARE_QUOTE = 'bare " in non-quoted-field';
const EXTRANEOUS_QUOTE = 'extraneous or missing " in quoted-field';

/** The first record of `text`; empty lines before it are skipped, as Go's reader skips them (none left: io.EOF). */
export function readCsvRecord(text: string): string[] {
  const input = new TextEncoder().encode(text);
  let offset = 0;
  let lineNumber = 0;
  // readLine: one line with its \n (\r\n read as \n; a last \r before the end dropped), or undefined at the end.
  const readLine = (): Uint8Array | undefined => {
    if (offset >= input.length) return undefined;
    const nl = input.indexOf(NL, offset);
    const end = nl < 0 ? input.length : nl + 1;
    let line = input.slice(offset, end);
    offset = end;
    lineNumber++;
    const n = line.length;
    if (n >= 2 && line[n - 2] === CR && line[n - 1] === NL) line = Uint8Array.of(...line.subarray(0, n - 2), NL);
    else if (nl < 0 && n > 0 && line[n - 1] === CR) line = line.subarray(0, n - 1);
    return line;
  };
  const lengthNL = (b: Uint8Array) => (b.length > 0 && b[b.length - 1] === NL ? 1 : 0);

  let line: Uint8Array | undefined;
  for (;;) {
    line = readLine();
    if (line === undefined) throw new Error('EOF');
    if (line.length !== lengthNL(line)) break;
  }
  const startLine = lineNumber;
  const decoder = new TextDecoder();
  const fields: string[] = [];
  let pos = { line: lineNumber, col: 1 };
  let rest: Uint8Array = line;
  for (;;) {
    if (rest.length === 0 || rest[0] !== QUOTE) {
      const i = rest.indexOf(COMMA);
      const field = i >= 0 ? rest.subarray(0, i) : rest.subarray(0, rest.length - lengthNL(rest));
      const j = field.indexOf(QUOTE);
      if (j >= 0) throw parseError(startLine, lineNumber, pos.col + j, BARE_QUOTE);
      fields.push(decoder.decode(field));
      if (i < 0) return fields;
      rest = rest.subarray(i + 1);
      pos.col += i + 1;
      continue;
    }
    // A quoted field, which may run over several lines.
    rest = rest.subarray(1);
    pos.col += 1;
    const buf: number[] = [];
    let atEnd = false;
    for (;;) {
      const i = rest.indexOf(QUOTE);
      if (i >= 0) {
        buf.push(...rest.subarray(0, i));
        rest = rest.subarray(i + 1);
        pos.col += i + 1;
        if (rest[0] === QUOTE) {
          buf.push(QUOTE);
          rest = rest.subarray(1);
          pos.col += 1;
        } else if (rest[0] === COMMA) {
          rest = rest.subarray(1);
          pos.col += 1;
          break;
        } else if (lengthNL(rest) === rest.length) {
          atEnd = true;
          break;
        } else {
          throw parseError(startLine, lineNumber, pos.col - 1, EXTRANEOUS_QUOTE);
        }
      } else if (rest.length > 0) {
        buf.push(...rest);
        pos.col += rest.length;
        const next = readLine();
        rest = next ?? new Uint8Array();
        if (next !== undefined && next.length > 0) pos = { line: pos.line + 1, col: 1 };
      } else {
        throw parseError(startLine, pos.line, pos.col, EXTRANEOUS_QUOTE);
      }
    }
    fields.push(decoder.decode(Uint8Array.from(buf)));
    if (atEnd) return fields;
  }
}
