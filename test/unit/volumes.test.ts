// The volume service over the Linux local driver's directories (in a temp dir) and the fs metadata
// store, through the /volumes API: dockerd's name and option rules and texts, filters, in-use
// refusals, prune's anonymous-only default, events, and records that survive a new service.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { EventBus } from '../../core/engine/events.ts';
import { VolumeService } from '../../core/engine/volumes/service.ts';
import { Router } from '../../core/api/router.ts';
import { volumeRoutes } from '../../core/api/volumes.ts';
import { FsMetadataStore } from '../../host-linux/metadata/fs-kv.ts';
import { localVolumeHost, parseMountOptions } from '../../host-linux/volumes/local-driver.ts';
import { removeDir, tempDir } from '../helpers/tmp.ts';

let dir: string;
before(async () => { dir = await tempDir('volumes-unit-'); });
after(async () => { await removeDir(dir); });

async function service(root: string) {
  const events = new EventBus();
  const volumes = new VolumeService({ store: await FsMetadataStore.open(join(root, 'metadata')), host: localVolumeHost(root), events, now: () => new Date('2026-01-02T03:04:05.678Z') });
  await volumes.load();
  const router = new Router();
  volumeRoutes(router, volumes);
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await router.handle(new Request(`http://x${path}`, { method, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) }));
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) as Record<string, unknown> : undefined };
  };
  return { volumes, events, call };
}

test('create answers 201 with dockerd\'s Volume JSON and makes <root>/volumes/<name>/_data; names and options are checked', async () => {
  const root = join(dir, 'a');
  const { call, events } = await service(root);
  const r = await call('POST', '/volumes/create', { Name: 'data', Labels: { a: 'b' } });
  assert.equal(r.status, 201);
  assert.deepEqual(r.body, { CreatedAt: '2026-01-02T03:04:05Z', Driver: 'local', Labels: { a: 'b' }, Mountpoint: join(root, 'volumes/data/_data'), Name: 'data', Options: null, Scope: 'local' });
  assert.ok(existsSync(join(root, 'volumes/data/_data')));
  assert.deepEqual(events.recent().map((e) => [e.Type, e.Action, e.Actor.ID, e.Actor.Attributes.driver]), [['volume', 'create', 'data', 'local']]);
  // Again: the same volume, no second event.
  assert.equal((await call('POST', '/volumes/create', { Name: 'data' })).status, 201);
  assert.equal(events.recent().length, 1);

  assert.deepEqual(await call('POST', '/volumes/create', { Name: 'x' }), { status: 400, body: { message: 'create x: volume name is too short, names should be at least two alphanumeric characters' } });
  assert.equal((await call('POST', '/volumes/create', { Name: '_ab' })).body!.message,
    'create _ab: "_ab" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path');
  assert.deepEqual(await call('POST', '/volumes/create', { Name: 'o1', DriverOpts: { foo: '1' } }), { status: 400, body: { message: 'create o1: invalid option key: "foo"' } });
  assert.equal((await call('POST', '/volumes/create', { Name: 'o2', Driver: 'nfsplugin' })).status, 404);
  assert.ok(!existsSync(join(root, 'volumes/o1')) && !existsSync(join(root, 'volumes/o2')), 'refused volumes leave no directory');
  assert.deepEqual(await call('POST', '/volumes/create', { Name: 'l1', Labels: ['a'] }), { status: 400, body: { message: 'invalid volume create request: Labels must be an object of strings' } });
  assert.equal((await call('POST', '/volumes/create', { Name: 7 })).body!.message, 'invalid volume create request: Name must be a string');
  const anon = await call('POST', '/volumes/create', {});
  assert.match(anon.body!.Name as string, /^[0-9a-f]{64}$/);
});

