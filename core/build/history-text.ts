// The texts dockerd's legacy builder writes into a config-only step's history (`created_by`): Go's
// fmt verbs (%q of a []string, %v of a []string, %q of a *HealthConfig) as it prints them, so images
// built by berth read the same in `docker history` and match dockerd's cache keys.
import type { HealthConfig } from '../image/types.ts';
import { goQuote } from './dockerfile/line-parsers.ts';

/** Go's `%q` of a []string (nil prints as `[]`). */
export function goQuoteList(list: readonly string[] | null | undefined): string {
  return `[${(list ?? []).map(goQuote).join(' ')}]`;
}

/** Go's `%v` of a []string. */
export function goList(list: readonly string[] | null | undefined): string {
  return `[${(list ?? []).join(' ')}]`;
}

/** Go's time.Duration.String(): `1m30s`, `1.5s`, `300ms`, `0s`. */
export function goDuration(ns: number): string {
  if (ns === 0) return '0s';
  const sign = ns < 0 ? '-' : '';
  const d = Math.abs(ns);
  if (d < 1e3) return `${sign}${d}ns`;
  if (d < 1e6) return `${sign}${fraction(d, 1e3)}µs`;
  if (d < 1e9) return `${sign}${fraction(d, 1e6)}ms`;
  const hours = Math.floor(d / 3.6e12);
  const minutes = Math.floor((d % 3.6e12) / 6e10);
  const seconds = fraction(d % 6e10, 1e9);
  return `${sign}${hours ? `${hours}h` : ''}${hours || minutes ? `${minutes}m` : ''}${seconds}s`;
}

function fraction(value: number, unit: number): string {
  const whole = Math.floor(value / unit);
  const rest = value % unit;
  if (rest === 0) return String(whole);
  const digits = String(unit).length - 1;
  return `${whole}.${String(rest).padStart(digits, '0').replace(/0+$/, '')}`;
}

/** Go's `%q` of an int: a quoted rune literal (`'\x03'`), as `%q` prints HealthConfig.Retries. */
export function goQuoteRune(n: number): string {
  const named: Record<number, string> = { 7: '\\a', 8: '\\b', 9: '\\t', 10: '\\n', 11: '\\v', 12: '\\f', 13: '\\r', 39: "\\'", 92: '\\\\' };
  if (named[n] !== undefined) return `'${named[n]}'`;
  if (n >= 0x20 && n < 0x7f) return `'${String.fromCharCode(n)}'`;
  if (n >= 0 && n < 0x80) return `'\\x${n.toString(16).padStart(2, '0')}'`;
  if (n >= 0 && n <= 0xffff) return `'\\u${n.toString(16).padStart(4, '0')}'`;
  return `'\\U${n.toString(16).padStart(8, '0')}'`;
}

/**
 * `HEALTHCHECK %q` of the config's *HealthConfig, field by field as Go prints a struct. StartInterval is
 * printed only when set: dockerd before 25 (Debian 12's 20.10) has no such field, and a HEALTHCHECK
 * without --start-interval then reads as it does there.
 */
export function healthcheckComment(h: HealthConfig): string {
  const fields = [
    goQuoteList(h.Test), goQuote(goDuration(h.Interval ?? 0)), goQuote(goDuration(h.Timeout ?? 0)),
    goQuote(goDuration(h.StartPeriod ?? 0)), ...(h.StartInterval ? [goQuote(goDuration(h.StartInterval))] : []),
    goQuoteRune(h.Retries ?? 0),
  ];
  return `HEALTHCHECK &{${fields.join(' ')}}`;
}
