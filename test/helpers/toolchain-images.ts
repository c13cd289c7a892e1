// Base images for build tests, made from this host's own files because no registry here has gcc or node:
// `berth-test/gcc` (the installed Debian packages of gcc-12 and binutils, enough for `gcc -static`) and
// `berth-test/node` (the host's node binary and the shared libraries it loads), each with busybox-static as
// /bin/sh. Each is one layer written by GNU tar from the host's paths, wrapped as a `docker load` archive and
// cached under build/cache keyed by the files' sizes, modes and mtimes, so only the first run after the host
// changes pays for it.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { chmod, lstat, mkdir, readdir, readlink, realpath, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { runCommand, type RunResult } from './docker-cli.ts';
import { REPO_ROOT } from './registry.ts';
import { removeDir, tempDir } from './tmp.ts';

export const GCC_IMAGE = 'berth-test/gcc:latest';
export const NODE_IMAGE = 'berth-test/node:latest';

/** Debian packages whose files make the gcc image: the compiler driver, cc1, binutils, libc's headers and static libc. */
export const GCC_PACKAGES = [
  'gcc', 'gcc-12', 'cpp', 'cpp-12', 'binutils', 'binutils-x86-64-linux-gnu', 'libbinutils', 'libc6', 'libc6-dev',
  'libgcc-12-dev', 'linux-libc-dev', 'libcrypt-dev', 'libc-dev-bin',
];
const BUSYBOX = '/bin/busybox';
const CACHE_DIR = join(REPO_ROOT, 'build/cache/toolchain-images');
// Bump when what goes into an image changes in a way the host files' stats do not show.
const FORMAT = 1;
const CREATED = '2024-01-01T00:00:00Z';
const PATH_ENV = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
// Docs, translations and what `gcc -static -O2` never runs (LTO, sanitizers, gold): half the size of the packages.
const EXCLUDED = [
  /^\/usr\/share\/(doc|man|info|locale|lintian|bug|gdb|gcc)(\/|$)/,
  /\/gconv(\/|$)/,
  /\/(lto1|x86_64-linux-gnu-lto-dump-12|lto-dump-12)$/,
  /\/lib(asan|tsan|lsan|ubsan|hwasan)[^/]*\.a$/,
  /\/(x86_64-linux-gnu-)?(ld\.gold|gold|dwp)$/,
];
// Busybox applets a Dockerfile's RUN lines use; the image's own files win where both have one.
const APPLETS = ['sh', 'cat', 'chmod', 'cp', 'echo', 'env', 'id', 'ln', 'ls', 'mkdir', 'mv', 'rm', 'sleep', 'test', 'true', 'wget'];

interface ImageSpec {
  name: string;
  ref: string;
  /** Host paths to include as they are (a directory without its contents). */
  paths(): Promise<string[]>;
  /** Host executables whose shared libraries (and the dynamic loader) must come along. */
  executables(paths: string[]): string[];
  cmd: string[];
  passwd: string;
  group: string;
  createdBy: string;
}

/** Why the toolchain images cannot be made here, or null (use as `{ skip: toolchainImagesMissing() ?? false }`). */
export function toolchainImagesMissing(): string | null {
  if (!existsSync(BUSYBOX)) return `${BUSYBOX} is missing (apt-get install busybox-static)`;
  const r = spawnSync('dpkg-query', ['-W', '-f', '${Package} ${Status}\\n', ...GCC_PACKAGES], { encoding: 'utf8' });
  const installed = new Set(r.stdout.split('\n').filter((l) => l.endsWith(' installed')).map((l) => l.split(' ')[0]));
  const missing = GCC_PACKAGES.filter((p) => !installed.has(p));
  if (missing.length) return `the gcc image needs the Debian packages ${missing.join(', ')} (apt-get install gcc-12)`;
  return null;
}

