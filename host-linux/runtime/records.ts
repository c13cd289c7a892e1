// Container records as dockerd keeps them: <data-root>/containers/<id>/config.v2.json (with
// hostconfig.json beside it), each written atomically (temp file, fsync, rename, fsync dir).
import { mkdir, open, readFile, readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../files/atomic-write.ts';
import type { MetadataStore } from '../../core/metadata/kv.ts';

const ID = /^[a-f0-9]{64}$/;
/** writeAtomic's temp files, named after the writing process. */
const TEMP = /^(?:config\.v2|hostconfig)\.json\.tmp-(\d+)$/;

function writeAtomic(path: string, data: Uint8Array | string): Promise<void> {
  return writeFileAtomic(path, data, { tmp: `${path}.tmp-${process.pid}`, mode: 0o600, sync: true });
}

export class ContainerRecordStore implements MetadataStore {
  constructor(readonly root: string) {}

  private dir(id: string): string {
    if (!ID.test(id)) throw new Error(`not a container ID: ${JSON.stringify(id)}`);
    return join(this.root, id);
  }

  async get(id: string): Promise<Uint8Array | undefined> {
    try { return new Uint8Array(await readFile(join(this.dir(id), 'config.v2.json'))); } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
  }

  async put(id: string, value: Uint8Array): Promise<void> {
    const dir = this.dir(id);
    await mkdir(dir, { recursive: true, mode: 0o710 });
    await writeAtomic(join(dir, 'config.v2.json'), value);
    try {
      const hc = (JSON.parse(new TextDecoder().decode(value)) as { HostConfig?: unknown }).HostConfig;
      if (hc) await writeAtomic(join(dir, 'hostconfig.json'), JSON.stringify(hc));
    } catch { /* the record itself is what counts */ }
    const d = await open(dir, 'r');
    try { await d.sync(); } finally { await d.close(); }
  }

  /** Drops the record only; the runtime removes the rest of the directory. */
  async delete(id: string): Promise<void> {
    for (const f of ['config.v2.json', 'hostconfig.json']) await unlink(join(this.dir(id), f)).catch(() => {});
  }

  /** Every record (the daemon's load at start): crash leftovers in the records' directories are removed on the way. */
  async keys(prefix = ''): Promise<string[]> {
    let names: string[];
    try { names = await readdir(this.root); } catch { return []; }
    const out: string[] = [];
    for (const n of names) {
      if (!ID.test(n) || !n.startsWith(prefix)) continue;
      await this.removeTemps(join(this.root, n));
      if ((await this.get(n)) !== undefined) out.push(n);
    }
    return out.sort();
  }

  /**
   * A daemon killed between writing a record's temp file and renaming it leaves the temp behind (the record before
   * it stays whole). Only this process's own may be in flight.
   */
  private async removeTemps(dir: string): Promise<void> {
    let names: string[];
    try { names = await readdir(dir); } catch { return; }
    for (const n of names) {
      const m = TEMP.exec(n);
      if (m && Number(m[1]) !== process.pid) await unlink(join(dir, n)).catch(() => {});
    }
  }
}
