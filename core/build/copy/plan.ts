// What one COPY or ADD puts into its layer, decided before a byte is copied: the builder needs the
// content checksum (the cache key) first and the layer only on a cache miss. The rules are dockerd's
// copier (builder/dockerfile/copy.go): a directory source copies its contents, several sources need a
// destination ending in `/`, a file onto a directory keeps its name, the destination is relative to
// WORKDIR, missing parents are created 0755 and owned by the --chown owner.
import { BerthError } from '../../errors.ts';
import type { Codecs, Fetch, HashFactory } from '../../host.ts';
import type { AddInstruction, CopyInstruction } from '../dockerfile/instructions.ts';
import { byteOrder, bytesStream, joinContextPath, type BuildContext, type ContextStat } from '../context/build-context.ts';
import { cleanPath, parentPath, PatternMatcher } from '../context/pattern-matcher.ts';
import { openArchive } from './archive.ts';
import { parseChmod, parseChown, type EtcFileReader, type Identity } from './ownership.ts';
import { fetchRemoteSource, isGitSource, isRemoteSource } from './remote-source.ts';
import { findSources, resolveInScope, type ContextSource } from './sources.ts';
import type { TarEntryType } from '../../layer/tar-header.ts';

/** A path in the image being built, as the builder's rootfs knows it. */
export interface DestStat {
  type: TarEntryType;
  mode: number;
  uid: number;
  gid: number;
  mtime: Date;
  /** A symlink's target: the destination is followed through it, as dockerd resolves it in the container. */
  linkname?: string;
}

export interface CopyOptions {
  /** Where sources come from: the build context, or a stage's or image's root filesystem for --from. */
  context: BuildContext;
  /** The stage's WORKDIR (absolute); relative destinations are taken from it. */
  workdir: string;
  hash: HashFactory;
  /** Needed to unpack gzip and zstd archives for ADD. */
  codecs?: Codecs;
  /** Needed for ADD <url>. */
  fetch?: Fetch;
  /** The image's /etc/passwd and /etc/group, for --chown names. */
  readEtc?: EtcFileReader;
  /** The path (absolute) in the image so far; without it the image is taken to be empty. */
  lookupDest?: (path: string) => Promise<DestStat | undefined>;
  /** COPY --from without --chown keeps owners, as dockerd does; otherwise files belong to root. */
  preserveOwnership?: boolean;
  /** SOURCE_DATE_EPOCH in seconds: later mtimes are clamped to it. */
  sourceDateEpoch?: number;
  /** The mtime of directories the copy creates (clamped too); the Unix epoch when not given. */
  now?: Date;
}

export type PlanContent =
  | { kind: 'none' }
  | { kind: 'context'; path: string }
  | { kind: 'bytes'; data: Uint8Array };

/** One entry of the layer, with the metadata it will have there. */
export interface PlanEntry extends Omit<ContextStat, 'type'> {
  /** Where it goes in the layer: no leading slash. */
  path: string;
  /** 'archive': the tar at `content` unpacked into `path`. */
  type: ContextStat['type'] | 'archive';
  content: PlanContent;
}

export interface CopyPlan {
  /** Parents before children, in a fixed order, so the same inputs give the same layer. */
  entries: PlanEntry[];
  /** The source context, read again when the layer is written. */
  context: BuildContext;
  codecs: Codecs | undefined;
  sourceDateEpoch: number | undefined;
}

interface Ctx {
  options: CopyOptions;
  entries: Map<string, PlanEntry>;
  identity: Identity | undefined;
  chmod: number | undefined;
  created: Date;
  clamp: (d: Date) => Date;
}

