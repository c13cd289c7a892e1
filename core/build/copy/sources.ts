// Finding COPY/ADD sources in the context as dockerd's calcCopyInfo does: a plain path is followed
// through symlinks without leaving the context (FollowSymlinkInScope), a wildcard path is matched element
// by element over the tree the way filepath.Walk + filepath.Match sees it (symlinked directories are not
// entered), and what matches is then resolved like a plain path.
import { BerthError } from '../../errors.ts';
import { contextPath, joinContextPath, type BuildContext, type ContextStat } from '../context/build-context.ts';
import { cleanPath } from '../context/pattern-matcher.ts';
import { containsWildcards, matchName } from './glob.ts';

/** One source found in the context: where it is after symlinks, and the name it goes by. */
export interface ContextSource {
  /** The path as matched (before symlinks), relative to the context root. */
  matched: string;
  /** The file it resolves to. */
  path: string;
  stat: ContextStat;
}

const MAX_SYMLINKS = 255;

/**
 * The sources one COPY/ADD argument names. A missing plain path fails with dockerd's text; a wildcard
 * that matches nothing gives no sources (the caller decides whether that is an error).
 */
export async function findSources(ctx: BuildContext, source: string): Promise<ContextSource[]> {
  const trimmed = source.replace(/^\/+/, '');
  if (!containsWildcards(trimmed)) {
    const matched = contextPath(trimmed);
    const found = await resolveSource(ctx, matched);
    if (!found) throw new BerthError('invalid_argument', `file not found in build context or excluded by .dockerignore: stat ${trimmed === '' ? '.' : trimmed}: file does not exist`);
    return [{ matched, ...found }];
  }
  const out: ContextSource[] = [];
  for (const matched of await expand(ctx, contextPath(trimmed))) {
    const found = await resolveSource(ctx, matched);
    if (found) out.push({ matched, ...found });
  }
  return out;
}

async function expand(ctx: BuildContext, pattern: string): Promise<string[]> {
  let paths = ['.'];
  for (const element of pattern.split('/')) {
    const next: string[] = [];
    for (const dir of paths) {
      const stat = await ctx.lstat(dir);
      if (stat?.type !== 'directory') continue;
      if (!containsWildcards(element)) {
        const name = unescape(element);
        const p = joinContextPath(dir, name);
        if (await ctx.lstat(p)) next.push(p);
        continue;
      }
      for (const name of await ctx.readdir(dir)) if (matchName(element, name)) next.push(joinContextPath(dir, name));
    }
    paths = next;
  }
  return paths;
}

function unescape(element: string): string {
  return element.replace(/\\(.)/gu, '$1');
}

/** A context path resolved through its symlinks, with what is there. */
async function resolveSource(ctx: BuildContext, path: string): Promise<{ path: string; stat: ContextStat } | undefined> {
  const resolved = await resolveInScope(path, (p) => ctx.lstat(p));
  const stat = resolved === undefined ? undefined : await ctx.lstat(resolved);
  return stat ? { path: resolved!, stat } : undefined;
}

/** Just what symlink resolution needs to know of a path. */
export type LinkStat = (path: string) => Promise<{ type: string; linkname?: string } | undefined>;

/**
 * Follows symlinks along `path` (relative, cleaned) the way FollowSymlinkInScope does: an absolute target
 * starts again at the root and `..` never climbs above it. With `missingOk` a missing element ends the
 * walk and the rest is kept as written (a destination that does not exist yet); otherwise it gives undefined.
 */
export async function resolveInScope(path: string, lstat: LinkStat, missingOk = false): Promise<string | undefined> {
  let pending = path === '.' ? [] : path.split('/');
  let resolved: string[] = [];
  let links = 0;
  while (pending.length > 0) {
    const element = pending.shift()!;
    if (element === '.' || element === '') continue;
    if (element === '..') { resolved.pop(); continue; }
    const stat = await lstat([...resolved, element].join('/'));
    if (!stat) {
      if (!missingOk) return undefined;
      resolved.push(element);
      continue;
    }
    if (stat.type !== 'symlink') { resolved.push(element); continue; }
    if (++links > MAX_SYMLINKS) throw new BerthError('invalid_argument', `too many links in ${path}`);
    const target = stat.linkname ?? '';
    if (target.startsWith('/')) resolved = [];
    pending = [...cleanPath(target).split('/'), ...pending];
  }
  return resolved.length ? resolved.join('/') : '.';
}
