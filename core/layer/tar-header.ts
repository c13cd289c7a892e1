// berth's model of a tar entry and the 512-byte header blocks that carry it (POSIX ustar, PAX,
// GNU and star variants), for both reading and writing. modern-tar's own header code is not used
// because it drops device numbers and decodes PAX values as UTF-8, which corrupts binary xattrs
// such as security.capability; everything else about the format follows it and Go's archive/tar.
import { BerthError } from '../errors.ts';

export type TarEntryType =
  | 'file' | 'directory' | 'symlink' | 'hardlink' | 'character-device' | 'block-device' | 'fifo';

export interface TarHeader {
  /** The member name as written in the archive (directories may end in '/'; may start with './'). */
  name: string;
  type: TarEntryType;
  /** Permission bits including setuid (0o4000), setgid (0o2000) and sticky (0o1000). */
  mode: number;
  uid: number;
  gid: number;
  uname: string;
  gname: string;
  /** Bytes of body; 0 for everything but files. */
  size: number;
  mtime: Date;
  /** Target of a symlink, or the member name a hardlink refers to. */
  linkname: string;
  devmajor: number;
  devminor: number;
  /** Extended attributes (PAX `SCHILY.xattr.*`), values as raw bytes. */
  xattrs: Record<string, Uint8Array>;
  /** Other PAX records of this entry that berth does not interpret. */
  pax: Record<string, string>;
}

export const BLOCK = 512;

const TYPE_FLAGS: Record<TarEntryType, number> = {
  file: 0x30, hardlink: 0x31, symlink: 0x32, 'character-device': 0x33, 'block-device': 0x34,
  directory: 0x35, fifo: 0x36,
};

const utf8 = new TextEncoder();
const utf8d = new TextDecoder();

// ---------------------------------------------------------------- reading

/** What one raw header block says, before PAX and GNU long-name records are applied. */
export interface RawHeader {
  name: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  flag: number;
  linkname: string;
  uname: string;
  gname: string;
  devmajor: number;
  devminor: number;
}

export function isZeroBlock(b: Uint8Array): boolean {
  for (let i = 0; i < BLOCK; i++) if (b[i] !== 0) return false;
  return true;
}

function readString(b: Uint8Array, off: number, len: number): string {
  let end = off;
  const max = off + len;
  while (end < max && b[end] !== 0) end++;
  if (end === off) return '';
  // Almost every name is ASCII; decoding those by hand avoids TextDecoder's per-call cost.
  let ascii = true;
  for (let i = off; i < end; i++) if (b[i]! > 0x7f) { ascii = false; break; }
  if (ascii) return String.fromCharCode.apply(null, b.subarray(off, end) as unknown as number[]);
  return utf8d.decode(b.subarray(off, end));
}

/** Octal (space or NUL padded) or GNU base-256 (high bit set), as Go's archive/tar reads them. */
export function readNumber(b: Uint8Array, off: number, len: number, field: string): number {
  const first = b[off]!;
  if (first & 0x80) {
    const negative = (first & 0x40) !== 0;
    let v = 0;
    for (let i = 0; i < len; i++) {
      let byte = b[off + i]!;
      if (negative) byte ^= 0xff;
      if (i === 0) byte &= 0x7f;
      v = v * 256 + byte;
    }
    if (!Number.isSafeInteger(v)) throw badHeader(`${field} is too large`);
    return negative ? -v - 1 : v;
  }
  let i = off;
  const end = off + len;
  while (i < end && (b[i] === 0x20 || b[i] === 0)) i++; // leading padding
  let v = 0;
  let digits = 0;
  for (; i < end; i++) {
    const c = b[i]!;
    if (c === 0 || c === 0x20) break;
    if (c < 0x30 || c > 0x37) throw badHeader(`${field} is not an octal number`);
    v = v * 8 + (c - 0x30);
    digits++;
  }
  for (; i < end; i++) if (b[i] !== 0 && b[i] !== 0x20) throw badHeader(`${field} has trailing garbage`);
  return digits ? v : 0;
}

function badHeader(what: string): BerthError {
  return new BerthError('invalid_layer', `invalid tar header: ${what}`);
}