async function run(cmd: string, args: string[]): Promise<RunResult> {
  return runCommand(cmd, args, { env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', LC_ALL: 'C' }, timeoutMs: 300_000 });
}

async function runOk(cmd: string, args: string[]): Promise<string> {
  const r = await run(cmd, args);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.code}: ${r.stderr.trim()}`);
  return r.stdout;
}

/** The path with its directories resolved (merged /usr: /lib/x/libc.so.6 is /usr/lib/x/libc.so.6), the last name kept. */
async function canonical(path: string): Promise<string | undefined> {
  try {
    return join(await realpath(dirname(path)), basename(path));
  } catch {
    return undefined;
  }
}

async function packageFiles(packages: string[]): Promise<string[]> {
  const listed = (await runOk('dpkg-query', ['-L', ...packages])).split('\n').filter((p) => p.startsWith('/') && p !== '/.');
  return listed.filter((p) => !EXCLUDED.some((re) => re.test(p)));
}

/** `ldd` of several files at once: every library they load and the loader, as the paths ldd resolved. */
async function sharedLibraries(files: string[]): Promise<string[]> {
  if (files.length === 0) return [];
  // ldd exits 1 when one of them is static (busybox, a script): the others' lines are still there.
  const out = (await run('ldd', files)).stdout;
  const libs = new Set<string>();
  for (const line of out.split('\n')) {
    const m = /=>\s+(\/\S+)\s+\(/.exec(line) ?? /^\s+(\/\S+)\s+\(0x/.exec(line);
    if (m) libs.add(m[1]!);
  }
  return [...libs];
}

/** A symlink's chain of targets, each canonical, so a library named by its soname brings its real file. */
async function withTargets(path: string, into: Set<string>): Promise<void> {
  for (let hops = 0, p: string | undefined = await canonical(path); p && hops < 16; hops++) {
    let st;
    try { st = await lstat(p); } catch { return; }
    into.add(p);
    if (!st.isSymbolicLink()) return;
    p = await canonical(resolve(dirname(p), await readlink(p)));
  }
}

async function isElfExecutable(path: string): Promise<boolean> {
  const st = await lstat(path).catch(() => undefined);
  if (!st?.isFile() || (st.mode & 0o111) === 0) return false;
  const head = await new Promise<Buffer>((res, rej) => {
    const chunks: Buffer[] = [];
    createReadStream(path, { start: 0, end: 3 }).on('data', (c) => chunks.push(c as Buffer)).on('end', () => res(Buffer.concat(chunks))).on('error', rej);
  });
  return head.toString('latin1') === '\x7fELF';
}

/** Every path of the image's layer, relative to /, parents before children. */
async function layerPaths(spec: ImageSpec): Promise<string[]> {
  const paths = new Set<string>();
  for (const p of await spec.paths()) {
    const c = await canonical(p);
    if (c && await lstat(c).then(() => true, () => false)) paths.add(c);
  }
  const elves: string[] = [];
  for (const p of spec.executables([...paths])) if (await isElfExecutable(p)) elves.push(p);
  for (const lib of await sharedLibraries(elves)) await withTargets(lib, paths);
  await withTargets(BUSYBOX, paths);
  for (const p of [...paths]) {
    for (let d = dirname(p); d !== '/'; d = dirname(d)) paths.add(d);
  }
  // Merged /usr: the top-level /bin, /lib, /lib64, /sbin are symlinks the binaries' paths go through.
  for (const top of ['/bin', '/lib', '/lib64', '/sbin']) {
    if ((await lstat(top).catch(() => undefined))?.isSymbolicLink()) paths.add(top);
  }
  return [...paths].map((p) => p.slice(1)).sort();
}

/** Files written for the image rather than taken from the host: /tmp, /etc/passwd and busybox's applet links. */
async function stageExtras(dir: string, spec: ImageSpec, hostPaths: Set<string>): Promise<string[]> {
  const busybox = (await canonical(BUSYBOX))!;
  const bin = dirname(busybox).slice(1);
  await mkdir(join(dir, bin), { recursive: true });
  await mkdir(join(dir, 'etc'));
  await mkdir(join(dir, 'tmp'));
  await chmod(join(dir, 'tmp'), 0o1777);
  await writeFile(join(dir, 'etc/passwd'), spec.passwd, { mode: 0o644 });
  await writeFile(join(dir, 'etc/group'), spec.group, { mode: 0o644 });
  const entries = ['etc', 'etc/group', 'etc/passwd', 'tmp'].filter((e) => !hostPaths.has(e));
  for (const applet of APPLETS) {
    const name = `${bin}/${applet}`;
    if (hostPaths.has(name)) continue;
    await symlink(basename(busybox), join(dir, name));
    entries.push(name);
  }
  return entries;
}

/** What the cached archive depends on: every host path's type, size, mode and mtime, and the spec. */
async function cacheKey(spec: ImageSpec, paths: string[]): Promise<string> {
  const h = createHash('sha256').update(`${FORMAT}\n${spec.ref}\n${spec.cmd.join(' ')}\n${spec.passwd}${spec.group}${APPLETS.join(',')}\n`);
  for (const p of paths) {
    const st = await lstat(`/${p}`);
    h.update(`${p} ${st.mode} ${st.size} ${st.mtimeMs}\n`);
  }
  return h.digest('hex').slice(0, 16);
}

async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) h.update(chunk as Buffer);
  return h.digest('hex');
}

function goArch(): string {
  return ({ x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x' } as Record<string, string>)[process.arch] ?? process.arch;
}

async function writeArchive(spec: ImageSpec, paths: string[], out: string): Promise<void> {
  const work = await tempDir('toolchain-image-');
  try {
    const extras = join(work, 'extras');
    const extraEntries = await stageExtras(extras, spec, new Set(paths));
    const hostList = join(work, 'host-paths');
    const extraList = join(work, 'extra-paths');
    await writeFile(hostList, `${paths.join('\n')}\n`);
    await writeFile(extraList, `${extraEntries.join('\n')}\n`);
    const blobs = join(work, 'image', 'blobs', 'sha256');
    await mkdir(blobs, { recursive: true });
    const layer = join(work, 'layer.tar');
    // Fixed owner and mtime: the same host files give the same layer digest on every run.
    await runOk('tar', ['-cf', layer, '--no-recursion', '--numeric-owner', '--owner=0', '--group=0', '--mtime=2024-01-01 00:00:00Z',
      '-C', '/', '-T', hostList, '-C', extras, '-T', extraList]);
    const diffID = await sha256File(layer);
    await rename(layer, join(blobs, diffID));
    const config = JSON.stringify({
      architecture: goArch(), os: 'linux', created: CREATED,
      config: { Env: [PATH_ENV], Cmd: spec.cmd },
      rootfs: { type: 'layers', diff_ids: [`sha256:${diffID}`] },
      history: [{ created: CREATED, created_by: spec.createdBy }],
    });
    const configHex = createHash('sha256').update(config).digest('hex');
    await writeFile(join(blobs, configHex), config);
    await writeFile(join(work, 'image', 'manifest.json'),
      `${JSON.stringify([{ Config: `blobs/sha256/${configHex}`, RepoTags: [spec.ref], Layers: [`blobs/sha256/${diffID}`] }])}\n`);
    const tmp = `${out}.${process.pid}.tmp`;
    await runOk('tar', ['-cf', tmp, '--numeric-owner', '--owner=0', '--group=0', '-C', join(work, 'image'), 'manifest.json', 'blobs']);
    // Another test process may be writing the same archive: rename is atomic, and both are the same bytes.
    await rename(tmp, out);
  } finally {
    await removeDir(work);
  }
}

const building = new Map<string, Promise<string>>();

/** The `docker load` archive of one image, from the cache when the host's files are unchanged. */
function imageArchive(spec: ImageSpec): Promise<string> {
  let p = building.get(spec.name);
  if (!p) {
    p = (async () => {
      const paths = await layerPaths(spec);
      const out = join(CACHE_DIR, `${spec.name}-${await cacheKey(spec, paths)}.tar`);
      if (existsSync(out)) return out;
      await mkdir(CACHE_DIR, { recursive: true });
      // Archives of older host files only: another process may have just finished this very one.
      for (const old of await readdir(CACHE_DIR)) {
        if (old.startsWith(`${spec.name}-`) && old.endsWith('.tar') && old !== basename(out)) await rm(join(CACHE_DIR, old), { force: true });
      }
      await writeArchive(spec, paths, out);
      return out;
    })();
    p.catch(() => building.delete(spec.name));
    building.set(spec.name, p);
  }
  return p;
}

const ROOT_PASSWD = 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n';
const ROOT_GROUP = 'root:x:0:\nnogroup:x:65534:\n';

const gccSpec: ImageSpec = {
  name: 'gcc',
  ref: GCC_IMAGE,
  paths: () => packageFiles(GCC_PACKAGES),
  // The driver, the compiler proper, the assembler and the linker, and whatever else the packages ship as programs.
  executables: (paths) => paths.filter((p) => /^\/usr\/(bin|libexec)\/|^\/usr\/lib\/gcc\//.test(p)),
  cmd: ['sh'],
  passwd: ROOT_PASSWD,
  group: ROOT_GROUP,
  createdBy: `host files of the Debian packages ${GCC_PACKAGES.join(' ')} and busybox-static (test/helpers/toolchain-images.ts)`,
};

const nodeSpec: ImageSpec = {
  name: 'node',
  ref: NODE_IMAGE,
  // The binary where the host has it (on the image's PATH too), and the link to it if node was found through one.
  paths: async () => [...new Set([process.execPath, await realpath(process.execPath)])],
  executables: (paths) => paths,
  cmd: ['node'],
  passwd: `${ROOT_PASSWD}node:x:1000:1000::/home/node:/bin/sh\n`,
  group: `${ROOT_GROUP}node:x:1000:\n`,
  createdBy: 'the host\'s node binary, its shared libraries and busybox-static (test/helpers/toolchain-images.ts)',
};

/** `berth-test/gcc`: `gcc -static -O2 -o hello hello.c` works in it; /bin/sh is busybox. */
export function gccImageArchive(): Promise<string> {
  return imageArchive(gccSpec);
}

/** `berth-test/node`: `node app.js` works in it, and the user `node` (1000:1000) exists. */
export function nodeImageArchive(): Promise<string> {
  return imageArchive(nodeSpec);
}

/** `docker load`s both images through `docker` (a test daemon's CLI); throws with the CLI's output on failure. */
export async function loadToolchainImages(docker: (args: string[]) => Promise<RunResult>): Promise<void> {
  for (const archive of await Promise.all([gccImageArchive(), nodeImageArchive()])) {
    const r = await docker(['load', '-i', archive]);
    if (r.code !== 0) throw new Error(`docker load -i ${archive} exited ${r.code}: ${r.stderr.trim()}`);
  }
}