export async function planCopy(inst: CopyInstruction | AddInstruction, options: CopyOptions): Promise<CopyPlan> {
  const chmod = parseChmod(inst.chmod);
  const identity = await parseChown(inst.chown, options.readEtc);
  const epoch = options.sourceDateEpoch;
  const clamp = clampToEpoch(epoch);
  const ctx: Ctx = { options, entries: new Map(), identity, chmod, created: clamp(options.now ?? new Date(0)), clamp };
  if (inst.kind === 'add' && inst.checksum !== '' && inst.sources.some((s) => !isRemoteSource(s))) {
    throw new BerthError('invalid_argument', "checksum can't be specified for non-HTTP(S) sources");
  }

  const dest = normalizeDest(options.workdir, inst.dest);
  const lookup = options.lookupDest;
  // Merged-/usr images have /bin, /lib and /sbin as symlinks: what is copied there lands in /usr.
  if (lookup) dest.path = '/' + (await resolveInScope(dest.path.slice(1) || '.', (p) => lookup('/' + p), true))!.replace(/^\.$/, '');
  const items = await collectSources(inst, options, dest, ctx.created);

  const matcher = PatternMatcher.create(inst.excludes);
  for (const item of items) await placeItem(ctx, inst, item, dest, matcher);

  for (const path of [...ctx.entries.keys()]) await ensureParents(ctx, path);
  const entries = [...ctx.entries.values()].sort((a, b) => comparePaths(a.path, b.path) || (a.type === 'archive' ? 1 : 0) - (b.type === 'archive' ? 1 : 0));
  return { entries, context: options.context, codecs: options.codecs, sourceDateEpoch: epoch };
}

/** SOURCE_DATE_EPOCH (seconds) as a clamp: a later time becomes the epoch; without one, times stay. */
export function clampToEpoch(epoch: number | undefined): (d: Date) => Date {
  return (d) => (epoch !== undefined && d.getTime() > epoch * 1000 ? new Date(epoch * 1000) : d);
}

/** What the sources name, in order: files and directories of the context, downloads, heredocs. */
async function collectSources(inst: CopyInstruction | AddInstruction, options: CopyOptions, dest: { isDir: boolean }, created: Date): Promise<Item[]> {
  const name = inst.kind === 'copy' ? 'COPY' : 'ADD';
  const checksum = inst.kind === 'add' ? inst.checksum : '';
  const items: Item[] = [];
  let wildcardMissed = false;
  for (const source of inst.sources) {
    if (isRemoteSource(source) || isGitSource(source)) {
      if (inst.kind === 'copy') throw new BerthError('invalid_argument', 'COPY failed: source can\'t be a URL for COPY');
      if (isGitSource(source)) throw new BerthError('unsupported', `ADD failed: git sources are not supported: ${source}`);
      const file = await fetchRemoteSource(source, options.fetch, checksum, options.hash);
      // dockerd names a file it cannot name __unnamed__, which only a destination file name hides.
      if (file.name === '' && dest.isDir) throw new BerthError('invalid_argument', `ADD failed: cannot determine filename for source ${source}`);
      // Without Last-Modified dockerd leaves Go's zero time, which Chtimes turns into the Unix epoch.
      items.push({ kind: 'remote', source, name: file.name || '__unnamed__', data: file.data, mtime: file.mtime ?? new Date(0) });
      continue;
    }
    let found: ContextSource[];
    try {
      found = await findSources(options.context, source);
    } catch (e) {
      if (e instanceof BerthError) throw new BerthError(e.code, `${name} failed: ${e.message}`, { cause: e });
      throw e;
    }
    if (found.length === 0) wildcardMissed = true;
    for (const f of found) items.push({ kind: 'context', source, found: f });
  }
  for (const file of inst.sourceContents) {
    items.push({ kind: 'remote', source: file.name, name: file.name, data: new TextEncoder().encode(file.data), mtime: created, heredoc: true });
  }
  if (items.length === 0 && wildcardMissed) throw new BerthError('invalid_argument', `${name} failed: no source files were specified`);
  // dockerd counts what the sources matched, not how many were written.
  if (items.length > 1 && !dest.isDir) {
    throw new BerthError('invalid_argument', `When using ${name} with more than one source file, the destination must be a directory and end with a /`);
  }
  return items;
}