/** True when the block's checksum matches, computed either unsigned (POSIX) or signed (old Sun tar). */
export function checksumOk(b: Uint8Array): boolean {
  let stored: number;
  try { stored = readNumber(b, 148, 8, 'checksum'); } catch { return false; }
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const c = i >= 148 && i < 156 ? 0x20 : b[i]!;
    unsigned += c;
    signed += c > 0x7f ? c - 256 : c;
  }
  return stored === unsigned || stored === signed;
}

export function parseHeaderBlock(b: Uint8Array): RawHeader {
  if (!checksumOk(b)) throw badHeader('checksum mismatch (the layer is corrupt or not a tar archive)');
  const magic = readString(b, 257, 6);
  const version0 = b[263];
  const ustar = magic === 'ustar' && version0 === 0x30;
  const gnu = magic === 'ustar ';
  let name = readString(b, 0, 100);
  if (ustar) {
    // star puts a 131-byte prefix followed by atime/ctime and "tar\0" at the end of the block.
    const star = b[508] === 0x74 && b[509] === 0x61 && b[510] === 0x72 && b[511] === 0;
    const prefix = readString(b, 345, star ? 131 : 155);
    if (prefix) name = `${prefix}/${name}`;
  }
  const hasOwners = ustar || gnu;
  return {
    name,
    mode: readNumber(b, 100, 8, 'mode'),
    uid: readNumber(b, 108, 8, 'uid'),
    gid: readNumber(b, 116, 8, 'gid'),
    size: readNumber(b, 124, 12, 'size'),
    mtime: readNumber(b, 136, 12, 'mtime'),
    flag: b[156]!,
    linkname: readString(b, 157, 100),
    uname: hasOwners ? readString(b, 265, 32) : '',
    gname: hasOwners ? readString(b, 297, 32) : '',
    devmajor: hasOwners ? readNumber(b, 329, 8, 'devmajor') : 0,
    devminor: hasOwners ? readNumber(b, 337, 8, 'devminor') : 0,
  };
}

/** PAX records with values kept as bytes, because xattr values are binary. */
export function parsePaxRecords(data: Uint8Array): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  let off = 0;
  while (off < data.byteLength) {
    if (data[off] === 0) break; // some writers NUL-pad the record block
    let sp = off;
    let len = 0;
    while (sp < data.byteLength && data[sp]! >= 0x30 && data[sp]! <= 0x39) { len = len * 10 + data[sp]! - 0x30; sp++; }
    if (sp === off || data[sp] !== 0x20 || len <= sp - off + 1 || off + len > data.byteLength || data[off + len - 1] !== 0x0a) {
      throw badHeader('malformed PAX record');
    }
    const rec = data.subarray(sp + 1, off + len - 1);
    const eq = rec.indexOf(0x3d);
    if (eq <= 0) throw badHeader('malformed PAX record (no key)');
    out.set(utf8d.decode(rec.subarray(0, eq)), rec.slice(eq + 1));
    off += len;
  }
  return out;
}

export function decodeUtf8(b: Uint8Array): string {
  return utf8d.decode(b);
}

// ---------------------------------------------------------------- writing

/** What a writer must say about an entry; everything else has a reproducible default. */
export interface TarHeaderInit {
  name: string;
  type?: TarEntryType;
  /** Defaults to 0o644 for files, 0o755 for directories, 0o777 for symlinks. */
  mode?: number;
  uid?: number;
  gid?: number;
  uname?: string;
  gname?: string;
  /** Required for files whose body is a stream. */
  size?: number;
  /** Defaults to the Unix epoch, so archives are reproducible. */
  mtime?: Date;
  linkname?: string;
  devmajor?: number;
  devminor?: number;
  xattrs?: Record<string, Uint8Array | string>;
  pax?: Record<string, string>;
}

const MAX_OCTAL_8 = 0o7777777;
const MAX_OCTAL_12 = 0o77777777777;

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}

function fits(s: string, len: number): boolean {
  return s.length <= len && isAscii(s);
}

function writeString(b: Uint8Array, off: number, len: number, s: string): void {
  const bytes = utf8.encode(s);
  b.set(bytes.subarray(0, len), off);
}

