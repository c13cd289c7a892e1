// The browser engine's runtime dispatch (host-browser/worker/runtimes.ts): each container goes to the
// runtime of its image's OS; a Linux image the 32-bit guest cannot run, or a platform whose runtime
// is not in the page, is refused with a clear message before anything is made; a record whose
// runtime is gone after a reload ends as exited instead of failing the engine's start.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { platformRuntime, runtimeKind } from '../../host-browser/worker/runtimes.ts';
import { newRecord } from '../../core/engine/containers/record.ts';
import type { ContainerImage } from '../../core/engine/containers/runtime.ts';
import type { ImageConfig } from '../../core/image/types.ts';

function image(os: string, architecture: string): ContainerImage {
  const config = { os, architecture, config: { Cmd: ['/bin/true'] }, rootfs: { type: 'layers', diff_ids: [`sha256:${'a'.repeat(64)}`] } } as ImageConfig;
  return { id: `sha256:${'b'.repeat(64)}`, config, diffIDs: config.rootfs.diff_ids };
}

function record(img: ContainerImage) {
  return newRecord({ id: 'c'.repeat(64), name: '/test', body: {}, image: img, now: new Date() });
}

describe('browser runtime dispatch', () => {
  it('tells the runtime of an OS', () => {
    assert.equal(runtimeKind('linux'), 'linux');
    assert.equal(runtimeKind('wasi'), 'wasi');
    assert.equal(runtimeKind('wasip1'), 'wasi');
    assert.equal(runtimeKind(undefined), 'linux');
  });

  it('refuses a Linux image for another architecture than the guest\'s', async () => {
    const img = image('linux', 'amd64');
    await assert.rejects(platformRuntime({}).prepare(record(img), img),
      /image bbbbbbbbbbbb is for linux\/amd64, but the browser's VM runs linux\/386: pull it with --platform linux\/386/);
  });

  it('says which runtime the page lacks', async () => {
    const linux = image('linux', '386');
    await assert.rejects(platformRuntime({}).create(record(linux), linux, { stdin: false, stdinOnce: false, tty: false }),
      /this browser engine cannot run Linux containers \(the v86 guest\): that runtime is not available in this page/);
    const wasm = image('wasi', 'wasm');
    await assert.rejects(platformRuntime({}).prepare(record(wasm), wasm), /cannot run WebAssembly containers \(the WASI runtime\)/);
  });

  it('ends a container whose runtime is gone as exited, with the reason', async () => {
    const rt = platformRuntime({});
    const rec = record(image('wasi', 'wasm'));
    const status = await rt.reconnect(rec);
    assert.ok('exitCode' in status && !('start' in status));
    assert.equal(status.exitCode, 255);
    assert.match(status.error ?? '', /cannot run WebAssembly containers/);
    // nothing to clean up, no logs, and removal succeeds
    await rt.cleanup(rec);
    await rt.remove(rec);
    const logs = [];
    for await (const l of rt.readLogs(rec, { follow: false, signal: new AbortController().signal, stopped: Promise.resolve() })) logs.push(l);
    assert.deepEqual(logs, []);
  });
});
