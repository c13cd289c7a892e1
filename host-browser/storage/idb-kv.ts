// The metadata store over IndexedDB: one object store per kind of record (images, containers,
// layers, the engine's own keys). Each put is its own transaction, so a closed tab leaves the old
// value or the new one, never a torn one.
import type { MetadataStore } from '../../core/metadata/kv.ts';

function done<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error ?? new Error('IndexedDB request failed'));
  });
}

function committed(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error ?? new Error('IndexedDB transaction failed'));
    tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction aborted (is the disk full?)'));
  });
}

/** Opens database `name` with these object stores, creating the ones it lacks. */
export async function openDatabase(name: string, stores: readonly string[]): Promise<IDBDatabase> {
  if (typeof indexedDB === 'undefined') throw new Error('this browser has no IndexedDB; berth needs it to keep image metadata');
  const probe = letGo(await done(indexedDB.open(name)));
  const missing = stores.filter((s) => !probe.objectStoreNames.contains(s));
  if (!missing.length) return probe;
  const version = probe.version + 1;
  probe.close();
  const req = indexedDB.open(name, version);
  req.onupgradeneeded = () => { for (const s of missing) req.result.createObjectStore(s); };
  return letGo(await done(req));
}

/** Another tab that needs a newer version of the database gets it: this connection closes. */
function letGo(db: IDBDatabase): IDBDatabase {
  db.onversionchange = () => db.close();
  return db;
}

export class IdbMetadataStore implements MetadataStore {
  constructor(private readonly db: IDBDatabase, private readonly store: string) {}

  async get(key: string): Promise<Uint8Array | undefined> {
    const v = await done(this.db.transaction(this.store, 'readonly').objectStore(this.store).get(key)) as unknown;
    return v instanceof Uint8Array ? v : v instanceof ArrayBuffer ? new Uint8Array(v) : undefined;
  }

  async put(key: string, value: Uint8Array): Promise<void> {
    const tx = this.db.transaction(this.store, 'readwrite');
    // structured clone copies the bytes: a caller changing its buffer later changes nothing here
    tx.objectStore(this.store).put(value, key);
    await committed(tx);
  }

  async delete(key: string): Promise<void> {
    const tx = this.db.transaction(this.store, 'readwrite');
    tx.objectStore(this.store).delete(key);
    await committed(tx);
  }

  async keys(prefix = ''): Promise<string[]> {
    const os = this.db.transaction(this.store, 'readonly').objectStore(this.store);
    const range = prefix ? IDBKeyRange.bound(prefix, `${prefix}\uffff`) : undefined;
    const keys = await done(os.getAllKeys(range));
    return keys.map(String).filter((k) => k.startsWith(prefix)).sort();
  }
}