function writeOctal(b: Uint8Array, off: number, len: number, v: number): void {
  const s = Math.max(0, Math.floor(v)).toString(8).padStart(len - 1, '0');
  for (let i = 0; i < len - 1; i++) b[off + i] = s.charCodeAt(i);
  b[off + len - 1] = 0;
}

/** GNU base-256, for numbers octal cannot hold where PAX has no key (device numbers). */
function writeNumber(b: Uint8Array, off: number, len: number, v: number): void {
  if (v >= 0 && v <= 8 ** (len - 1) - 1) { writeOctal(b, off, len, v); return; }
  let x = v;
  for (let i = len - 1; i > 0; i--) { b[off + i] = x % 256; x = Math.floor(x / 256); }
  b[off] = 0x80;
}

function paxRecord(key: string, value: Uint8Array): Uint8Array {
  // The length prefix counts itself, so find the fixed point.
  const n = utf8.encode(` ${key}=`).byteLength + value.byteLength + 1;
  let total = n + String(n).length;
  total = n + String(total).length;
  const head = utf8.encode(`${total} ${key}=`);
  const out = new Uint8Array(total);
  out.set(head, 0);
  out.set(value, head.byteLength);
  out[total - 1] = 0x0a;
  return out;
}

function splitUstar(name: string): { prefix: string; name: string } | undefined {
  if (!isAscii(name) || name.length > 256) return undefined;
  for (let i = name.length - 1; i > 0; i--) {
    if (name[i] !== '/') continue;
    const prefix = name.slice(0, i);
    const rest = name.slice(i + 1);
    if (prefix.length <= 155 && rest.length <= 100 && rest.length > 0) return { prefix, name: rest };
  }
  return undefined;
}

function ustarBlock(h: {
  name: string; prefix: string; mode: number; uid: number; gid: number; size: number; mtime: number;
  flag: number; linkname: string; uname: string; gname: string; devmajor: number; devminor: number;
}): Uint8Array {
  const b = new Uint8Array(BLOCK);
  writeString(b, 0, 100, h.name);
  writeOctal(b, 100, 8, h.mode);
  writeOctal(b, 108, 8, h.uid);
  writeOctal(b, 116, 8, h.gid);
  writeOctal(b, 124, 12, h.size);
  writeOctal(b, 136, 12, h.mtime);
  b[156] = h.flag;
  writeString(b, 157, 100, h.linkname);
  b.set([0x75, 0x73, 0x74, 0x61, 0x72, 0x00, 0x30, 0x30], 257); // "ustar\0" "00"
  writeString(b, 265, 32, h.uname);
  writeString(b, 297, 32, h.gname);
  writeNumber(b, 329, 8, h.devmajor);
  writeNumber(b, 337, 8, h.devminor);
  writeString(b, 345, 155, h.prefix);
  b.fill(0x20, 148, 156);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += b[i]!;
  writeOctal(b, 148, 7, sum); // six digits, NUL, then the space already there
  return b;
}

function padding(n: number): number {
  return (BLOCK - (n % BLOCK)) % BLOCK;
}

/**
 * The header blocks for one entry: a PAX extended header when ustar cannot hold a field (long or
 * non-ASCII names, big ids or sizes, xattrs), then the ustar block.
 */
