// Debian packages as the built-in images' sources: downloaded with apt-get into a cache (never installed, so an
// i386 package is fine on an amd64 host) and unpacked with dpkg-deb.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { BerthError } from '../../core/errors.ts';

const run = promisify(execFile);

export interface DebianPackage {
  name: string;
  architecture: string;
  version: string;
  /** The .deb in the cache. */
  deb: string;
  /** Its files, unpacked (dpkg-deb -x keeps their modes and mtimes). */
  root: string;
}

interface AptUri { filename: string; size: number; sha256?: string }

/** What apt would download, from its package lists; undefined when the lists do not know the package. */
async function aptUri(spec: string): Promise<AptUri | undefined> {
  try {
    // From '/', so that a .deb lying in the current directory does not make apt print nothing.
    const { stdout } = await run('apt-get', ['download', '--print-uris', spec], { cwd: '/' });
    const m = /^'[^']+' (\S+) (\d+) (?:SHA256:([0-9a-f]{64}))?/m.exec(stdout);
    return m ? { filename: m[1]!, size: Number(m[2]), ...(m[3] ? { sha256: m[3] } : {}) } : undefined;
  } catch {
    return undefined;
  }
}

async function fileSha256(path: string): Promise<string | undefined> {
  try { return createHash('sha256').update(await readFile(path)).digest('hex'); } catch { return undefined; }
}

async function cachedDeb(cacheDir: string, name: string, architecture: string): Promise<string | undefined> {
  const files = (await readdir(cacheDir).catch(() => [] as string[]))
    .filter((f) => f.startsWith(`${name}_`) && f.endsWith(`_${architecture}.deb`)).sort();
  return files.length ? join(cacheDir, files[files.length - 1]!) : undefined;
}

/**
 * The .deb of `name` for `architecture` in `cacheDir`: the one apt's lists name now, downloaded unless already
 * cached with the right checksum; without usable lists (offline), the newest one cached.
 */
export async function fetchDebianPackage(name: string, architecture: string, cacheDir: string): Promise<string> {
  await mkdir(cacheDir, { recursive: true });
  const spec = `${name}:${architecture}`;
  const uri = await aptUri(spec);
  if (!uri) {
    const cached = await cachedDeb(cacheDir, name, architecture);
    if (cached) return cached;
    const hint = architecture === 'amd64' ? 'apt-get update' : `dpkg --add-architecture ${architecture} && apt-get update`;
    throw new BerthError('unavailable', `Debian package ${spec} is not in apt's package lists and not cached in ${cacheDir}: run \`${hint}\` and try again`);
  }
  const path = join(cacheDir, uri.filename);
  if (uri.sha256 && (await fileSha256(path)) === uri.sha256) return path;
  try {
    // apt's sandbox user cannot write into root's cache directory; downloading as root avoids its warning.
    await run('apt-get', ['download', '-q', '-o', 'APT::Sandbox::User=root', spec], { cwd: cacheDir });
  } catch (e) {
    const cached = await cachedDeb(cacheDir, name, architecture);
    if (cached) return cached;
    throw new BerthError('unavailable', `could not download Debian package ${spec}: ${((e as { stderr?: string }).stderr ?? String(e)).trim()}`);
  }
  if (uri.sha256 && (await fileSha256(path)) !== uri.sha256) {
    await rm(path, { force: true });
    throw new BerthError('digest_mismatch', `downloaded ${uri.filename} does not match the SHA256 in apt's lists; run \`apt-get update\` and try again`);
  }
  return path;
}

/** Unpacks a .deb beside it (once) and reads its control fields. */
export async function unpackDebianPackage(deb: string): Promise<DebianPackage> {
  const { stdout } = await run('dpkg-deb', ['-f', deb, 'Package', 'Architecture', 'Version']);
  const field = (k: string) => new RegExp(`^${k}: (.+)$`, 'm').exec(stdout)?.[1]?.trim() ?? '';
  const root = deb.replace(/\.deb$/, '.d');
  if (!(await stat(join(root, '.unpacked')).catch(() => undefined))) {
    const tmp = `${root}.tmp-${process.pid}`;
    await rm(tmp, { recursive: true, force: true });
    await mkdir(tmp, { recursive: true });
    await run('dpkg-deb', ['-x', deb, tmp]);
    await writeFile(join(tmp, '.unpacked'), '');
    await rm(root, { recursive: true, force: true });
    try {
      await rename(tmp, root);
    } catch (e) {
      // Another build unpacked the same package at the same moment; its copy is as good as ours.
      await rm(tmp, { recursive: true, force: true });
      if (!(await stat(join(root, '.unpacked')).catch(() => undefined))) throw e;
    }
  }
  return { name: field('Package'), architecture: field('Architecture'), version: field('Version'), deb, root };
}

export async function debianPackage(name: string, architecture: string, cacheDir: string): Promise<DebianPackage> {
  return unpackDebianPackage(await fetchDebianPackage(name, architecture, cacheDir));
}
