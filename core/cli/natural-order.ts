// Go's sortorder.NaturalLess, which docker's CLI sorts names and ports with.

const isDigit = (c: number) => c >= 0x30 && c <= 0x39;

/**
 * Digit runs compare as numbers (fewer leading zeros first when equal), digits sort before other
 * characters, and everything else compares by code unit (`0.0.0.0:80` before `[::]:80`, `B` before
 * `a`): a locale's collation would order punctuation and case differently from docker.
 */
export function naturalLess(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const c1 = a.charCodeAt(i);
    const c2 = b.charCodeAt(j);
    const d1 = isDigit(c1);
    const d2 = isDigit(c2);
    if (d1 !== d2) return d1 ? -1 : 1;
    if (!d1) {
      if (c1 !== c2) return c1 - c2;
      i++;
      j++;
      continue;
    }
    while (i < a.length && a[i] === '0') i++;
    while (j < b.length && b[j] === '0') j++;
    const nz1 = i;
    const nz2 = j;
    while (i < a.length && isDigit(a.charCodeAt(i))) i++;
    while (j < b.length && isDigit(b.charCodeAt(j))) j++;
    if (i - nz1 !== j - nz2) return (i - nz1) - (j - nz2);
    const n1 = a.slice(nz1, i);
    const n2 = b.slice(nz2, j);
    if (n1 !== n2) return n1 < n2 ? -1 : 1;
    if (nz1 !== nz2) return nz1 - nz2;
  }
  // Equal so far: the shorter string first, as Go's; code units settle the rest so sorting is total.
  return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
}
