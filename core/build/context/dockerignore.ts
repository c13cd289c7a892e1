// The .dockerignore file (moby/patternmatcher/ignorefile, which dockerd's builder/dockerignore wraps), the
// context walker's rule for skipping whole directories (moby's archive.TarWithOptions), and the two rules
// that keep the Dockerfile and .dockerignore usable when they are themselves ignored.
import { PatternMatcher, cleanPath, matchesAtPatternDepth, matchesOrParentMatches } from './pattern-matcher.ts';

export const DOCKERIGNORE = '.dockerignore';

/**
 * Where to look for the ignore file, first found wins: BuildKit reads `<Dockerfile>.dockerignore` beside
 * the Dockerfile before the context's `.dockerignore` (the legacy docker CLI reads only the latter).
 * `dockerfile` is the Dockerfile's path relative to the context.
 */
export function dockerignoreCandidates(dockerfile: string): string[] {
  return [`${cleanPath(dockerfile)}.dockerignore`, DOCKERIGNORE];
}

/** One pattern line of a .dockerignore, with its 1-based line number. */
export interface IgnoreLine {
  pattern: string;
  line: number;
}

/**
 * ignorefile.ReadAll with line numbers: `#` comments (only at the very start of a line) and blank lines
 * dropped, spaces trimmed, a UTF-8 BOM dropped, and each pattern cleaned with a leading `/` removed
 * (`/foo/bar` and `./foo/bar` mean `foo/bar`), an `!` kept in front.
 */
export function parseDockerignore(text: string): IgnoreLine[] {
  const out: IgnoreLine[] = [];
  const lines = text.replace(/^\ufeff/, '').split('\n');
  // A final newline does not start another line (bufio.Scanner's ScanLines).
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  lines.forEach((raw, index) => {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.startsWith('#')) return;
    let pattern = line.trim();
    if (pattern === '') return;
    const invert = pattern.startsWith('!');
    if (invert) pattern = pattern.slice(1).trim();
    if (pattern.length > 0) {
      pattern = cleanPath(pattern);
      if (pattern.length > 1 && pattern.startsWith('/')) pattern = pattern.slice(1);
    }
    out.push({ pattern: invert ? '!' + pattern : pattern, line: index + 1 });
  });
  return out;
}

/** ignorefile.ReadAll: the patterns alone, in order. */
export function readDockerignore(text: string): string[] {
  return parseDockerignore(text).map((l) => l.pattern);
}

/** A matcher over a .dockerignore's text; its errors name the file and line (`.dockerignore:3: ...`). */
export function dockerignoreMatcher(text: string, file = DOCKERIGNORE): PatternMatcher {
  return PatternMatcher.create(parseDockerignore(text).map((l) => ({ pattern: l.pattern, at: `${file}:${l.line}` })));
}

/**
 * Whether a walker of the context may skip the excluded directory `dir` (slash-separated, relative to the
 * root) without looking inside: yes unless some `!` exception names a path below it. The rule is textual,
 * as moby's: `!dir/keep` and `!dir/*\/keep` force a descent into `dir`, `!**\/keep` does not. When the walker
 * does descend, the directory entry itself stays excluded and each entry below is matched on its own.
 */
export function canSkipExcludedDirectory(matcher: PatternMatcher, dir: string): boolean {
  if (!matcher.exclusions) return true;
  const prefix = cleanPath(dir) + '/';
  return !matcher.patterns.some((p) => p.exclusion && (p.cleanedPattern + '/').startsWith(prefix));
}

/**
 * The client's side (docker CLI's TrimBuildFilesFromExcludes): the context it sends keeps .dockerignore and
 * the Dockerfile even when the patterns exclude them, by adding `!` exceptions for them. A Dockerfile read
 * from stdin is not in the context, so it gets none. `berth build` applies this before packing the context.
 */
export function keepBuildFiles(excludes: readonly string[], dockerfile: string, dockerfileFromStdin = false): string[] {
  const out = [...excludes];
  if (quietly(() => matchesAtPatternDepth(DOCKERIGNORE, out))) out.push('!' + DOCKERIGNORE);
  if (!dockerfileFromStdin && quietly(() => matchesAtPatternDepth(dockerfile, out))) out.push('!' + dockerfile);
  return out;
}

/**
 * The daemon's side (dockerd's remotecontext removeDockerfile): once the Dockerfile has been read, the
 * files among .dockerignore and the Dockerfile that the context's .dockerignore excludes are removed from
 * the context, so `COPY . .` does not copy them. Returns the paths to remove.
 */
export function buildFilesToRemove(excludes: readonly string[], dockerfile: string): string[] {
  return [DOCKERIGNORE, dockerfile].filter((f) => quietly(() => matchesOrParentMatches(f, excludes)));
}

// Both callers ignore a malformed pattern here (Go's `keep, _ :=`): the walk that follows reports it.
function quietly(match: () => boolean): boolean {
  try {
    return match();
  } catch {
    return false;
  }
}
