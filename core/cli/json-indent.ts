// Go's json.Indent over raw JSON text: re-indents without re-encoding, so strings, escapes and
// numbers stay byte for byte as the daemon sent them (docker prints inspect output this way).

export function indentJSON(raw: string, prefix = '', indent = '    '): string {
  let out = '';
  let depth = 0;
  let inString = false;
  let escaped = false;
  let needIndent = false;
  const newline = () => '\n' + prefix + indent.repeat(depth);
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (inString) {
      out += c;
      if (escaped) escaped = false;
      else if (c === '\\') escaped = true;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') continue;
    if (needIndent && c !== ']' && c !== '}') {
      needIndent = false;
      depth++;
      out += newline();
    }
    switch (c) {
      case '"':
        inString = true;
        out += c;
        break;
      case '{': case '[':
        // Empty objects and arrays stay `{}` / `[]`; otherwise the content starts on a new line.
        needIndent = true;
        out += c;
        break;
      case ',':
        out += c + newline();
        break;
      case ':':
        out += ': ';
        break;
      case '}': case ']':
        if (needIndent) {
          needIndent = false;
        } else {
          depth--;
          out += newline();
        }
        out += c;
        break;
      default:
        out += c;
    }
  }
  return out;
}
