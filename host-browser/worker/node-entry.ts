// The engine worker's entry in a Node worker_threads Worker, for tests of the transport and the
// engine without a browser: the same services and transport over comlink's Node adapter, with
// options from workerData (see services.ts; `storage` is `memory`, Node has no OPFS or IndexedDB),
// and wasm modules in worker_threads as berthd runs them.
import { parentPort, workerData } from 'node:worker_threads';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { exposeEngine } from './expose.ts';
import { spawnNodeWasiWorker } from '../../host-linux/runtime/wasi-spawn.ts';
import { assembleEngine } from './engine.ts';
import { engineWorkerServices, type EngineWorkerOptions } from './services.ts';

const opts: EngineWorkerOptions = { ...(workerData as EngineWorkerOptions | undefined), storage: 'memory', spawnWasiWorker: spawnNodeWasiWorker };
// Only what needs attention: a test's output is not the place for each imported image.
const log = (level: string, m: string) => { if (level === 'warn' || level === 'error') console.error(`berth: ${m}`); };
const engine = engineWorkerServices(opts).then((s) => assembleEngine({ ...s, log }));
exposeEngine(async (req) => (await engine).handle(req), nodeEndpoint(parentPort!), () => {});