export function encodeHeader(init: TarHeaderInit): Uint8Array[] {
  const type = init.type ?? 'file';
  let name = init.name;
  if (type === 'directory' && !name.endsWith('/')) name += '/';
  const size = type === 'file' ? init.size ?? 0 : 0;
  if (!Number.isSafeInteger(size) || size < 0) throw new BerthError('invalid_argument', `invalid tar entry size ${size} for ${JSON.stringify(name)}`);
  const mode = (init.mode ?? (type === 'directory' ? 0o755 : type === 'symlink' ? 0o777 : 0o644)) & 0o7777;
  const uid = init.uid ?? 0;
  const gid = init.gid ?? 0;
  const uname = init.uname ?? '';
  const gname = init.gname ?? '';
  const linkname = init.linkname ?? '';
  const mtime = Math.floor((init.mtime?.getTime() ?? 0) / 1000);

  const pax: [string, Uint8Array][] = [];
  let fieldName = name;
  let prefix = '';
  if (!fits(name, 100)) {
    const split = splitUstar(name);
    if (split) ({ prefix, name: fieldName } = split);
    else { pax.push(['path', utf8.encode(name)]); fieldName = asciiPrefix(name, 100); }
  }
  let fieldLink = linkname;
  if (!fits(linkname, 100)) { pax.push(['linkpath', utf8.encode(linkname)]); fieldLink = asciiPrefix(linkname, 100); }
  let fieldUname = uname;
  if (!fits(uname, 32)) { pax.push(['uname', utf8.encode(uname)]); fieldUname = asciiPrefix(uname, 32); }
  let fieldGname = gname;
  if (!fits(gname, 32)) { pax.push(['gname', utf8.encode(gname)]); fieldGname = asciiPrefix(gname, 32); }
  if (uid > MAX_OCTAL_8) pax.push(['uid', utf8.encode(String(uid))]);
  if (gid > MAX_OCTAL_8) pax.push(['gid', utf8.encode(String(gid))]);
  if (size > MAX_OCTAL_12) pax.push(['size', utf8.encode(String(size))]);
  if (mtime < 0 || mtime > MAX_OCTAL_12) pax.push(['mtime', utf8.encode(String(mtime))]);
  for (const key of Object.keys(init.xattrs ?? {}).sort()) {
    const v = init.xattrs![key]!;
    pax.push([`SCHILY.xattr.${key}`, typeof v === 'string' ? utf8.encode(v) : v]);
  }
  for (const [k, v] of Object.entries(init.pax ?? {})) pax.push([k, utf8.encode(v)]);

  const blocks: Uint8Array[] = [];
  if (pax.length) {
    const records = pax.map(([k, v]) => paxRecord(k, v));
    const len = records.reduce((n, r) => n + r.byteLength, 0);
    const body = new Uint8Array(len + padding(len));
    let off = 0;
    for (const r of records) { body.set(r, off); off += r.byteLength; }
    const base = name.replace(/\/$/, '');
    const slash = base.lastIndexOf('/');
    const paxName = `${slash >= 0 ? base.slice(0, slash + 1) : ''}PaxHeaders.0/${base.slice(slash + 1)}`;
    blocks.push(ustarBlock({
      name: asciiPrefix(paxName, 100), prefix: '', mode: 0o644, uid: 0, gid: 0, size: len, mtime: 0,
      flag: 0x78, linkname: '', uname: '', gname: '', devmajor: 0, devminor: 0,
    }), body);
  }
  blocks.push(ustarBlock({
    name: fieldName, prefix, mode, uid: uid <= MAX_OCTAL_8 ? uid : 0,
    gid: gid <= MAX_OCTAL_8 ? gid : 0, size: size <= MAX_OCTAL_12 ? size : 0,
    mtime: mtime >= 0 && mtime <= MAX_OCTAL_12 ? mtime : 0, flag: TYPE_FLAGS[type], linkname: fieldLink,
    uname: fieldUname, gname: fieldGname, devmajor: init.devmajor ?? 0, devminor: init.devminor ?? 0,
  }));
  return blocks;
}

/** A field-sized stand-in for a value carried in PAX: readers without PAX support see a sane prefix. */
function asciiPrefix(s: string, len: number): string {
  let out = '';
  for (let i = 0; i < s.length && out.length < len; i++) {
    const c = s.charCodeAt(i);
    out += c > 0x7f ? '_' : s[i];
  }
  return out;
}

export function bodyPadding(size: number): number {
  return padding(size);
}

/** Two zero blocks end an archive. */
export const END_OF_ARCHIVE = new Uint8Array(2 * BLOCK);

export function typeOfFlag(flag: number): TarEntryType | undefined {
  switch (flag) {
    case 0x30: case 0: case 0x37: return 'file';
    case 0x31: return 'hardlink';
    case 0x32: return 'symlink';
    case 0x33: return 'character-device';
    case 0x34: return 'block-device';
    case 0x35: return 'directory';
    case 0x36: return 'fifo';
    default: return undefined;
  }
}
