// "(did you mean FROM?)": the closest known word to a mistyped one, as BuildKit's suggest package
// offers it, when it is within a couple of edits.
export function suggest(value: string, options: readonly string[], caseSensitive: boolean): string | undefined {
  if (value === '') return undefined;
  const v = caseSensitive ? value : value.toLowerCase();
  let best: string | undefined;
  let bestDistance = Math.min(2, v.length - 1);
  for (const option of options) {
    const o = caseSensitive ? option : option.toLowerCase();
    if (o === v) return option;
    const d = levenshtein(v, o);
    if (d <= bestDistance && (best === undefined || d < levenshtein(v, caseSensitive ? best : best.toLowerCase()))) {
      best = option;
      bestDistance = d;
    }
  }
  return best;
}

/** `message (did you mean X?)` when there is a close match, else the message alone. */
export function withSuggestion(message: string, value: string, options: readonly string[], caseSensitive: boolean): string {
  const match = suggest(value, options, caseSensitive);
  return match === undefined ? message : `${message} (did you mean ${match}?)`;
}

function levenshtein(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row[j] = Math.min((prev[j] as number) + 1, (row[j - 1] as number) + 1, (prev[j - 1] as number) + cost);
    }
    prev = row;
  }
  return prev[b.length] as number;
}
