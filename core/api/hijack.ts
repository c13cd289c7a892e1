// Hijacked connections (attach, exec start) on web-standard Responses: a handler returns a marked
// Response; the host's transport (Node's HTTP adapter, the browser's) sees the mark, answers
// `101 UPGRADED` (or 200 to clients that did not ask to upgrade) and hands the raw byte pipe over.
import type { StreamPair } from '../engine/containers/runtime.ts';

export type HijackHandler = (conn: StreamPair) => Promise<void>;

export const RAW_STREAM = 'application/vnd.docker.raw-stream';
export const MULTIPLEXED_STREAM = 'application/vnd.docker.multiplexed-stream';

const handlers = new WeakMap<Response, HijackHandler>();

/**
 * A Response that takes over the connection. `contentType` is what the 101 (or 200) announces;
 * the handler gets the client's bytes as `readable` (ending at its half-close) and writes to
 * `writable` (closing it ends the connection).
 */
export function hijackResponse(handler: HijackHandler, contentType = RAW_STREAM): Response {
  const res = new Response(null, { status: 200, headers: { 'content-type': contentType } });
  handlers.set(res, handler);
  return res;
}

export function hijackHandler(res: Response): HijackHandler | undefined {
  return handlers.get(res);
}

/** Whether the client asked for an upgraded connection (`Connection: Upgrade`, `Upgrade: tcp`). */
export function wantsUpgrade(req: Request): boolean {
  return (req.headers.get('upgrade') ?? '').toLowerCase() === 'tcp'
    || (req.headers.get('connection') ?? '').toLowerCase().split(',').map((s) => s.trim()).includes('upgrade');
}
