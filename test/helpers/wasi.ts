// WASI test parts: probe.wasm built from test/fixtures/wasi/probe.c with Debian's WASI toolchain
// (clang, lld, wasi-libc: installed by the set-up), and an in-memory wasm image around it.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from './registry.ts';
import { packLayerTar } from './test-image.ts';

export const PROBE_C = join(REPO_ROOT, 'test/fixtures/wasi/probe.c');

let probe: Uint8Array | undefined;

/** probe.wasm, compiled once per test process. */
export function probeWasm(): Uint8Array {
  if (probe) return probe;
  const dir = mkdtempSync(join(tmpdir(), 'berth-wasi-probe-'));
  try {
    const out = join(dir, 'probe.wasm');
    execFileSync('clang', ['--target=wasm32-wasi', '--sysroot=/usr', '-O2', '-o', out, PROBE_C], { stdio: ['ignore', 'ignore', 'pipe'] });
    probe = new Uint8Array(readFileSync(out));
    return probe;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** An uncompressed layer tar: path -> content; a path ending in `/` is a directory; files executable. */
export function layerTar(files: Record<string, string | Uint8Array>): Promise<Uint8Array> {
  return packLayerTar(files, 0o755);
}

/** The probe image's files: the module at /probe.wasm and a file to read. */
export function probeFiles(): Record<string, string | Uint8Array> {
  return { 'probe.wasm': probeWasm(), 'etc/': '', 'etc/greeting': 'hello from the image\n' };
}
