// `network connect` / `network disconnect` events for the predefined networks (bridge, host, none), as dockerd
// sends them at every container start and stop, through the real docker CLI: their attributes, their place
// among the container's events, `--filter type=network` and `--filter network=<name>`, and network IDs that
// match container inspect and stay the same across a daemon restart.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { containersMissing, startContainerDaemon, waitUntil } from '../helpers/containers.ts';
import type { TestDaemon } from '../helpers/berthd.ts';

const skip = containersMissing();

describe('network events of the predefined networks', { skip }, () => {
  const dir = mkdtempSync('/tmp/berth-netev-');
  const dataRoot = join(dir, 'data');
  let d: TestDaemon;

  const ok = async (args: string[]) => {
    const r = await d.docker(args, { timeoutMs: 60_000 });
    assert.equal(r.code, 0, `docker ${args.join(' ')} failed: ${r.stderr}\n${d.logs().slice(-2000)}`);
    return r.stdout;
  };
  const start = async () => {
    d = await startContainerDaemon({ dataRoot });
    await waitUntil('the built-in busybox', async () => (await d.docker(['image', 'inspect', 'busybox'])).code === 0, 30_000);
  };
  /** The events sent while `fn` runs, one line each in `format`. */
  const eventsAround = async (fn: () => Promise<void>, filters: string[], format: string) => {
    const since = (Date.now() / 1000).toFixed(3);
    await fn();
    const until = ((Date.now() + 200) / 1000).toFixed(3);
    const flags = filters.flatMap((f) => ['--filter', f]);
    return (await ok(['events', '--since', String(since), '--until', String(until), ...flags, '--format', format])).trim().split('\n').filter(Boolean);
  };

  /** `start -a` returns when the output ends; `wait` when the exit (and its events) is done. */
  const runAttached = async (name: string) => {
    await ok(['start', '-a', name]);
    await ok(['wait', name]);
  };

  before(start);
  after(async () => {
    await d?.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a run on the default network: connect before start, disconnect after die, with the bridge ID inspect shows', async () => {
    let id = '';
    const lines = await eventsAround(async () => {
      await ok(['run', '--name', 'web', 'busybox', 'true']);
      id = (await ok(['inspect', '--format', '{{.Id}}', 'web'])).trim();
    }, [], '{{.Type}} {{.Action}} {{.Actor.ID}} {{json .Actor.Attributes}}');
    // This container's events: its own, and the network's that name it.
    const mine = lines.map((l) => l.split(' ')).filter(([type, , actor, attrs]) => (type === 'container' ? actor === id : JSON.parse(attrs!).container === id));
    assert.deepEqual(mine.map(([type, action]) => `${type} ${action}`), [
      'container create', 'container attach', 'network connect', 'container start', 'container die', 'network disconnect',
    ]);
    const network = mine.filter(([type]) => type === 'network');
    const bridgeId = network[0]![2]!;
    assert.match(bridgeId, /^[0-9a-f]{64}$/);
    assert.equal(network[1]![2], bridgeId);
    for (const [, , , attrs] of network) assert.deepEqual(JSON.parse(attrs!), { container: id, name: 'bridge', type: 'bridge' });
    assert.equal(await ok(['inspect', '--format', '{{.NetworkSettings.Networks.bridge.NetworkID}}', 'web']), `${bridgeId}\n`);
    await ok(['rm', 'web']);
  });

  test('--filter type=network and network=<name> through the docker CLI; none and host have their own IDs and types', async () => {
    const ids: Record<string, string> = {};
    const all = await eventsAround(async () => {
      for (const net of ['none', 'host', 'bridge']) {
        ids[net] = (await ok(['create', '--network', net, '--name', `on-${net}`, 'busybox', 'true'])).trim();
        await runAttached(`on-${net}`);
      }
    }, ['type=network'], '{{.Type}} {{.Action}} {{.Actor.Attributes.name}} {{.Actor.Attributes.type}} {{.Actor.Attributes.container}} {{.Actor.ID}}');
    assert.deepEqual(all.map((l) => l.split(' ').slice(0, 5).join(' ')), [
      `network connect none null ${ids.none}`, `network disconnect none null ${ids.none}`,
      `network connect host host ${ids.host}`, `network disconnect host host ${ids.host}`,
      `network connect bridge bridge ${ids.bridge}`, `network disconnect bridge bridge ${ids.bridge}`,
    ]);
    const networkIds = new Map(all.map((l) => [l.split(' ')[2]!, l.split(' ')[5]!]));
    assert.equal(new Set(networkIds.values()).size, 3, 'one ID per network');
    for (const net of ['none', 'host', 'bridge']) {
      assert.equal(await ok(['inspect', '--format', `{{(index .NetworkSettings.Networks "${net}").NetworkID}}`, `on-${net}`]), `${networkIds.get(net)}\n`);
    }

    const none = await eventsAround(async () => { await runAttached('on-none'); await runAttached('on-bridge'); },
      ['network=none'], '{{.Action}} {{.Actor.Attributes.name}} {{.Actor.Attributes.container}}');
    assert.deepEqual(none, [`connect none ${ids.none}`, `disconnect none ${ids.none}`]);
    // By ID as well, as dockerd's filter matches the actor's ID or name.
    const byId = await eventsAround(async () => { await runAttached('on-host'); },
      [`network=${networkIds.get('host')}`], '{{.Action}} {{.Actor.Attributes.name}}');
    assert.deepEqual(byId, ['connect host', 'disconnect host']);
    await ok(['rm', 'on-none', 'on-host', 'on-bridge']);
  });

  test('the network IDs are kept across a daemon restart', async () => {
    const before = await eventsAround(async () => { await ok(['run', '--rm', 'busybox', 'true']); }, ['type=network'], '{{.Actor.ID}}');
    await d.cleanup();
    await start();
    const after = await eventsAround(async () => { await ok(['run', '--rm', 'busybox', 'true']); }, ['type=network'], '{{.Actor.ID}}');
    assert.equal(before.length, 2);
    assert.deepEqual(after, before);
  });
});
