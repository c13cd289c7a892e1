// The metadata store on disk: one file per key in one directory. Keys are percent-encoded into
// file names (so `/`, `..` and the like can never address another path), and every put is a temp
// file + fsync + rename + directory fsync, so a crash leaves the old or the new value.
import { mkdir, open, readFile, readdir, unlink } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { writeFileAtomic } from '../files/atomic-write.ts';
import type { MetadataStore } from '../../core/metadata/kv.ts';
import { BerthError } from '../../core/errors.ts';

// Encoded names never start with '.', so temp files cannot collide with keys.
const TEMP_PREFIX = '.tmp-';
const MAX_NAME = 250;

export function encodeKey(key: string): string {
  if (key === '') throw new BerthError('invalid_argument', 'metadata key must not be empty');
  let out = '';
  for (const byte of new TextEncoder().encode(key)) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9_-]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  if (out.length > MAX_NAME) throw new BerthError('invalid_argument', `metadata key is too long: ${key.slice(0, 80)}...`);
  return out;
}

export function decodeKey(name: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < name.length; i++) {
    if (name[i] === '%') { bytes.push(parseInt(name.slice(i + 1, i + 3), 16)); i += 2; } else bytes.push(name.charCodeAt(i));
  }
  return new TextDecoder().decode(new Uint8Array(bytes));
}

function isEnoent(e: unknown): boolean {
  return (e as NodeJS.ErrnoException)?.code === 'ENOENT';
}

export class FsMetadataStore implements MetadataStore {
  readonly dir: string;
  private ready: Promise<void> | undefined;

  constructor(dir: string) {
    this.dir = dir;
  }

  static async open(dir: string): Promise<FsMetadataStore> {
    const s = new FsMetadataStore(dir);
    await s.init();
    return s;
  }

  private init(): Promise<void> {
    this.ready ??= (async () => {
      await mkdir(this.dir, { recursive: true });
      // Temp files left by a crash are puts that never happened.
      for (const name of await readdir(this.dir)) {
        if (name.startsWith(TEMP_PREFIX)) await unlink(join(this.dir, name)).catch(() => {});
      }
    })();
    return this.ready;
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    const name = encodeKey(key);
    await this.init();
    try {
      return new Uint8Array(await readFile(join(this.dir, name)));
    } catch (e) {
      if (isEnoent(e)) return undefined;
      throw e;
    }
  }

  async put(key: string, value: Uint8Array): Promise<void> {
    const name = encodeKey(key);
    await this.init();
    const tmp = join(this.dir, `${TEMP_PREFIX}${process.pid}-${randomBytes(6).toString('hex')}`);
    await writeFileAtomic(join(this.dir, name), value, { tmp, sync: true });
    await this.syncDir();
  }

  async delete(key: string): Promise<void> {
    const name = encodeKey(key);
    await this.init();
    try {
      await unlink(join(this.dir, name));
    } catch (e) {
      if (isEnoent(e)) return;
      throw e;
    }
    await this.syncDir();
  }

  async keys(prefix = ''): Promise<string[]> {
    await this.init();
    return (await readdir(this.dir))
      .filter((n) => !n.startsWith(TEMP_PREFIX))
      .map(decodeKey)
      .filter((k) => k.startsWith(prefix))
      .sort();
  }

  private async syncDir(): Promise<void> {
    const d = await open(this.dir, 'r');
    try { await d.sync(); } finally { await d.close(); }
  }
}
