// hello-wasm: hello.wat assembled with wabt into a WASI preview1 module, in a wasi/wasm image whose single
// layer holds /hello.wasm.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import wabt from 'wabt';
import { BerthError } from '../../core/errors.ts';
import { gzipLayer } from './layer.ts';
import type { PlatformImageSpec } from './platform-image.ts';
import { rootfsEntries } from './rootfs-entries.ts';

export const HELLO_WAT = fileURLToPath(new URL('./hello.wat', import.meta.url));

export async function assembleHelloWasm(): Promise<Uint8Array> {
  const source = await readFile(HELLO_WAT, 'utf8');
  const assembler = await wabt();
  let module;
  try {
    module = assembler.parseWat('hello.wat', source);
    module.resolveNames();
    module.validate();
  } catch (e) {
    module?.destroy();
    throw new BerthError('internal', `${HELLO_WAT} does not assemble: ${(e as Error).message}`);
  }
  try {
    // No debug names: the binary then depends on the code alone, not on how its labels are spelt.
    return new Uint8Array(module.toBinary({ log: false, write_debug_names: false }).buffer);
  } finally {
    module.destroy();
  }
}

export async function helloWasmImage(created: Date): Promise<PlatformImageSpec> {
  const fs = rootfsEntries(created);
  fs.file('hello.wasm', await assembleHelloWasm(), 0o755);
  const layer = await gzipLayer(fs.entries());
  return {
    platform: { os: 'wasi', architecture: 'wasm' },
    created,
    layers: [{ blob: layer, createdBy: 'berth builtin: COPY hello.wasm / (host-linux/builtin/hello.wat, assembled with wabt)' }],
    config: { Entrypoint: ['/hello.wasm'] },
    configSteps: ['ENTRYPOINT ["/hello.wasm"]'],
  };
}
