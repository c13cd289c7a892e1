// The mount points a container gets at create (dockerd's registerMountPoints) over a real volume
// service in a temp dir: which volumes are made, named or anonymous, and what wins a path.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { EventBus } from '../../core/engine/events.ts';
import { VolumeService } from '../../core/engine/volumes/service.ts';
import { containerMountPoints, volumeNames } from '../../core/engine/volumes/container-mounts.ts';
import type { MountPoint } from '../../core/engine/containers/types.ts';
import { MemoryMetadataStore } from '../../core/metadata/memory-kv.ts';
import { localVolumeHost } from '../../host-linux/volumes/local-driver.ts';
import { removeDir, tempDir } from '../helpers/tmp.ts';

let dir: string;
let volumes: VolumeService;
before(async () => {
  dir = await tempDir('volumes-mounts-');
  volumes = new VolumeService({ store: new MemoryMetadataStore(), host: localVolumeHost(dir), events: new EventBus() });
});
after(async () => { await removeDir(dir); });

const row = (m: MountPoint) => [m.Type, m.Name ?? '', m.Destination, m.RW];

test('binds, named volumes, -v /path and the image VOLUMEs nothing else mounts', async () => {
  const mounts = await containerMountPoints(
    { Binds: ['/srv:/srv:ro', 'named1:/data', '/anon'], Mounts: [{ Type: 'volume', Target: '/m' }] },
    { '/data': {}, '/var/lib/x/': {}, '/anon': {} }, volumes,
  );
  const anon = (dest: string) => mounts.find((m) => m.Destination === dest)!.Name!;
  assert.deepEqual(mounts.map(row), [
    ['bind', '', '/srv', false], ['volume', 'named1', '/data', true], ['volume', anon('/anon'), '/anon', true],
    ['volume', anon('/m'), '/m', true], ['volume', anon('/var/lib/x'), '/var/lib/x', true],
  ]);
  for (const d of ['/anon', '/m', '/var/lib/x']) assert.match(anon(d), /^[0-9a-f]{64}$/);
  assert.equal(new Set(volumeNames(mounts)).size, 4);
  assert.equal(mounts[1]!.Source, join(dir, 'volumes/named1/_data'));
  assert.deepEqual(volumes.list(new Map([['label', ['com.docker.volume.anonymous']]])).map((v) => v.Name).sort(), [anon('/anon'), anon('/m'), anon('/var/lib/x')].sort());
});

test('--volumes-from: the other container\'s mounts with :ro/:rw, under the container\'s own; a bad mode is refused', async () => {
  const other: MountPoint[] = [
    { Type: 'volume', Name: 'shared', Source: '/v/shared', Destination: '/s', Driver: 'local', Mode: '', RW: true, Propagation: '' },
    { Type: 'bind', Source: '/h', Destination: '/h', Mode: '', RW: true, Propagation: 'rprivate' },
  ];
  const mountsOf = (ref: string) => { assert.equal(ref, 'c1'); return other; };
  const ro = await containerMountPoints({ VolumesFrom: ['c1:ro'], Binds: ['/mine:/h'] }, null, volumes, mountsOf);
  assert.deepEqual(ro.map(row), [['volume', 'shared', '/s', false], ['bind', '', '/h', true]]);
  assert.equal(ro[1]!.Source, '/mine');
  assert.deepEqual((await containerMountPoints({ VolumesFrom: ['c1'] }, null, volumes, mountsOf)).map(row), [['volume', 'shared', '/s', true], ['bind', '', '/h', true]]);
  await assert.rejects(containerMountPoints({ VolumesFrom: ['c1:rx'] }, null, volumes, mountsOf), { message: 'invalid mode for volumes-from: rx' });
});

test('volume-subpath is refused with a clear error, and nothing is created', async () => {
  const before = volumes.list(new Map()).length;
  await assert.rejects(containerMountPoints({ Mounts: [{ Type: 'volume', Source: 'sub1', Target: '/x', VolumeOptions: { Subpath: 'a/b' } }] }, null, volumes),
    { message: 'volume-subpath is not supported by berth yet: mount the whole volume at /x' });
  assert.equal(volumes.list(new Map()).length, before);
});