/** Where one source goes: a directory's contents, an unpacked archive, or a file. */
async function placeItem(ctx: Ctx, inst: CopyInstruction | AddInstruction, item: Item, dest: { path: string; isDir: boolean }, matcher: PatternMatcher): Promise<void> {
  const parents = inst.kind === 'copy' && inst.parents;
  if (item.kind === 'remote') {
    // BuildKit unpacks a URL's archive only when asked to (--unpack); heredocs never.
    if (inst.kind === 'add' && inst.unpack === true && !item.heredoc) {
      const tar = await openArchive(bytesStream(item.data), item.source, ctx.options.codecs);
      if (tar) {
        await tar.cancel();
        await addArchive(ctx, dest.path, item.source, { kind: 'bytes', data: item.data });
        return;
      }
    }
    const target = await fileTarget(ctx, dest, item.name);
    addEntry(ctx, target, {
      type: 'file', mode: ctx.chmod ?? (item.heredoc ? 0o644 : 0o600), ...owner(ctx, { uid: 0, gid: 0 }), size: item.data.byteLength,
      mtime: ctx.clamp(item.mtime), content: { kind: 'bytes', data: item.data },
    });
    return;
  }
  const { found } = item;
  const base = found.matched === '.' ? '' : found.matched.slice(found.matched.lastIndexOf('/') + 1);
  const rel = parents ? parentsPath(item.source, found.matched) : undefined;
  if (found.stat.type === 'directory') {
    const dir = rel ? joinAbs(dest.path, rel) : dest.path;
    await ensureDir(ctx, dir);
    await walk(ctx, found.path, dir, '', matcher);
    return;
  }
  if (matcher.patterns.length > 0 && matcher.matchesOrParentMatches(base)) return;
  if (inst.kind === 'add' && inst.unpack !== false) {
    const tar = await openArchive(await ctx.options.context.read(found.path), found.path, ctx.options.codecs);
    if (tar) {
      await tar.cancel();
      await addArchive(ctx, rel ? joinAbs(dest.path, parentPath(rel)) : dest.path, found.path, { kind: 'context', path: found.path });
      return;
    }
  }
  const target = rel ? joinAbs(dest.path, rel) : await fileTarget(ctx, dest, base);
  addSourceEntry(ctx, found.path, found.stat, target);
}

type Item =
  | { kind: 'context'; source: string; found: ContextSource }
  | { kind: 'remote'; source: string; name: string; data: Uint8Array; mtime: Date; heredoc?: boolean };

/** dockerd's normalizeDest, with BuildKit's reading of `.` and `x/.` as directories. */
export function normalizeDest(workdir: string, dest: string): { path: string; isDir: boolean } {
  const isDir = dest.endsWith('/') || dest === '.' || dest === '' || dest.endsWith('/.');
  const path = cleanPath(dest.startsWith('/') ? dest : `/${workdir}/${dest}`);
  return { path, isDir };
}

/** A file lands in the destination, or inside it when it ends in `/` or is a directory in the image. */
async function fileTarget(ctx: Ctx, dest: { path: string; isDir: boolean }, name: string): Promise<string> {
  if (dest.isDir) return joinAbs(dest.path, name);
  const existing = ctx.entries.get(layerPath(dest.path)) ?? await ctx.options.lookupDest?.(dest.path);
  return existing?.type === 'directory' ? joinAbs(dest.path, name) : dest.path;
}

/** --parents: the path below the context root, or below a `/./` pivot in the source. */
function parentsPath(source: string, matched: string): string {
  const pivot = source.replace(/^\/+/, '').indexOf('/./');
  if (pivot < 0) return matched;
  const prefix = cleanPath(source.replace(/^\/+/, '').slice(0, pivot));
  return matched.startsWith(prefix + '/') ? matched.slice(prefix.length + 1) : matched;
}

async function walk(ctx: Ctx, dir: string, destDir: string, rel: string, matcher: PatternMatcher): Promise<void> {
  const { context } = ctx.options;
  for (const name of await context.readdir(dir)) {
    const relPath = rel === '' ? name : `${rel}/${name}`;
    const src = joinContextPath(dir, name);
    const stat = await context.lstat(src);
    if (!stat) continue;
    const excluded = matcher.patterns.length > 0 && matcher.matchesOrParentMatches(relPath);
    // With `!` exceptions something below an excluded directory may come back.
    if (excluded && (stat.type !== 'directory' || !matcher.exclusions)) continue;
    const target = joinAbs(destDir, name);
    if (!excluded) addSourceEntry(ctx, src, stat, target);
    if (stat.type === 'directory') await walk(ctx, src, target, relPath, matcher);
  }
}

