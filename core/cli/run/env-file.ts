// --env-file and --label-file as docker's opts.ParseEnvFile reads them: one KEY=VALUE a line,
// `#` comments and blank lines skipped, a bare KEY taken from the client's environment (env files)
// or kept as is (label files).

export function parseKeyValueFile(path: string, text: string, lookup?: (key: string) => string | undefined): string[] {
  const out: string[] = [];
  if (text.startsWith('\ufeff')) text = text.slice(1);
  const lines = text.split('\n');
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n]!.replace(/\r$/, '').replace(/^[\s]+/, '');
    if (line === '' || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    const key = eq >= 0 ? line.slice(0, eq) : line;
    if (key === '') throw new Error(`no variable name on line '${line}'`);
    if (/\s/.test(key)) throw new Error(`variable '${key}' contains whitespaces`);
    if (eq >= 0) {
      out.push(line);
    } else if (lookup) {
      const v = lookup(key);
      if (v !== undefined) out.push(`${key}=${v}`);
    } else {
      out.push(line);
    }
  }
  void path;
  return out;
}
