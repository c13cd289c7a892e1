// GET /events: past events from the buffer (`since`), then live ones until `until` or the client leaves.
import type { EngineEvent, EventBus } from '../engine/events.ts';
import { matchEvent } from '../engine/event-filter.ts';
import { compareVersions } from './version.ts';
import { parseFilters, parseTimestampNanos } from './query.ts';
import { JSON_HEADERS } from './json-stream.ts';
import type { Router } from './router.ts';

const encoder = new TextEncoder();

/** Docker's events.Message, with the pre-1.52 `status`/`id`/`from` fields. timeNano is written exactly. */
export function encodeEvent(e: EngineEvent, version: string): Uint8Array {
  const legacy: Record<string, string> = {};
  if (compareVersions(version, '1.52') < 0) {
    legacy.status = e.Action;
    legacy.id = e.Actor.ID;
    if (e.Type === 'container' && e.Actor.Attributes.image) legacy.from = e.Actor.Attributes.image;
  }
  const seconds = e.timeNano / 1_000_000_000n;
  const body = JSON.stringify({ ...legacy, Type: e.Type, Action: e.Action, Actor: e.Actor, scope: e.scope, time: Number(seconds) });
  return encoder.encode(`${body.slice(0, -1)},"timeNano":${e.timeNano.toString()}}\n`);
}

export function eventRoutes(router: Router, bus: EventBus, now: () => Date = () => new Date()): void {
  router.get('/events', ({ query, version, req }) => {
    const filters = parseFilters(query.get('filters'));
    const since = query.get('since') ? parseTimestampNanos(query.get('since')!) : undefined;
    const until = query.get('until') ? parseTimestampNanos(query.get('until')!) : undefined;
    const nowNano = BigInt(now().getTime()) * 1_000_000n;
    let unsubscribe = () => {};
    let timer: ReturnType<typeof setTimeout> | undefined;
    let open = true;
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        const finish = () => {
          if (!open) return;
          open = false;
          unsubscribe();
          if (timer) clearTimeout(timer);
          try { controller.close(); } catch { /* the client already went away */ }
        };
        const send = (e: EngineEvent) => {
          if (!open || !matchEvent(filters, e)) return;
          if (until !== undefined && e.timeNano > until) { finish(); return; }
          controller.enqueue(encodeEvent(e, version));
        };
        // Replay and subscribe in one synchronous step, so no event falls between them.
        if (since !== undefined) for (const e of bus.recent(since, until)) send(e);
        if (!open) return;
        unsubscribe = bus.subscribe(send);
        if (until !== undefined) {
          if (until <= nowNano) { finish(); return; }
          timer = setTimeout(finish, Number((until - nowNano) / 1_000_000n));
        }
        req.signal.addEventListener('abort', finish, { once: true });
      },
      cancel() {
        open = false;
        unsubscribe();
        if (timer) clearTimeout(timer);
      },
    });
    return new Response(body, { status: 200, headers: JSON_HEADERS });
  });
}
