// A throw-away CNCF distribution registry (Debian's docker-registry) on a free loopback port.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { freePort, httpStatus, stopChild, waitFor } from './process.ts';

export interface Registry { host: string; stop(): Promise<void> }

export async function startRegistry(dir: string): Promise<Registry> {
  const port = await freePort();
  const root = join(dir, 'storage');
  await mkdir(root, { recursive: true });
  const config = join(dir, 'config.yml');
  await writeFile(config, [
    'version: 0.1',
    'log: { level: error, accesslog: { disabled: true } }',
    `storage: { filesystem: { rootdirectory: ${JSON.stringify(root)} }, delete: { enabled: true }, cache: { blobdescriptor: inmemory } }`,
    `http: { addr: "127.0.0.1:${port}" }`,
    '',
  ].join('\n'));
  const child: ChildProcess = spawn('docker-registry', ['serve', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => { stderr = (stderr + d).slice(-4096); });
  try {
    await waitFor('docker-registry', async () => (await httpStatus({ host: '127.0.0.1', port }, '/v2/')) === 200, 15_000, child);
  } catch (e) {
    await stopChild(child);
    throw new Error(`${(e as Error).message}\n${stderr}`);
  }
  return { host: `127.0.0.1:${port}`, stop: () => stopChild(child) };
}
