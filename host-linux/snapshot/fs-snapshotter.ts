// Unpacked layers on disk, one directory per diffID (<root>/<hex>/), ready to be stacked as
// overlayfs lower directories. A layer becomes visible only by an atomic rename after its tar was
// fully extracted and its digest checked, so a crash never leaves half a layer behind; temp and
// half-removed directories from an earlier crash are swept on first use.
import { randomUUID } from 'node:crypto';
import { lstat, mkdir, readFile, readdir, rename, rm, stat, writeFile, chmod } from 'node:fs/promises';
import { join } from 'node:path';
import type { HashFactory } from '../../core/host.ts';
import type { SnapshotInfo, Snapshotter } from '../../core/snapshot/snapshotter.ts';
import { parseDigest, verifyingStream } from '../../core/digest.ts';
import { BerthError } from '../../core/errors.ts';
import { unpackLayer, type UnpackOptions } from './unpack.ts';
import { markTopDirectory } from './top-directory.ts';

const TMP = '.tmp-';
const RM = '.rm-';
const LAYER_DIR = /^(?:[a-f0-9]{64}|[a-f0-9]{128})$/;

export interface FsSnapshotterOptions {
  /** How whiteouts are stored; overlay (the default) for layers stacked with overlayfs. */
  whiteouts?: UnpackOptions['whiteouts'];
  onWarning?: (message: string) => void;
}

export class FsSnapshotter implements Snapshotter {
  readonly root: string;
  #hash: HashFactory;
  #opts: FsSnapshotterOptions;
  #inflight = new Map<string, Promise<SnapshotInfo>>();
  #ready: Promise<void> | undefined;

  constructor(root: string, hash: HashFactory, opts: FsSnapshotterOptions = {}) {
    this.root = root;
    this.#hash = hash;
    this.#opts = opts;
  }

  /** The directory holding the unpacked layer (it exists once prepare() resolved). */
  path(diffID: string): string {
    return join(this.root, parseDigest(diffID).hex);
  }

  async has(diffID: string): Promise<boolean> {
    await this.#init();
    return isDir(this.path(diffID));
  }

  prepare(diffID: string, open: () => Promise<ReadableStream<Uint8Array>>): Promise<SnapshotInfo> {
    try { parseDigest(diffID); } catch (e) { return Promise.reject(e); }
    let p = this.#inflight.get(diffID);
    if (p) return p;
    p = (async () => {
      await this.#init();
      if (await isDir(this.path(diffID))) return this.#info(diffID);
      return this.#unpack(diffID, open);
    })().finally(() => this.#inflight.delete(diffID));
    this.#inflight.set(diffID, p);
    return p;
  }

  async remove(diffID: string): Promise<void> {
    await this.#init();
    const { hex } = parseDigest(diffID);
    await this.#inflight.get(diffID)?.catch(() => {});
    const doomed = join(this.root, `${RM}${hex}-${randomUUID()}`);
    try {
      await rename(this.path(diffID), doomed);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    await rm(join(this.root, `${hex}.json`), { force: true });
    await rm(doomed, { recursive: true, force: true });
  }

  async list(): Promise<SnapshotInfo[]> {
    await this.#init();
    const out: SnapshotInfo[] = [];
    for (const name of await readdir(this.root)) {
      if (!LAYER_DIR.test(name) || !(await isDir(join(this.root, name)))) continue;
      out.push(await this.#info(`${name.length === 64 ? 'sha256' : 'sha512'}:${name}`));
    }
    return out;
  }

  async #unpack(diffID: string, open: () => Promise<ReadableStream<Uint8Array>>): Promise<SnapshotInfo> {
    const { hex } = parseDigest(diffID);
    const tmp = join(this.root, `${TMP}${hex}-${randomUUID()}`);
    await mkdir(tmp);
    await chmod(tmp, 0o755);
    try {
      const tar = (await open()).pipeThrough(verifyingStream(this.#hash, diffID));
      let result;
      try {
        result = await unpackLayer(tar, tmp, { whiteouts: this.#opts.whiteouts ?? 'overlay', onWarning: this.#opts.onWarning });
      } catch (e) {
        if (e instanceof BerthError && e.code === 'digest_mismatch') {
          throw new BerthError('digest_mismatch', `layer ${diffID} was not unpacked: its content does not match its diffID (${e.message})`, { cause: e });
        }
        // The tar reader knows offsets, not which layer of which image it reads.
        if (e instanceof BerthError && e.code === 'invalid_layer' && !e.message.includes(diffID)) {
          throw new BerthError('invalid_layer', `layer ${diffID} was not unpacked: ${e.message}`, { cause: e });
        }
        throw e;
      }
      const info: SnapshotInfo = { diffID, size: result.size };
      // The record first, then the directory: a crash in between leaves a record without a
      // layer, which the start-up sweep removes.
      const record = join(this.root, `${TMP}${hex}-${randomUUID()}.json`);
      await writeFile(record, JSON.stringify(info));
      await rename(record, join(this.root, `${hex}.json`));
      await rename(tmp, this.path(diffID));
      return info;
    } catch (e) {
      await rm(tmp, { recursive: true, force: true });
      throw e;
    }
  }

  async #info(diffID: string): Promise<SnapshotInfo> {
    const { hex } = parseDigest(diffID);
    try {
      const info = JSON.parse(await readFile(join(this.root, `${hex}.json`), 'utf8')) as SnapshotInfo;
      if (info.diffID === diffID && typeof info.size === 'number') return info;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT' && !(e instanceof SyntaxError)) throw e;
    }
    const info = { diffID, size: await apparentSize(this.path(diffID)) };
    await writeFile(join(this.root, `${hex}.json`), JSON.stringify(info));
    return info;
  }

  #init(): Promise<void> {
    this.#ready ??= (async () => {
      await mkdir(this.root, { recursive: true });
      await markTopDirectory(this.root);
      const names = await readdir(this.root);
      const dirs = new Set(names.filter((n) => LAYER_DIR.test(n)));
      await Promise.all(names.map(async (n) => {
        const orphanRecord = n.endsWith('.json') && LAYER_DIR.test(n.slice(0, -5)) && !dirs.has(n.slice(0, -5));
        if (n.startsWith(TMP) || n.startsWith(RM) || orphanRecord) await rm(join(this.root, n), { recursive: true, force: true });
      }));
    })().catch((e) => { this.#ready = undefined; throw e; });
    return this.#ready;
  }
}

async function isDir(p: string): Promise<boolean> {
  try { return (await stat(p)).isDirectory(); } catch { return false; }
}

async function apparentSize(dir: string): Promise<number> {
  let total = 0;
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) total += await apparentSize(p);
    else if (e.isFile()) total += (await lstat(p)).size;
  }
  return total;
}
