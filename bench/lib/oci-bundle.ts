// An OCI bundle for bare `runc run`, made from a `docker save` tarball: the lower bound of what a container engine
// can do (no daemon, no image store, no API), with `runc spec`'s defaults and the process changed to `args`.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { run } from './process.ts';

export async function bundleFromSave(saveTar: string, dir: string, args: string[]): Promise<string> {
  const image = join(dir, 'image');
  const rootfs = join(dir, 'rootfs');
  await mkdir(image, { recursive: true });
  await mkdir(rootfs, { recursive: true });
  await run('tar', ['-xf', saveTar, '-C', image]);
  const manifest = JSON.parse(await readFile(join(image, 'manifest.json'), 'utf8')) as { Layers: string[] }[];
  // tar detects gzip itself; layers apply in order (busybox has one, so whiteouts do not matter here).
  for (const layer of manifest[0]!.Layers) await run('tar', ['-xf', join(image, layer), '-C', rootfs]);
  await run('runc', ['spec', '--bundle', dir]);
  const spec = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')) as { process: { terminal: boolean; args: string[] } };
  spec.process.terminal = false;
  spec.process.args = args;
  await writeFile(join(dir, 'config.json'), JSON.stringify(spec, null, 2));
  return dir;
}
