// docker/go-units as the docker CLI prints sizes and durations, and Go's time formatting for the
// CreatedAt columns, so berth's tables read exactly like docker's.

const DECIMAL = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB'];
const BINARY = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB', 'ZiB', 'YiB'];

function sizeAndUnit(size: number, base: number, units: string[]): [number, string] {
  let i = 0;
  while (size >= base && i < units.length - 1) {
    size /= base;
    i++;
  }
  return [size, units[i]!];
}

/** Go's `%.{precision}g`: significant digits, trailing zeros dropped, exponent as `e+03`. */
export function formatG(value: number, precision: number): string {
  if (value === 0) return '0';
  if (!Number.isFinite(value)) return value > 0 ? '+Inf' : value < 0 ? '-Inf' : 'NaN';
  const p = value.toPrecision(Math.max(1, precision));
  const e = p.indexOf('e');
  if (e >= 0) {
    let mant = p.slice(0, e);
    if (mant.includes('.')) mant = mant.replace(/0+$/, '').replace(/\.$/, '');
    const exp = Number(p.slice(e + 1));
    const sign = exp < 0 ? '-' : '+';
    return `${mant}e${sign}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  return p.includes('.') ? p.replace(/0+$/, '').replace(/\.$/, '') : p;
}

/** `units.HumanSizeWithPrecision`: decimal units, e.g. `4.26MB`, `1.09kB`. */
export function humanSizeWithPrecision(size: number, precision: number): string {
  const [s, unit] = sizeAndUnit(size, 1000, DECIMAL);
  return formatG(s, precision) + unit;
}

/** `units.HumanSize`: four significant digits. */
export function humanSize(size: number): string {
  return humanSizeWithPrecision(size, 4);
}

/** `units.BytesSize`: binary units, e.g. `64MiB`. */
export function bytesSize(size: number): string {
  const [s, unit] = sizeAndUnit(size, 1024, BINARY);
  return formatG(s, 4) + unit;
}

const SIZE_RE = /^(\d+(?:\.\d+)*) ?([kKmMgGtTpP])?[iI]?[bB]?$/;

function parseSize(text: string, base: number): number {
  const m = SIZE_RE.exec(text);
  if (!m) throw new Error(`invalid size: '${text}'`);
  // Number, not parseFloat: `1.2.3` is no number (Go's ParseFloat refuses it), not 1.2.
  let size = Number(m[1]!);
  if (!Number.isFinite(size)) throw new Error(`invalid size: '${text}'`);
  const prefix = (m[2] ?? '').toLowerCase();
  const power = 'kmgtp'.indexOf(prefix) + 1;
  if (prefix) size *= base ** power;
  return Math.trunc(size);
}

/** `units.RAMInBytes`: `64m` -> 67108864 (binary multiples whatever the suffix says). */
export function ramInBytes(text: string): number {
  return parseSize(text, 1024);
}

/** `units.FromHumanSize`: `1.5kB` -> 1500 (decimal multiples). */
export function fromHumanSize(text: string): number {
  return parseSize(text, 1000);
}

/** `units.HumanDuration`, from milliseconds: `Less than a second`, `About a minute`, `2 days`. */
export function humanDuration(ms: number): string {
  const seconds = Math.trunc(ms / 1000);
  if (seconds < 1) return 'Less than a second';
  if (seconds === 1) return '1 second';
  if (seconds < 60) return `${seconds} seconds`;
  const minutes = Math.trunc(ms / 60_000);
  if (minutes === 1) return 'About a minute';
  if (minutes < 60) return `${minutes} minutes`;
  const hours = Math.trunc(ms / 3_600_000 + 0.5);
  if (hours === 1) return 'About an hour';
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.trunc(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.trunc(hours / 24 / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.trunc(hours / 24 / 30)} months`;
  return `${Math.trunc(Math.trunc(ms / 3_600_000) / 24 / 365)} years`;
}

/** The CREATED column: `About a minute ago`, or '' for an unknown (zero) time. */
export function createdSince(createdUnixSeconds: number, now: Date = new Date()): string {
  if (!createdUnixSeconds) return '';
  return humanDuration(now.getTime() - createdUnixSeconds * 1000) + ' ago';
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** The host's zone offset and abbreviation for a date (UTC when the host has no zone data). */
function zoneOf(d: Date, timeZone?: string): { offsetMin: number; abbr: string } {
  if (timeZone === 'UTC') return { offsetMin: 0, abbr: 'UTC' };
  const offsetMin = -d.getTimezoneOffset();
  let abbr = '';
  try {
    const part = new Intl.DateTimeFormat('en-US', { timeZoneName: 'short' }).formatToParts(d).find((p) => p.type === 'timeZoneName');
    abbr = part?.value ?? '';
  } catch { /* no Intl zone data */ }
  if (offsetMin === 0 && (abbr === '' || abbr === 'GMT' || abbr === 'UTC')) abbr = 'UTC';
  if (abbr === '' || /^GMT[+-]/.test(abbr)) {
    // Go prints the numeric offset when a zone has no abbreviation.
    const sign = offsetMin < 0 ? '-' : '+';
    const a = Math.abs(offsetMin);
    abbr = `${sign}${pad(Math.trunc(a / 60))}${a % 60 ? pad(a % 60) : ''}`;
  }
  return { offsetMin, abbr };
}

/**
 * Go's `time.Time.String()` in the host's zone: `2024-05-01 10:11:12 +0000 UTC`, with fractional
 * seconds only when present (as `.999999999` formats them).
 */
export function goTimeString(d: Date, opts: { nanos?: number; timeZone?: 'UTC' } = {}): string {
  const { offsetMin, abbr } = zoneOf(d, opts.timeZone);
  const local = new Date(d.getTime() + offsetMin * 60_000);
  const date = `${local.getUTCFullYear()}-${pad(local.getUTCMonth() + 1)}-${pad(local.getUTCDate())}`;
  const time = `${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}:${pad(local.getUTCSeconds())}`;
  const nanos = opts.nanos ?? 0;
  const frac = nanos ? '.' + String(nanos).padStart(9, '0').replace(/0+$/, '') : '';
  const sign = offsetMin < 0 ? '-' : '+';
  const a = Math.abs(offsetMin);
  return `${date} ${time}${frac} ${sign}${pad(Math.trunc(a / 60))}${pad(a % 60)} ${abbr}`;
}

/** Go's RFC 3339 with the zone as `Z` or `+hh:mm`, as `history --human=false` prints. */
export function rfc3339Local(d: Date, opts: { timeZone?: 'UTC' } = {}): string {
  const { offsetMin } = zoneOf(d, opts.timeZone);
  const local = new Date(d.getTime() + offsetMin * 60_000);
  const date = `${local.getUTCFullYear()}-${pad(local.getUTCMonth() + 1)}-${pad(local.getUTCDate())}`;
  const time = `${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}:${pad(local.getUTCSeconds())}`;
  if (offsetMin === 0) return `${date}T${time}Z`;
  const sign = offsetMin < 0 ? '-' : '+';
  const a = Math.abs(offsetMin);
  return `${date}T${time}${sign}${pad(Math.trunc(a / 60))}:${pad(a % 60)}`;
}
