// A local registry on a random loopback port for a test: the CNCF registry (Debian's
// docker-registry) by default, or berth's own (`host-linux/registry/main.ts`) with
// { impl: 'berth' } or BERTH_TEST_REGISTRY=berth.
import { spawn, type ChildProcess } from 'node:child_process';
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

export async function startRegistry(opts: { impl?: 'cncf' | 'berth' } = {}): Promise<TestRegistry> {
  const impl = opts.impl ?? (process.env.BERTH_TEST_REGISTRY === 'berth' ? 'berth' : 'cncf');
  const port = await freePort();
  const root = await tempDir('berth-registry-');
  let child: ChildProcess;
  if (impl === 'berth') {
    const main = join(REPO_ROOT, 'host-linux/registry/main.ts');
    if (!existsSync(main)) throw new Error(`berth's registry (${main}) is not there yet; use { impl: 'cncf' }`);
    child = spawn(process.execPath, ['--import', 'tsx', main, '--addr', `127.0.0.1:${port}`, '--root', join(root, 'data')], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  } else {
    const config = join(root, 'config.yml');
    await writeFile(config, [
      'version: 0.1',
      'log:', '  level: error', '  accesslog:', '    disabled: true',
      'storage:', `  filesystem:`, `    rootdirectory: ${join(root, 'data')}`, '  delete:', '    enabled: true',
      'http:', `  addr: 127.0.0.1:${port}`, '',
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
      waitFor(`the ${impl} registry on ${url}`, async () => (await fetch(`${url}/v2/`)).status === 200),
      exited.then(() => { throw new Error(`the ${impl} registry exited at start-up`); }),
    ]);
  } catch (e) {
    await stop();
    throw new Error(`${(e as Error).message}\n${output}`);
  }
  return { host: `127.0.0.1:${port}`, url, root, logs: () => output, stop };
}
