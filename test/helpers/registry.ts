// A local registry on a random loopback port for a test: the CNCF registry (Debian's
// docker-registry) by default, or berth's own (`host-linux/registry/main.ts`) with
// { impl: 'berth' } or BERTH_TEST_REGISTRY=berth.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { freePort, waitFor } from './ports.ts';
import { removeDir, tempDir } from './tmp.ts';

export interface TestRegistry {
  /** `127.0.0.1:PORT`: the registry part of image references. */
  host: string;
  /** `http://127.0.0.1:PORT`. */
  url: string;
  root: string;
  /** Output of the registry process so far (for failure messages). */
  logs(): string;
  stop(): Promise<void>;
}

export const REPO_ROOT = resolve(import.meta.dirname, '../..');

export interface RegistryOptions {
  impl?: 'cncf' | 'berth';
  /** Require this user (HTTP Basic; berth's registry can also do the Bearer token flow). */
  auth?: { username: string; password: string; scheme?: 'basic' | 'bearer' };
}

async function htpasswd(dir: string, username: string, password: string): Promise<string> {
  const file = join(dir, 'htpasswd');
  const r = spawnSync('htpasswd', ['-Bbn', username, password], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`htpasswd failed (is apache2-utils installed?): ${r.stderr}`);
  await writeFile(file, r.stdout);
  return file;
}

export async function startRegistry(opts: RegistryOptions = {}): Promise<TestRegistry> {
  const impl = opts.impl ?? (process.env.BERTH_TEST_REGISTRY === 'berth' ? 'berth' : 'cncf');
  const port = await freePort();
  const root = await tempDir('berth-registry-');
  const passwords = opts.auth ? await htpasswd(root, opts.auth.username, opts.auth.password) : undefined;
  let child: ChildProcess;
  if (impl === 'berth') {
    const main = join(REPO_ROOT, 'host-linux/registry/main.ts');
    if (!existsSync(main)) throw new Error(`berth's registry (${main}) is not there yet; use { impl: 'cncf' }`);
    const auth = passwords ? ['--htpasswd', passwords, '--auth', opts.auth!.scheme ?? 'basic'] : [];
    child = spawn(process.execPath, ['--import', 'tsx', main, '--addr', `127.0.0.1:${port}`, '--root', join(root, 'data'), ...auth], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  } else {
    if (opts.auth?.scheme === 'bearer') throw new Error('the CNCF registry test set-up has no token server; use { impl: \'berth\' } for bearer auth');
    const config = join(root, 'config.yml');
    await writeFile(config, [
      'version: 0.1',
      'log:', '  level: error', '  accesslog:', '    disabled: true',
      'storage:', `  filesystem:`, `    rootdirectory: ${join(root, 'data')}`, '  delete:', '    enabled: true',
      'http:', `  addr: 127.0.0.1:${port}`,
      ...(passwords ? ['auth:', '  htpasswd:', '    realm: berth-test', `    path: ${passwords}`] : []),
      '',
    ].join('\n'));
    child = spawn('/usr/bin/docker-registry', ['serve', config], { stdio: ['ignore', 'pipe', 'pipe'] });
  }
  let output = '';
  child.stdout?.on('data', (d: Buffer) => { output += d.toString(); });
  child.stderr?.on('data', (d: Buffer) => { output += d.toString(); });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(t);
    }
    await removeDir(root);
  };
  try {
    await Promise.race([
      waitFor(`the ${impl} registry on ${url}`, async () => [200, 401].includes((await fetch(`${url}/v2/`)).status)),
      exited.then(() => { throw new Error(`the ${impl} registry exited at start-up`); }),
    ]);
  } catch (e) {
    await stop();
    throw new Error(`${(e as Error).message}\n${output}`);
  }
  return { host: `127.0.0.1:${port}`, url, root, logs: () => output, stop };
}
