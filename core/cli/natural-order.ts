// Go's sortorder.NaturalLess, which docker's CLI sorts names and ports with.

/** Digit runs compare as numbers; strings equal that way fall back to their code units. */
export function naturalLess(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true, sensitivity: 'variant' }) || (a < b ? -1 : a > b ? 1 : 0);
}
