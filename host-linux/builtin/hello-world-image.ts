// hello-world: hello.c compiled without libc into a static binary of about 1.5 KB per architecture.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { BerthError } from '../../core/errors.ts';
import { gzipLayer } from './layer.ts';
import type { PlatformImageSpec } from './platform-image.ts';
import { rootfsEntries } from './rootfs-entries.ts';

const run = promisify(execFile);

export const HELLO_SOURCE = fileURLToPath(new URL('./hello.c', import.meta.url));

// Docker's hello-world names its architectures this way in the message.
const TARGETS: Record<string, { flag: string; label: string }> = {
  amd64: { flag: '-m64', label: 'amd64' },
  '386': { flag: '-m32', label: 'i386' },
};

/** The flags that make the output small and the same on every build (no build ID, no unwind tables). */
export const HELLO_CFLAGS = [
  '-static', '-nostdlib', '-ffreestanding', '-fno-stack-protector', '-fno-asynchronous-unwind-tables',
  '-fno-pie', '-no-pie', '-Os', '-s', '-Wl,--build-id=none', '-Wl,-z,noseparate-code',
];

export async function compileHello(architecture: string): Promise<Uint8Array> {
  const target = TARGETS[architecture];
  if (!target) throw new BerthError('unsupported', `hello-world: no compiler target for architecture ${architecture}`);
  const dir = await mkdtemp(join(tmpdir(), 'berth-hello-'));
  try {
    const out = join(dir, 'hello');
    await run('gcc', [target.flag, ...HELLO_CFLAGS, `-DHELLO_ARCH="${target.label}"`, '-o', out, HELLO_SOURCE]).catch((e) => {
      throw new BerthError('unavailable', `could not compile ${HELLO_SOURCE} for ${architecture} (is gcc installed? apt-get install gcc): ${((e as { stderr?: string }).stderr ?? String(e)).trim()}`);
    });
    return new Uint8Array(await readFile(out));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export async function helloWorldImage(architecture: string, created: Date): Promise<PlatformImageSpec> {
  const fs = rootfsEntries(created);
  fs.file('hello', await compileHello(architecture), 0o755);
  const layer = await gzipLayer(fs.entries());
  return {
    platform: { os: 'linux', architecture },
    created,
    layers: [{ blob: layer, createdBy: 'berth builtin: COPY hello / (host-linux/builtin/hello.c, gcc -static -nostdlib -Os)' }],
    config: { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], Cmd: ['/hello'] },
    configSteps: ['CMD ["/hello"]'],
  };
}