test('list filters (name, label, driver, dangling), inspect and rm answers, in-use refusal, prune', async () => {
  const root = join(dir, 'b');
  const { volumes, call, events } = await service(root);
  await volumes.create({ Name: 'web-data', Labels: { app: 'web' } });
  await volumes.create({ Name: 'db-data', Labels: { app: 'db' } });
  let anon!: Awaited<ReturnType<typeof volumes.create>>;
  await volumes.ensure(undefined, true, {}, (v) => { anon = v; });
  assert.deepEqual(anon.Labels, { 'com.docker.volume.anonymous': '' });
  const used = new Set(['db-data']);
  volumes.users = (n) => (used.has(n) ? ['c0ffee'] : []);
  const names = async (filters: Record<string, string[]>) =>
    ((await call('GET', `/volumes?filters=${encodeURIComponent(JSON.stringify(filters))}`)).body!.Volumes as { Name: string }[]).map((v) => v.Name);
  assert.deepEqual(await names({ name: ['data'] }), ['db-data', 'web-data']);
  assert.deepEqual(await names({ label: ['app=web'] }), ['web-data']);
  assert.deepEqual(await names({ label: ['app'] }), ['db-data', 'web-data']);
  assert.deepEqual(await names({ driver: ['local'], dangling: ['false'] }), ['db-data']);
  assert.deepEqual(await names({ dangling: ['true'] }), [anon.Name, 'web-data'].sort());
  assert.equal((await call('GET', '/volumes?filters={"until":["1h"]}')).body!.message, "invalid filter 'until'");

  assert.deepEqual(await call('GET', '/volumes/nosuch'), { status: 404, body: { message: 'get nosuch: no such volume' } });
  assert.deepEqual(await call('DELETE', '/volumes/nosuch'), { status: 404, body: { message: 'get nosuch: no such volume' } });
  assert.equal((await call('DELETE', '/volumes/nosuch?force=1')).status, 204);
  assert.deepEqual(await call('DELETE', '/volumes/db-data?force=1'), { status: 409, body: { message: 'remove db-data: volume is in use - [c0ffee]' } });

  // prune: the unused anonymous volume only; with all=true the unused named ones too; never one in use.
  await writeFile(join(volumes.get(anon.Name).Mountpoint, 'f'), 'x'.repeat(5000));
  const p = await call('POST', '/volumes/prune');
  assert.deepEqual(p.body, { VolumesDeleted: [anon.Name], SpaceReclaimed: 5000 });
  assert.ok(!existsSync(join(root, 'volumes', anon.Name)));
  assert.deepEqual((await call('POST', '/volumes/prune?filters={"all":["true"],"label!":["app=web"]}')).body, { VolumesDeleted: null, SpaceReclaimed: 0 });
  assert.deepEqual((await call('POST', '/volumes/prune?filters={"all":["true"]}')).body, { VolumesDeleted: ['web-data'], SpaceReclaimed: 0 });
  assert.deepEqual(await names({}), ['db-data']);
  assert.deepEqual(events.recent().filter((e) => e.Action === 'destroy').map((e) => e.Actor.ID), [anon.Name, 'web-data']);
  assert.equal(events.recent().filter((e) => e.Action === 'prune').length, 3);

  // A new service over the same root (a daemon restart) finds the volume as it was; a torn record is skipped.
  await writeFile(join(root, 'metadata', 'volume%2Fbroken'), '{"Na');
  const again = await service(root);
  assert.deepEqual(again.volumes.get('db-data'), volumes.get('db-data'));
  assert.deepEqual(again.volumes.list(new Map()).map((v) => v.Name), ['db-data']);
});

test('the local driver\'s mount options split into flags and data as mount(8) does', () => {
  assert.deepEqual(parseMountOptions('size=1m,uid=1000'), { flags: 0, data: 'size=1m,uid=1000' });
  assert.deepEqual(parseMountOptions('bind,ro'), { flags: 0x1000 | 0x1, data: '' });
  assert.deepEqual(parseMountOptions('bind,ro,rw,noexec'), { flags: 0x1000 | 0x8, data: '' });
});
