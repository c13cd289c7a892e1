// `--env-file` as the docker CLI reads it: one VAR=value per line, leading whitespace and `#`
// comment lines skipped, values passed through untrimmed, a bare `VAR` taken from the caller's
// environment (and dropped when it is not set there).
import { BerthError } from '../errors.ts';

export function parseEnvFile(text: string, lookupEnv?: (name: string) => string | undefined): string[] {
  const out: string[] = [];
  const rows = text.replace(/^\uFEFF/, '').split('\n');
  if (rows.at(-1) === '') rows.pop();
  for (const row of rows) {
    const line = row.replace(/\r$/, '').replace(/^\s+/, '');
    if (line === '' || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    const variable = (eq < 0 ? line : line.slice(0, eq)).replace(/^[ \t]+/, '');
    if (/[ \t]/.test(variable)) throw new BerthError('invalid_argument', `poorly formatted environment: variable '${variable}' contains whitespaces`);
    if (variable === '') throw new BerthError('invalid_argument', `poorly formatted environment: no variable name on line '${line}'`);
    if (eq >= 0) { out.push(`${variable}=${line.slice(eq + 1)}`); continue; }
    const value = lookupEnv?.(variable);
    if (value !== undefined) out.push(`${variable.trim()}=${value}`);
  }
  return out;
}