function addSourceEntry(ctx: Ctx, src: string, stat: ContextStat, target: string): void {
  const mode = ctx.chmod ?? stat.mode & 0o7777;
  addEntry(ctx, target, {
    type: stat.type, mode, ...owner(ctx, stat), size: stat.type === 'file' ? stat.size : 0, mtime: ctx.clamp(stat.mtime),
    linkname: stat.linkname, devmajor: stat.devmajor, devminor: stat.devminor,
    content: stat.type === 'file' ? { kind: 'context', path: src } : { kind: 'none' },
  });
}

function owner(ctx: Ctx, source: { uid: number; gid: number }): Identity {
  if (ctx.identity) return ctx.identity;
  return ctx.options.preserveOwnership ? { uid: source.uid, gid: source.gid } : { uid: 0, gid: 0 };
}

type EntryInit = Omit<PlanEntry, 'path' | 'linkname' | 'devmajor' | 'devminor'> & Partial<Pick<PlanEntry, 'linkname' | 'devmajor' | 'devminor'>>;

function addEntry(ctx: Ctx, absPath: string, init: EntryInit, archiveDir?: string): void {
  const key = layerPath(absPath);
  const path = archiveDir !== undefined ? layerPath(archiveDir) : key;
  if (path === '' && init.type !== 'archive') throw new BerthError('invalid_argument', 'cannot copy to the root directory as a file');
  // A later source replaces an earlier one at the same path, as copying them in order would.
  ctx.entries.delete(key);
  ctx.entries.set(key, { linkname: '', devmajor: 0, devminor: 0, ...init, path });
}

async function addArchive(ctx: Ctx, dir: string, source: string, content: PlanContent): Promise<void> {
  await ensureDir(ctx, dir);
  addEntry(ctx, `${dir}/\0archive:${source}`, { type: 'archive', mode: 0, uid: 0, gid: 0, size: 0, mtime: ctx.created, content }, dir);
}

/** The destination directory of a directory source: kept as the image has it, else created. */
async function ensureDir(ctx: Ctx, absDir: string): Promise<void> {
  const key = layerPath(absDir);
  if (key === '' || ctx.entries.has(key)) return;
  const existing = await ctx.options.lookupDest?.(absDir);
  if (existing && existing.type !== 'directory') {
    throw new BerthError('invalid_argument', `cannot copy to non-directory: ${absDir}`);
  }
  ctx.entries.set(key, existing
    ? { path: key, type: 'directory', mode: existing.mode, uid: existing.uid, gid: existing.gid, size: 0, mtime: existing.mtime, linkname: '', devmajor: 0, devminor: 0, content: { kind: 'none' } }
    : { path: key, type: 'directory', mode: 0o755, ...(ctx.identity ?? { uid: 0, gid: 0 }), size: 0, mtime: ctx.created, linkname: '', devmajor: 0, devminor: 0, content: { kind: 'none' } });
}

async function ensureParents(ctx: Ctx, key: string): Promise<void> {
  const path = ctx.entries.get(key)!.path;
  const parent = ctx.entries.get(key)!.type === 'archive' ? path : parentPath(path);
  if (parent === '.' || parent === '') return;
  await ensureDir(ctx, '/' + parent);
  await ensureParents(ctx, parent);
}

function layerPath(abs: string): string {
  return cleanPath(abs).replace(/^\/+/, '');
}

function joinAbs(dir: string, name: string): string {
  return cleanPath(`${dir}/${name}`);
}

/** Element by element, so a directory sorts before everything below it. */
export function comparePaths(a: string, b: string): number {
  const pa = a.split('/');
  const pb = b.split('/');
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    const c = byteOrder(pa[i]!, pb[i]!);
    if (c !== 0) return c;
  }
  return pa.length - pb.length;
}
