// The events bus and /events: replay with since/until, live delivery, filters, encoding.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventBus } from '../../core/engine/events.ts';
import { matchEvent } from '../../core/engine/event-filter.ts';
import { Router } from '../../core/api/router.ts';
import { eventRoutes, encodeEvent } from '../../core/api/events.ts';

function clock(start: number) {
  let t = start;
  return { now: () => new Date(t), advance: (ms: number) => { t += ms; } };
}

test('events get strictly increasing times and are encoded with exact timeNano and legacy fields', () => {
  const c = clock(1_700_000_000_000);
  const bus = new EventBus(c.now);
  const a = bus.publish('image', 'pull', 'busybox:latest', { name: 'busybox:latest' });
  const b = bus.publish('image', 'tag', 'sha256:1', { name: 'x:1' });
  assert.ok(b.timeNano > a.timeNano);
  const line = new TextDecoder().decode(encodeEvent(a, '1.47'));
  assert.equal(line, '{"status":"pull","id":"busybox:latest","Type":"image","Action":"pull","Actor":{"ID":"busybox:latest","Attributes":{"name":"busybox:latest"}},"scope":"local","time":1700000000,"timeNano":1700000000000000000}\n');
  assert.ok(!new TextDecoder().decode(encodeEvent(a, '1.52')).includes('"status"'));
});

test('filters: type, event, image (with and without tag), label', () => {
  const bus = new EventBus();
  const pull = bus.publish('image', 'pull', 'busybox:latest', { name: 'busybox:latest', maintainer: 'me' });
  const start = bus.publish('container', 'start', 'abc', { image: 'busybox', name: 'web' });
  const f = (o: Record<string, string[]>) => new Map(Object.entries(o));
  assert.equal(matchEvent(f({ type: ['image'] }), pull), true);
  assert.equal(matchEvent(f({ type: ['image'] }), start), false);
  assert.equal(matchEvent(f({ event: ['pull', 'push'] }), pull), true);
  assert.equal(matchEvent(f({ event: ['tag'] }), pull), false);
  assert.equal(matchEvent(f({ image: ['busybox'] }), pull), true);
  assert.equal(matchEvent(f({ image: ['busybox'] }), start), true);
  assert.equal(matchEvent(f({ image: ['alpine'] }), pull), false);
  assert.equal(matchEvent(f({ container: ['we'] }), start), true);
  assert.equal(matchEvent(f({ container: ['web'] }), pull), false);
  assert.equal(matchEvent(f({ label: ['maintainer=me'] }), pull), true);
  assert.equal(matchEvent(f({ label: ['maintainer=you'] }), pull), false);
});

test('GET /events replays the buffer from since, ends at until, and filters', async () => {
  const c = clock(1_700_000_000_000);
  const bus = new EventBus(c.now);
  const router = new Router();
  eventRoutes(router, bus, c.now);
  bus.publish('image', 'pull', 'a:1', { name: 'a:1' });
  c.advance(1000);
  bus.publish('image', 'tag', 'sha256:1', { name: 'b:1' });
  c.advance(1000);
  bus.publish('image', 'delete', 'sha256:1', { name: 'sha256:1' });
  c.advance(1000);
  const filters = encodeURIComponent(JSON.stringify({ event: { tag: true, delete: true } }));
  const res = await router.handle(new Request(`http://x/v1.47/events?since=1699999999&until=1700000002.5&filters=${filters}`));
  assert.equal(res.status, 200);
  const lines = (await res.text()).trim().split('\n').map((l) => JSON.parse(l) as { Action: string });
  assert.deepEqual(lines.map((l) => l.Action), ['tag', 'delete']);
});

test('GET /events without until streams live events and stops when the client leaves', async () => {
  const bus = new EventBus();
  const router = new Router();
  eventRoutes(router, bus);
  const res = await router.handle(new Request('http://x/events?filters=%7B%22type%22%3A%5B%22image%22%5D%7D'));
  const reader = res.body!.getReader();
  assert.equal(bus.listenerCount, 1);
  bus.publish('container', 'start', 'c1');
  bus.publish('image', 'untag', 'sha256:2', { name: 'sha256:2' });
  const { value } = await reader.read();
  assert.equal(JSON.parse(new TextDecoder().decode(value)).Action, 'untag');
  await reader.cancel();
  assert.equal(bus.listenerCount, 0);
});
