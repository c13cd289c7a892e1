// Query-string values as dockerd reads them (httputils.BoolValue, filters.FromJSON).
import { BerthError } from '../errors.ts';

/** dockerd's BoolValue: anything but "", "0", "no", "false" and "none" is true. */
export function boolParam(q: URLSearchParams, name: string): boolean {
  const v = (q.get(name) ?? '').trim().toLowerCase();
  return !(v === '' || v === '0' || v === 'no' || v === 'false' || v === 'none');
}

export function intParam(q: URLSearchParams, name: string, fallback: number): number {
  const v = q.get(name);
  if (v === null || v === '') return fallback;
  const n = Number(v);
  if (!Number.isInteger(n)) throw new BerthError('invalid_argument', `invalid value for ${name}: ${JSON.stringify(v)}`);
  return n;
}

/** Filters: key -> set of values. */
export type Filters = Map<string, string[]>;

/**
 * Parses `filters=` in both forms the CLI has sent over the years: `{"key":{"v":true}}` and the
 * legacy `{"key":["v"]}`. Unknown keys are rejected with dockerd's text when `allowed` is given.
 */
export function parseFilters(raw: string | null, allowed?: readonly string[]): Filters {
  const out: Filters = new Map();
  if (!raw) return out;
  let parsed: unknown;
  try { parsed = JSON.parse(raw); } catch {
    throw new BerthError('invalid_argument', `invalid filter: ${raw}`);
  }
  if (parsed === null) return out;
  if (typeof parsed !== 'object' || Array.isArray(parsed)) throw new BerthError('invalid_argument', `invalid filter: ${raw}`);
  for (const [key, value] of Object.entries(parsed as Record<string, unknown>)) {
    let values: string[];
    if (Array.isArray(value)) values = value.map(String);
    else if (value && typeof value === 'object') values = Object.entries(value).filter(([, on]) => on !== false).map(([k]) => k);
    else throw new BerthError('invalid_argument', `invalid filter: ${raw}`);
    if (allowed && !allowed.includes(key)) throw new BerthError('invalid_argument', `invalid filter '${key}'`);
    out.set(key, [...(out.get(key) ?? []), ...values]);
  }
  return out;
}

/** The single boolean a filter like `dangling=true` carries; dockerd refuses anything else. */
export function boolFilter(filters: Filters, key: string): boolean | undefined {
  const values = filters.get(key);
  if (!values || values.length === 0) return undefined;
  const set = new Set(values.map((v) => v.toLowerCase()));
  for (const v of set) {
    if (v !== 'true' && v !== 'false' && v !== '1' && v !== '0') {
      throw new BerthError('invalid_argument', `invalid filter '${key}=${v}'`);
    }
  }
  if (set.size > 1 && (set.has('true') || set.has('1')) && (set.has('false') || set.has('0'))) {
    throw new BerthError('invalid_argument', `invalid filter '${key}': conflicting values`);
  }
  return set.has('true') || set.has('1');
}

/** A label filter value `k` or `k=v` against a label set (`label!=` is handled by the caller). */
export function matchLabel(labels: Record<string, string> | undefined, expr: string): boolean {
  const i = expr.indexOf('=');
  const key = i < 0 ? expr : expr.slice(0, i);
  if (!labels || !(key in labels)) return false;
  return i < 0 || labels[key] === expr.slice(i + 1);
}

/** Parses dockerd timestamps: unix seconds with optional fraction, or RFC 3339. Returns nanoseconds. */
export function parseTimestampNanos(v: string): bigint {
  if (/^\d+(\.\d{1,9})?$/.test(v)) {
    const [s, frac = ''] = v.split('.');
    return BigInt(s!) * 1_000_000_000n + BigInt(frac.padEnd(9, '0'));
  }
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw new BerthError('invalid_argument', `failed to parse value as time or duration: "${v}"`);
  return BigInt(t) * 1_000_000n;
}
