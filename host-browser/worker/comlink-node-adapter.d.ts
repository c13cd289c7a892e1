// Types for comlink's Node adapter (it ships them as node-adapter.d.ts, which NodeNext resolution
// does not pair with node-adapter.mjs). A worker_threads MessagePort or Worker fits.
declare module 'comlink/dist/esm/node-adapter.mjs' {
  import type { Endpoint } from 'comlink';
  import type { MessagePort, Worker } from 'node:worker_threads';
  export default function nodeEndpoint(nep: MessagePort | Worker): Endpoint;
}
