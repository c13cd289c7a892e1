// Streaming tar reader: one pass over a web ReadableStream, headers parsed as they arrive, bodies
// handed out as zero-copy views of the incoming chunks. It reads what Docker, containerd, GNU tar,
// bsdtar and Go's archive/tar write: ustar, PAX (local and global), GNU long names, base-256
// numbers, star prefixes. It always reads the stream to its very end, padding after the
// end-of-archive blocks included, so a digest computed upstream (the diffID) covers every byte.
import { BerthError } from '../errors.ts';
import {
  BLOCK, decodeUtf8, isZeroBlock, parseHeaderBlock, parsePaxRecords, typeOfFlag, type RawHeader, type TarHeader,
} from './tar-header.ts';

export type { TarHeader, TarEntryType } from './tar-header.ts';

/** A tar entry with its body; the body must be read (or left alone) before the next entry is asked for. */
export interface TarEntry extends TarHeader {
  body: ReadableStream<Uint8Array>;
}

/** PAX and GNU metadata entries bigger than this are refused rather than buffered. */
const MAX_META = 8 * 1024 * 1024;

const EMPTY = new Uint8Array(0);

export class TarReader {
  #reader: ReadableStreamDefaultReader<Uint8Array>;
  #chunks: Uint8Array[] = [];
  #first = 0;
  #avail = 0;
  #ended = false;
  #done = false;
  /** Bytes of the archive consumed so far, for error messages. */
  #offset = 0;
  #remaining = 0;
  #padding = 0;
  #current: TarHeader | undefined;
  #globals = new Map<string, Uint8Array>();

  constructor(stream: ReadableStream<Uint8Array>) {
    this.#reader = stream.getReader();
  }

