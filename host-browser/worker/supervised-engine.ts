// The page's connection to the engine, which outlives its worker: when the worker is gone
// (terminated, crashed; lifeline.ts tells) the requests and streams in flight fail with a clear
// error instead of waiting forever, the page is told, and a new worker takes the next requests. The
// engine's images and containers are in OPFS and IndexedDB, so the new one starts where the last
// one ended. A worker that fails to start is not started again: the page must be reloaded.
import type { Fetch } from '../../core/host.ts';
import type { Hijack, HijackedConnection } from '../../core/cli/host.ts';
import { connectEngine, type EngineConnection } from './client.ts';
import { ALIVE_MESSAGE, lifelineEnded } from './lifeline.ts';
import { ENGINE_STOPPED_ERROR } from '../../core/cli/api-client.ts';

export interface EngineWorkerEvents {
  /** A worker was started: the first, or one in place of a worker that is gone. */
  started?(worker: Worker, restart: boolean): void;
  /** The worker is gone; `restarting`: a new one takes the next requests. */
  stopped?(error: Error, restarting: boolean): void;
}

export interface SupervisedEngine extends EngineConnection {
  /** The worker now serving requests. */
  readonly worker: Worker;
}

/** A worker that keeps dying is not worth starting again and again. */
const MAX_RESTARTS = 3;

interface Generation {
  worker: Worker;
  connection: EngineConnection;
  gone: Promise<never>;
  /** Why the worker is gone, when no new one was started. */
  down?: Error;
}

/** What the engine answers once it is down for good: the CLI prints "Error response from daemon: ...". */
function downResponse(e: Error): Response {
  return new Response(JSON.stringify({ message: e.message }), { status: 503, headers: { 'content-type': 'application/json' } });
}

/** Reads `body` until it ends or `gone` rejects, which errors the stream with its reason. */
function until(body: ReadableStream<Uint8Array>, gone: Promise<never>): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  return new ReadableStream<Uint8Array>({
    async pull(c) {
      try {
        const r = await Promise.race([reader.read(), gone]);
        if (r.done) c.close(); else c.enqueue(r.value);
      } catch (e) {
        c.error(e);
      }
    },
    cancel: (reason) => reader.cancel(reason),
  }, { highWaterMark: 0 });
}

function hijackedUntil(c: HijackedConnection, gone: Promise<never>): HijackedConnection {
  return { ...c, output: until(c.output, gone), write: (data) => Promise.race([c.write(data), gone]) };
}

/** `start(lifeline)` makes a worker whose URL passes `lifeline=` on to engine-worker.ts. */
export function superviseEngine(start: (lifeline: string) => Worker, events: EngineWorkerEvents = {}): SupervisedEngine {
  let restarts = 0;
  let current!: Generation;
  const launch = (restart: boolean): void => {
    const lifeline = `berth-engine-${crypto.randomUUID()}`;
    const worker = start(lifeline);
    let stop!: (e: Error) => void;
    const gone = new Promise<never>((_, reject) => { stop = reject; });
    gone.catch(() => {});
    let alive = false;
    let ended = false;
    const end = (why: string, again: boolean) => {
      if (ended) return;
      ended = true;
      worker.terminate();
      const restarting = again && restarts < MAX_RESTARTS;
      const error = new Error(`the berth engine stopped (${why}): ${restarting ? 'a new engine worker takes the next command' : 'reload the page to start it again'}`);
      error.name = ENGINE_STOPPED_ERROR;
      stop(error);
      if (!restarting) g.down = error;
      events.stopped?.(error, restarting);
      if (restarting) { restarts++; launch(true); }
    };
    worker.addEventListener('message', (e: MessageEvent) => {
      const data = e.data as { berthStatus?: string } | null;
      if (alive || data?.berthStatus !== ALIVE_MESSAGE) return;
      alive = true;
      void lifelineEnded(lifeline).then(() => end('its worker ended', true));
    });
    // An error before the worker is up means it cannot start; later ones are the engine's own (it goes on).
    worker.addEventListener('error', (e: ErrorEvent) => {
      if (!alive) end(`its worker failed to start: ${e.message || 'the script did not load'}`, false);
    });
    const g: Generation = { worker, connection: connectEngine(worker), gone };
    current = g;
    events.started?.(worker, restart);
  };
  launch(false);
  const fetch: Fetch = async (input, init) => {
    const { connection, gone, down } = current;
    if (down) return downResponse(down);
    const res = await Promise.race([connection.fetch(input, init), gone]);
    if (!res.body) return res;
    return new Response(until(res.body, gone), { status: res.status, statusText: res.statusText, headers: res.headers });
  };
  const hijack: Hijack = async (url, init) => {
    const { connection, gone, down } = current;
    if (down) return { response: downResponse(down) };
    const r = await Promise.race([connection.hijack(url, init), gone]);
    return r.connection ? { ...r, connection: hijackedUntil(r.connection, gone) } : r;
  };
  return { fetch, hijack, get worker() { return current.worker; } };
}
