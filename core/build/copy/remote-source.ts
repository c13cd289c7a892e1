// ADD <url>: fetched through the host's fetch, named as dockerd's downloadSource names it (the URL path's
// last element, else Content-Disposition's filename), mode 0600, mtime from Last-Modified, and checked
// against --checksum with BuildKit's text. Remote files are never unpacked.
import { BerthError } from '../../errors.ts';
import type { Fetch, HashFactory } from '../../host.ts';
import { digestBytes, parseDigest } from '../../digest.ts';

export interface RemoteFile {
  /** '' when neither the URL nor Content-Disposition names it. */
  name: string;
  data: Uint8Array;
  mtime: Date | undefined;
}

export function isRemoteSource(source: string): boolean {
  return /^https?:\/\//i.test(source);
}

/** Git sources ADD accepts in BuildKit (git@..., *.git URLs, git://); berth does not clone. */
export function isGitSource(source: string): boolean {
  return /^git@/.test(source) || /^git:\/\//i.test(source) || (isRemoteSource(source) && /\.git(#.*)?$/.test(source));
}

export async function fetchRemoteSource(url: string, fetch: Fetch | undefined, checksum: string, hash: HashFactory): Promise<RemoteFile> {
  if (!fetch) throw new BerthError('unsupported', `ADD failed: this host cannot download ${url}`);
  const expected = checksum === '' ? undefined : parseDigest(checksum);
  let res: Response;
  try {
    res = await fetch(url);
  } catch (e) {
    throw new BerthError('unavailable', `ADD failed: failed to GET ${url}: ${(e as Error).message}`, { cause: e });
  }
  const data = new Uint8Array(await res.arrayBuffer());
  if (!res.ok) {
    throw new BerthError('unavailable', `ADD failed: failed to GET ${url} with status ${res.status} ${res.statusText}: ${new TextDecoder().decode(data.subarray(0, 512))}`);
  }
  if (expected) {
    const actual = digestBytes(hash, data, expected.algorithm);
    if (actual !== checksum) throw new BerthError('digest_mismatch', `digest mismatch ${actual}: ${checksum}`);
  }
  const name = fileNameFor(new URL(url).pathname, res.headers.get('content-disposition'));
  const modified = res.headers.get('last-modified');
  const mtime = modified ? new Date(modified) : undefined;
  return { name, data, mtime: mtime && !Number.isNaN(mtime.getTime()) ? mtime : undefined };
}

function fileNameFor(path: string, disposition: string | null): string {
  if (path !== '' && !path.endsWith('/')) return decodeURIComponent(path.slice(path.lastIndexOf('/') + 1));
  const m = disposition ? /filename\s*=\s*(?:"([^"]*)"|([^;\s]*))/i.exec(disposition) : null;
  const name = m?.[1] ?? m?.[2] ?? '';
  if (name === '' || name.endsWith('/')) return '';
  return name.slice(name.lastIndexOf('/') + 1);
}
