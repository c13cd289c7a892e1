// The walk over a context directory that decides what is sent, as moby's archive.TarWithOptions walks
// it for the docker CLI: names in Go's byte order, symlinks not followed, every entry matched against
// the .dockerignore patterns with its parent directory's results, an excluded directory skipped whole
// unless a `!` exception names something below it. Unreadable entries are left out, as the tarballer
// logs and skips them; build.ValidateContextDirectory fails on them before anything is sent.
import { BerthError } from '../../errors.ts';
import { byteOrder } from '../../build/context/build-context.ts';
import { canSkipExcludedDirectory, DOCKERIGNORE, dockerignoreCandidates, keepBuildFiles, parseDockerignore } from '../../build/context/dockerignore.ts';
import { PatternMatcher, type MatchInfo, type PatternSource } from '../../build/context/pattern-matcher.ts';
import { joinLocal, type LocalEntry, type LocalTree } from './local-tree.ts';

export interface ContextEntry {
  /** Slash-separated, relative to the context root. */
  rel: string;
  /** The host path. */
  path: string;
  entry: LocalEntry;
}

/**
 * The ignore patterns for a context, each tagged with its file and line for error messages: the first of
 * `<Dockerfile>.dockerignore` and `.dockerignore` that exists (none for a Dockerfile from stdin, which has
 * no place), then the exceptions that keep the Dockerfile and .dockerignore in the context
 * (TrimBuildFilesFromExcludes).
 */
export async function contextExcludes(tree: LocalTree, dir: string, relDockerfile: string): Promise<PatternSource[]> {
  const fromStdin = relDockerfile === '-';
  const candidates = fromStdin ? [DOCKERIGNORE] : dockerignoreCandidates(relDockerfile);
  let sources: Array<{ pattern: string; at: string }> = [];
  for (const candidate of candidates) {
    const path = joinLocal(dir, candidate);
    if (!(await tree.lstat(path))) continue;
    let text: string;
    try {
      text = await new Response(await tree.open(path)).text();
    } catch (e) {
      throw new BerthError('invalid_argument', `error reading ${candidate}: ${(e as Error).message}`);
    }
    sources = parseDockerignore(text).map((l) => ({ pattern: l.pattern, at: `${candidate}:${l.line}` }));
    break;
  }
  const plain = sources.map((s) => s.pattern);
  const kept = keepBuildFiles(plain, relDockerfile, fromStdin).slice(plain.length);
  return [...sources, ...kept];
}

/** The matcher over a context's patterns; a malformed pattern fails as docker's context check does. */
export function contextMatcher(excludes: readonly PatternSource[]): PatternMatcher {
  try {
    return PatternMatcher.create(excludes);
  } catch (e) {
    throw new BerthError('invalid_argument', `error checking context: ${(e as Error).message}`);
  }
}

/** Every entry that goes into the context, in the order the tar holds them. */
export async function* walkContext(tree: LocalTree, dir: string, matcher: PatternMatcher): AsyncGenerator<ContextEntry> {
  yield* walkDirectory(tree, dir, '', matcher, undefined);
}

async function* walkDirectory(tree: LocalTree, root: string, relDir: string, matcher: PatternMatcher, parentInfo: MatchInfo | undefined): AsyncGenerator<ContextEntry> {
  let names: string[];
  try {
    names = await tree.readdir(joinLocal(root, relDir));
  } catch {
    return;
  }
  names.sort(byteOrder);
  for (const name of names) {
    const rel = relDir === '' ? name : `${relDir}/${name}`;
    const path = joinLocal(root, rel);
    let entry: LocalEntry | undefined;
    try {
      entry = await tree.lstat(path);
    } catch {
      continue;
    }
    if (!entry) continue;
    const isDir = entry.kind === 'directory';
    const { matched, info } = matcher.matchesUsingParentResults(rel, parentInfo);
    if (matched) {
      if (isDir && !canSkipExcludedDirectory(matcher, rel)) yield* walkDirectory(tree, root, rel, matcher, info);
      continue;
    }
    yield { rel, path, entry };
    if (isDir) yield* walkDirectory(tree, root, rel, matcher, info);
  }
}

/**
 * build.ValidateContextDirectory: fails before anything is sent when an entry that would go into the
 * context cannot be read. Symlinks and named pipes are not opened (a dangling link is fine).
 */
export async function validateContext(tree: LocalTree, dir: string, matcher: PatternMatcher): Promise<void> {
  for await (const { path, entry } of walkContext(tree, dir, matcher)) {
    if (entry.kind === 'directory' || entry.kind === 'symlink' || entry.kind === 'fifo' || entry.kind === 'socket') continue;
    if (!(await tree.readable(path))) throw new BerthError('invalid_argument', `error checking context: no permission to read from '${path}'`);
  }
}
