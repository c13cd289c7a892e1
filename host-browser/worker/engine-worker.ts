// The engine worker's entry (bundled to build/browser/engine-worker.js):
//   new Worker('engine-worker.js?storage=opfs', { type: 'module' })
// with wasi-worker.js next to it (it runs each wasm module), then `connectEngine(worker)`
// (client.ts) on the page. Query parameters: `storage` (opfs|memory), `name` (OPFS directory and
// IndexedDB database), `images` (URL of the built-in images' layout, default `images/` next to this
// script; `none` for no built-in images), `guest` (URL of the v86 guest's files, default `guest/`;
// `none`: no Linux containers), `v86` (URL of v86.wasm, default `v86.wasm`), `state` (URL of the
// guest state a first start restores, gzip or plain, default `state.bin` in `guest`; `none`: boot), `insecure`
// (registries reached over plain HTTP, repeatable), `lifeline` (a Web Lock name the worker holds for
// life, so that superviseEngine on the page learns when it is gone).
import type { Endpoint } from 'comlink';
import { exposeEngine } from './expose.ts';
import { spawnWebWasiWorker } from './wasi-spawn.ts';
import type { VmStatus } from './guest-boot.ts';
import { assembleEngine } from './engine.ts';
import { engineWorkerServices, type EngineWorkerOptions } from './services.ts';
import { errorResponse } from '../../core/api/http-error.ts';
import { BerthError, errorMessage } from '../../core/errors.ts';
import { ALIVE_MESSAGE, holdLifeline } from './lifeline.ts';

/** The page's status line listens for these beside comlink's traffic (host-browser/README, H8). */
const vmStatus: VmStatus = (s) => (globalThis as unknown as { postMessage(m: unknown): void }).postMessage({ berthStatus: 'vm', ...s });

function optionsFromUrl(href: string): EngineWorkerOptions {
  const q = new URL(href).searchParams;
  const images = q.get('images') ?? new URL('./images/', href).href;
  const guest = q.get('guest') ?? new URL('./guest/', href).href;
  const state = q.get('state') ?? 'state.bin';
  return {
    storage: q.get('storage') === 'memory' ? 'memory' : 'opfs',
    ...(q.get('name') ? { name: q.get('name')! } : {}),
    ...(images !== 'none' ? { builtinImages: new URL(images, href).href } : {}),
    ...(q.getAll('insecure').length ? { insecureRegistries: q.getAll('insecure') } : {}),
    spawnWasiWorker: spawnWebWasiWorker(href),
    ...(guest !== 'none' ? { guest: { guest: new URL(guest, href).href, wasm: new URL(q.get('v86') ?? './v86.wasm', href).href, ...(state !== 'none' ? { state: new URL(state, new URL(guest, href)).href } : {}) }, vmStatus } : {}),
  };
}

const scope = globalThis as unknown as Endpoint & { location: { href: string } };
const options = optionsFromUrl(scope.location.href);
// `lifeline`: the page learns through this lock when the worker is gone (supervised-engine.ts).
const lifeline = new URL(scope.location.href).searchParams.get('lifeline');
if (lifeline) holdLifeline(lifeline, () => scope.postMessage({ berthStatus: ALIVE_MESSAGE }));
vmStatus(options.guest ? { state: 'idle', detail: 'boots on the first Linux container' } : { state: 'unavailable', detail: 'no guest in this page' });
const engine = engineWorkerServices(options).then(assembleEngine);
engine.catch((e) => console.error(`berth: the engine did not start: ${errorMessage(e)}`));
// Exposed at once: requests that arrive while the engine starts wait for it instead of being lost.
exposeEngine(async (req) => {
  let e;
  try { e = await engine; } catch (err) {
    return errorResponse(new BerthError('unavailable', `the berth engine did not start: ${errorMessage(err)}`));
  }
  return e.handle(req);
}, scope);
