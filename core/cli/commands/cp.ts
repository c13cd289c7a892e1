// `berth cp`: files between a container and the host through the archive endpoints, with docker's
// rules for where the copy lands (into an existing directory, or under a new name), `-` for tar
// streams on stdin/stdout, -a (owners) and -L (follow a symlink source).
import { DaemonError } from '../api-client.ts';
import { StatusError, type Command, type CommandContext } from '../command.ts';
import { humanSize } from '../units.ts';

interface PathStat { name: string; size: number; mode: number; mtime: string; linkTarget: string }

/** `C:/path` -> [C, /path]; a local path (may contain ':' after a '/' or '.') -> [undefined, path]. */
export function splitCpArg(arg: string): [string | undefined, string] {
  if (arg.startsWith('/') || arg.startsWith('.')) return [undefined, arg];
  const i = arg.indexOf(':');
  if (i <= 0) return [undefined, arg];
  return [arg.slice(0, i), arg.slice(i + 1)];
}

const DIR_BIT = 0x80000000; // Go's os.ModeDir in the stat header

function decodeStat(h: string | null): PathStat | undefined {
  if (!h) return undefined;
  try {
    return JSON.parse(atob(h)) as PathStat;
  } catch {
    return undefined;
  }
}

const base = (p: string) => p.replace(/\/+$/, '').split('/').pop() || '/';
const parent = (p: string) => {
  const t = p.replace(/\/+$/, '');
  const i = t.lastIndexOf('/');
  return i < 0 ? '.' : i === 0 ? '/' : t.slice(0, i);
};

async function statInContainer(ctx: CommandContext, container: string, path: string): Promise<PathStat | undefined> {
  const api = await ctx.api();
  try {
    const res = await api.request('HEAD', `/containers/${encodeURIComponent(container)}/archive`, { query: { path } });
    return decodeStat(res.headers.get('x-docker-container-path-stat'));
  } catch (e) {
    if (e instanceof DaemonError && e.status === 404 && !/No such container/i.test(e.message)) return undefined;
    throw e;
  }
}

async function fromContainer(ctx: CommandContext, container: string, src: string, dst: string): Promise<void> {
  const api = await ctx.api();
  const res = await api.request('GET', `/containers/${encodeURIComponent(container)}/archive`, { query: { path: src } });
  if (!res.body) return;
  if (dst === '-') {
    const r = res.body.getReader();
    for (;;) {
      const { done, value } = await r.read();
      if (done) return;
      await ctx.host.stdout.write(value);
    }
  }
  const archive = ctx.host.archive;
  if (!archive) throw new StatusError('this berth host cannot copy files', 1);
  const srcStat = decodeStat(res.headers.get('x-docker-container-path-stat'));
  const srcIsDir = !!srcStat && (srcStat.mode & DIR_BIT) !== 0;
  const dstInfo = await archive.stat(dst);
  let dir: string;
  let rename: { from: string; to: string } | undefined;
  if (dstInfo?.isDir) {
    dir = dst;
  } else {
    if (dst.endsWith('/')) {
      await res.body.cancel();
      throw new StatusError(dstInfo ? `Error: destination "${dst}" must be a directory` : `Error: destination directory "${dst}" must exist`, 1);
    }
    if (dstInfo && srcIsDir) {
      await res.body.cancel();
      throw new StatusError('Error: cannot copy a directory to a file', 1);
    }
    const p = parent(dst);
    if (!(await archive.stat(p))?.isDir) {
      await res.body.cancel();
      throw new StatusError(`Error: lstat ${p}: no such file or directory`, 1);
    }
    dir = p;
    rename = { from: srcStat?.name ?? base(src), to: base(dst) };
  }
  const bytes = await archive.extract(dir, res.body, { rename });
  if (ctx.host.stderr.isTTY) await ctx.err(`Successfully copied ${humanSize(bytes)} to ${dst}\n`);
}

async function toContainer(ctx: CommandContext, src: string, container: string, dst: string): Promise<void> {
  const api = await ctx.api();
  const dstStat = await statInContainer(ctx, container, dst);
  const dstIsDir = !!dstStat && (dstStat.mode & DIR_BIT) !== 0;
  let tar: ReadableStream<Uint8Array>;
  let target: string;
  if (src === '-') {
    if (!dstIsDir) throw new StatusError(`Error: destination "${container}:${dst}" must be a directory`, 1);
    tar = ctx.host.stdin.stream();
    target = dst;
  } else {
    const archive = ctx.host.archive;
    if (!archive) throw new StatusError('this berth host cannot copy files', 1);
    const srcInfo = await archive.stat(src);
    if (!srcInfo) throw new StatusError(`lstat ${src}: no such file or directory`, 1);
    if (dstIsDir) {
      tar = archive.pack(src, { followLink: ctx.flags['follow-link'] as boolean });
      target = dst;
    } else {
      if (dst.endsWith('/')) throw new StatusError(`Error: destination directory "${container}:${dst}" must exist`, 1);
      if (dstStat && srcInfo.isDir) throw new StatusError('Error: cannot copy a directory to a file', 1);
      tar = archive.pack(src, { followLink: ctx.flags['follow-link'] as boolean, rename: base(dst) });
      target = parent(dst);
    }
  }
  let bytes = 0;
  const counted = tar.pipeThrough(new TransformStream<Uint8Array, Uint8Array>({ transform(c, ctl) { bytes += c.length; ctl.enqueue(c); } }));
  const res = await api.request('PUT', `/containers/${encodeURIComponent(container)}/archive`, {
    query: { path: target, noOverwriteDirNonDir: 'true', copyUIDGID: ctx.flags.archive ? 'true' : undefined },
    headers: { 'Content-Type': 'application/x-tar' },
    body: counted,
  });
  await res.body?.cancel();
  if (ctx.host.stderr.isTTY) await ctx.err(`Successfully copied ${humanSize(bytes)} to ${container}:${dst}\n`);
}

export const cpCmd = (): Command => ({
  name: 'cp',
  use: '[OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-\n\tberth cp [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH',
  short: 'Copy files/folders between a container and the local filesystem',
  long: "Copy files/folders between a container and the local filesystem\n\nUse '-' as the source to read a tar archive from stdin\nand extract it to a directory destination in a container.\nUse '-' as the destination to stream a tar archive of a\ncontainer source to stdout.",
  aliasesHelp: 'berth container cp, berth cp',
  args: { exact: 2 },
  flags: [
    { name: 'archive', short: 'a', kind: 'bool', usage: 'Archive mode (copy all uid/gid information)' },
    { name: 'follow-link', short: 'L', kind: 'bool', usage: 'Always follow symbol link in SRC_PATH' },
    { name: 'quiet', short: 'q', kind: 'bool', usage: 'Suppress progress output during copy. Progress output is automatically suppressed if no terminal is attached' },
  ],
  run: async (ctx) => {
    const [srcC, src] = splitCpArg(ctx.args[0]!);
    const [dstC, dst] = splitCpArg(ctx.args[1]!);
    if (srcC !== undefined && dstC !== undefined) throw new StatusError('copying between containers is not supported', 1);
    if (srcC === undefined && dstC === undefined) throw new StatusError('must specify at least one container source', 1);
    if (srcC !== undefined) {
      if (!src) throw new StatusError('filepath can not be empty', 1);
      await fromContainer(ctx, srcC, src, dst);
    } else {
      if (!dst) throw new StatusError('filepath can not be empty', 1);
      await toContainer(ctx, src, dstC!, dst);
    }
  },
});
