// Go's time.ParseDuration (`1m30s`, `500ms`, `1.5h`) for the --health-* and --stop-timeout style
// flags, and Duration.String() for their help defaults.

const UNITS: Record<string, number> = {
  ns: 1, us: 1e3, 'µs': 1e3, 'μs': 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9,
};

/** Nanoseconds; throws Go's `time: invalid duration "x"` texts. */
export function parseGoDuration(text: string): number {
  const bad = (): never => { throw new Error(`time: invalid duration ${JSON.stringify(text)}`); };
  let s = text;
  let sign = 1;
  if (s.startsWith('-') || s.startsWith('+')) {
    if (s[0] === '-') sign = -1;
    s = s.slice(1);
  }
  if (s === '0') return 0;
  if (s === '') bad();
  let total = 0;
  while (s !== '') {
    const m = /^(\d*)(?:\.(\d*))?/.exec(s)!;
    if (m[0] === '' || m[0] === '.') bad();
    const value = Number(`${m[1] || '0'}.${m[2] || '0'}`);
    s = s.slice(m[0].length);
    const u = /^[^\d.]+/.exec(s);
    if (!u) throw new Error(`time: missing unit in duration ${JSON.stringify(text)}`);
    const unit = UNITS[u[0]];
    if (unit === undefined) throw new Error(`time: unknown unit ${JSON.stringify(u[0])} in duration ${JSON.stringify(text)}`);
    total += value * unit;
    s = s.slice(u[0].length);
  }
  return sign * Math.round(total);
}