  /** The entry whose body is being read. */
  get current(): TarHeader | undefined { return this.#current; }

  /** The next entry's header, or null at the end of the archive (after the rest of the stream was read). */
  async next(): Promise<TarHeader | null> {
    await this.#skipBody();
    this.#current = undefined;
    if (this.#done) return null;
    let local: Map<string, Uint8Array> | undefined;
    let longName: string | undefined;
    let longLink: string | undefined;
    for (;;) {
      const at = this.#offset;
      if (!(await this.#fill(BLOCK))) {
        if (this.#avail === 0 && local === undefined && longName === undefined && longLink === undefined) {
          // Go's reader also takes an archive that stops at a block boundary without end blocks.
          this.#done = true;
          return null;
        }
        throw truncated(at);
      }
      const block = this.#take(BLOCK);
      if (isZeroBlock(block)) {
        if (await this.#fill(BLOCK)) {
          const second = this.#take(BLOCK);
          if (!isZeroBlock(second)) throw new BerthError('invalid_layer', `invalid tar archive: a lone zero block at offset ${at}`);
        }
        await this.#drain();
        return null;
      }
      let raw: RawHeader;
      try {
        raw = parseHeaderBlock(block);
      } catch (e) {
        // A bad first header means the stream was never a tar: say that alone, not "corrupt or not a tar".
        if (e instanceof BerthError) {
          e.message = at === 0
            ? `${e.message.replace(' (the layer is corrupt or not a tar archive)', '')} at offset 0 (the layer is not a tar archive)`
            : `${e.message} at offset ${at}`;
        }
        throw e;
      }
      switch (raw.flag) {
        case 0x78: // 'x' PAX for the next entry
          local = parsePaxRecords(await this.#meta(raw, at));
          continue;
        case 0x67: // 'g' PAX for every later entry
          for (const [k, v] of parsePaxRecords(await this.#meta(raw, at))) this.#globals.set(k, v);
          continue;
        case 0x4c: // 'L' GNU long name
          longName = cString(await this.#meta(raw, at));
          continue;
        case 0x4b: // 'K' GNU long link name
          longLink = cString(await this.#meta(raw, at));
          continue;
        case 0x56: // 'V' GNU volume label: not a file
          await this.#discard(raw.size + pad(raw.size));
          continue;
      }
      const header = this.#header(raw, local, longName, longLink, at);
      const hasBody = header.type === 'file' || raw.flag === 0x44;
      this.#remaining = hasBody ? header.size : 0;
      this.#padding = hasBody ? pad(header.size) : 0;
      if (raw.flag === 0x44) { // 'D' GNU dump directory: a directory whose body lists its names
        await this.#skipBody();
        header.size = 0;
      }
      this.#current = header;
      return header;
    }
  }

  /** The next piece of the current entry's body, or null when it is all read. */
  async readChunk(): Promise<Uint8Array | null> {
    if (this.#remaining === 0) return null;
    if (this.#avail === 0 && !(await this.#fill(1))) throw truncated(this.#offset, this.#current?.name);
    const c = this.#chunks[this.#first]!;
    const n = Math.min(c.byteLength, this.#remaining);
    const out = n === c.byteLength ? c : c.subarray(0, n);
    this.#consume(n);
    this.#remaining -= n;
    return out;
  }

  /** The rest of the current entry's body as a list of chunks (views, not copies). */
  async readBody(): Promise<Uint8Array[]> {
    const out: Uint8Array[] = [];
    for (let c = await this.readChunk(); c; c = await this.readChunk()) out.push(c);
    return out;
  }

  /** Stops reading; the source stream is cancelled. */
  async cancel(reason?: unknown): Promise<void> {
    this.#done = true;
    await this.#reader.cancel(reason).catch(() => {});
  }

  #header(raw: RawHeader, local: Map<string, Uint8Array> | undefined, longName: string | undefined,
    longLink: string | undefined, at: number): TarHeader {
    let type = typeOfFlag(raw.flag);
    if (raw.flag === 0x44) type = 'directory';
    let name = longName ?? raw.name;
    if (type === undefined) {
      const flag = String.fromCharCode(raw.flag);
      const what = raw.flag === 0x53 ? 'a GNU sparse file' : `an entry of unsupported type '${flag}'`;
      throw new BerthError('invalid_layer', `unsupported tar entry ${JSON.stringify(name)} at offset ${at}: ${what}`);
    }
    if (raw.flag === 0 && name.endsWith('/')) type = 'directory';
    const h: TarHeader = {
      name, type, mode: raw.mode & 0o7777, uid: raw.uid, gid: raw.gid, uname: raw.uname, gname: raw.gname,
      size: raw.size, mtime: new Date(raw.mtime * 1000), linkname: longLink ?? raw.linkname,
      devmajor: raw.devmajor, devminor: raw.devminor, xattrs: {}, pax: {},
    };
    if (this.#globals.size) applyPax(h, this.#globals, at);
    if (local) applyPax(h, local, at);
    name = h.name;
    if (name === '') throw new BerthError('invalid_layer', `invalid tar header at offset ${at}: empty entry name`);
    if (h.type !== 'file') h.size = 0;
    return h;
  }

  async #meta(raw: RawHeader, at: number): Promise<Uint8Array> {
    if (raw.size > MAX_META) throw new BerthError('invalid_layer', `invalid tar archive: metadata entry of ${raw.size} bytes at offset ${at}`);
    if (!(await this.#fill(raw.size + pad(raw.size)))) throw truncated(at);
    const data = this.#take(raw.size).slice();
    this.#consume(pad(raw.size));
    return data;
  }

  async #skipBody(): Promise<void> {
    const body = this.#remaining;
    const padding = this.#padding;
    this.#remaining = 0;
    this.#padding = 0;
    if (body) await this.#discard(body);
    if (!padding) return;
    // Go's reader takes an archive that ends right after the last body, its padding missing altogether
    // (the docker CLI sends such a context when it adds a Dockerfile from outside it); a part is truncation.
    if (this.#avail === 0 && !(await this.#fill(1))) { this.#done = true; return; }
    await this.#discard(padding);
  }

  async #discard(n: number): Promise<void> {
    while (n > 0) {
      if (this.#avail === 0 && !(await this.#fill(1))) throw truncated(this.#offset, this.#current?.name);
      const k = Math.min(n, this.#avail);
      this.#consume(k);
      n -= k;
    }
  }

  async #drain(): Promise<void> {
    this.#done = true;
    this.#consume(this.#avail);
    while (!this.#ended) {
      const { done, value } = await this.#reader.read();
      if (done) this.#ended = true; else this.#offset += value.byteLength;
    }
  }

  /** Buffers at least `n` bytes; false if the stream ends first. */
  async #fill(n: number): Promise<boolean> {
    while (this.#avail < n) {
      if (this.#ended) return false;
      const { done, value } = await this.#reader.read();
      if (done) { this.#ended = true; return false; }
      if (value.byteLength === 0) continue;
      if (this.#first > 64) { this.#chunks = this.#chunks.slice(this.#first); this.#first = 0; }
      this.#chunks.push(value);
      this.#avail += value.byteLength;
    }
    return true;
  }

  /** `n` buffered bytes as one contiguous array (a view when they sit in one chunk). */
  #take(n: number): Uint8Array {
    if (n === 0) return EMPTY;
    const c = this.#chunks[this.#first]!;
    if (c.byteLength >= n) {
      const out = c.subarray(0, n);
      this.#consume(n);
      return out;
    }
    const out = new Uint8Array(n);
    let off = 0;
    while (off < n) {
      const h = this.#chunks[this.#first]!;
      const k = Math.min(h.byteLength, n - off);
      out.set(k === h.byteLength ? h : h.subarray(0, k), off);
      off += k;
      this.#consume(k);
    }
    return out;
  }

  #consume(n: number): void {
    this.#avail -= n;
    this.#offset += n;
    while (n > 0) {
      const c = this.#chunks[this.#first]!;
      if (n >= c.byteLength) {
        n -= c.byteLength;
        this.#chunks[this.#first++] = EMPTY;
      } else {
        this.#chunks[this.#first] = c.subarray(n);
        n = 0;
      }
    }
  }
}

function pad(n: number): number {
  return (BLOCK - (n % BLOCK)) % BLOCK;
}

function cString(b: Uint8Array): string {
  const nul = b.indexOf(0);
  return decodeUtf8(nul >= 0 ? b.subarray(0, nul) : b);
}

function truncated(at: number, name?: string): BerthError {
  return new BerthError('invalid_layer', `unexpected end of tar archive at offset ${at}${name ? ` (in ${JSON.stringify(name)})` : ''}: the layer is truncated`);
}

function paxNumber(key: string, v: Uint8Array, at: number): number {
  const s = decodeUtf8(v);
  const n = key === 'mtime' ? Number(s) : /^\d+$/.test(s) ? Number(s) : NaN;
  if (!Number.isFinite(n) || (key !== 'mtime' && !Number.isSafeInteger(n))) {
    throw new BerthError('invalid_layer', `invalid tar header at offset ${at}: PAX ${key}=${JSON.stringify(s)}`);
  }
  return n;
}

function applyPax(h: TarHeader, records: Map<string, Uint8Array>, at: number): void {
  for (const [key, v] of records) {
    switch (key) {
      case 'path': h.name = decodeUtf8(v); break;
      case 'linkpath': h.linkname = decodeUtf8(v); break;
      case 'uname': h.uname = decodeUtf8(v); break;
      case 'gname': h.gname = decodeUtf8(v); break;
      case 'uid': h.uid = paxNumber(key, v, at); break;
      case 'gid': h.gid = paxNumber(key, v, at); break;
      case 'size': h.size = paxNumber(key, v, at); break;
      case 'mtime': h.mtime = new Date(paxNumber(key, v, at) * 1000); break;
      case 'SCHILY.devmajor': h.devmajor = paxNumber(key, v, at); break;
      case 'SCHILY.devminor': h.devminor = paxNumber(key, v, at); break;
      default:
        if (key.startsWith('SCHILY.xattr.')) h.xattrs[key.slice(13)] = v;
        else if (key.startsWith('LIBARCHIVE.xattr.')) h.xattrs[decodeURIComponent(key.slice(17))] = base64(decodeUtf8(v));
        else if (key.startsWith('GNU.sparse.')) {
          throw new BerthError('invalid_layer', `unsupported tar entry at offset ${at}: GNU sparse files are not supported`);
        } else h.pax[key] = decodeUtf8(v);
    }
  }
}

function base64(s: string): Uint8Array {
  const bin = atob(s.replace(/=+$/, ''));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/**
 * The entries of a tar stream. Each entry's body stream is valid until the next entry is requested;
 * a body left unread is skipped.
 */
export async function* readTar(stream: ReadableStream<Uint8Array>): AsyncGenerator<TarEntry> {
  const reader = new TarReader(stream);
  let ok = false;
  try {
    for (let h = await reader.next(); h; h = await reader.next()) {
      const header = h;
      let body: ReadableStream<Uint8Array> | undefined;
      const entry = header as TarEntry;
      Object.defineProperty(entry, 'body', {
        enumerable: false,
        get() {
          body ??= new ReadableStream<Uint8Array>({
            async pull(controller) {
              if (reader.current !== header) { controller.error(new Error(`tar entry ${JSON.stringify(header.name)}: body read after the next entry was requested`)); return; }
              const c = await reader.readChunk();
              if (c) controller.enqueue(c); else controller.close();
            },
          }, { highWaterMark: 0 });
          return body;
        },
      });
      yield entry;
    }
    ok = true;
  } finally {
    if (!ok) await reader.cancel();
  }
}
