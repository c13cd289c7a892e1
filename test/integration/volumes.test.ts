// Volumes through the real docker CLI against berthd: named volumes created on demand and by
// `volume create`, data kept across containers and a daemon restart, in-use errors, prune,
// inspect, anonymous volumes from `-v /path` and an image's VOLUME filled from the image (copy-up).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { containersMissing, startContainerDaemon } from '../helpers/containers.ts';

const skip = containersMissing();

type ContainerDaemon = Awaited<ReturnType<typeof startContainerDaemon>>;

describe('volumes through the docker CLI', { skip }, () => {
  let d: ContainerDaemon;
  let first: ContainerDaemon | undefined;
  const docker = (...args: string[]) => d.docker(args);
  const ok = async (...args: string[]) => {
    const r = await docker(...args);
    assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}\ndaemon log:\n${d.logs().slice(-3000)}`);
    return r.stdout;
  };

  before(async () => { d = await startContainerDaemon(); });
  after(async () => {
    // A failed test may leave a tmpfs volume mounted: unmount it, or the temp dir could not go.
    const left = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4] ?? '').filter((m) => d && m.startsWith(`${d.dataRoot}/volumes/`));
    for (const m of left) execFileSync('umount', ['-l', m]);
    await d?.cleanup();
    if (first && first !== d) await first.cleanup();
  });

  test('create, inspect, ls, rm with docker 28 output and errors', async () => {
    assert.equal(await ok('volume', 'create', '--label', 'team=a', 'v1'), 'v1\n');
    const [v] = JSON.parse(await ok('volume', 'inspect', 'v1')) as Record<string, unknown>[];
    assert.equal(v!.Name, 'v1');
    assert.equal(v!.Driver, 'local');
    assert.equal(v!.Scope, 'local');
    assert.equal(v!.Mountpoint, `${d.dataRoot}/volumes/v1/_data`);
    assert.deepEqual(v!.Labels, { team: 'a' });
    assert.match(v!.CreatedAt as string, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.ok(existsSync(`${d.dataRoot}/volumes/v1/_data`));
    assert.equal(await ok('volume', 'inspect', '--format', '{{.Name}} {{.Driver}} {{.Labels}}', 'v1'), 'v1 local map[team:a]\n');
    assert.equal(await ok('volume', 'ls', '-q', '--filter', 'label=team=a'), 'v1\n');
    assert.equal(await ok('volume', 'ls', '-q', '--filter', 'label=team=b'), '');
    assert.match(await ok('volume', 'ls'), /^DRIVER +VOLUME NAME\nlocal +v1\n/);

    const bad = await docker('volume', 'create', 'a/b');
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /create a\/b: "a\/b" includes invalid characters for a local volume name, only "\[a-zA-Z0-9\]\[a-zA-Z0-9_.-\]" are allowed/);
    const opt = await docker('volume', 'create', '--opt', 'bogus=1', 'v2');
    assert.match(opt.stderr, /invalid option key: "bogus"/);
    assert.equal((await docker('volume', 'inspect', 'v2')).code, 1, 'a refused create leaves nothing behind');
    const missing = await docker('volume', 'inspect', 'nosuch');
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /no such volume/);
    assert.equal(await ok('volume', 'rm', 'v1'), 'v1\n');
    assert.ok(!existsSync(`${d.dataRoot}/volumes/v1`));
    assert.equal((await docker('volume', 'rm', 'v1')).code, 1);
    assert.equal((await docker('volume', 'rm', '-f', 'v1')).code, 0);
  });

  test('a named volume is created by run, keeps its data across containers and a daemon restart, and cannot be removed in use', async () => {
    await ok('run', '--rm', '-v', 'data1:/data', 'busybox', 'sh', '-c', 'echo kept > /data/f');
    assert.equal(await ok('run', '--rm', '--mount', 'type=volume,src=data1,dst=/mnt', 'busybox', 'cat', '/mnt/f'), 'kept\n');
    const id = (await ok('create', '--name', 'user1', '-v', 'data1:/data', 'busybox', 'true')).trim();
    const [c] = JSON.parse(await ok('inspect', 'user1')) as { Mounts: Record<string, unknown>[] }[];
    assert.deepEqual(c!.Mounts.map((m) => [m.Type, m.Name, m.Source, m.Destination, m.Driver, m.RW]),
      [['volume', 'data1', `${d.dataRoot}/volumes/data1/_data`, '/data', 'local', true]]);
    const inUse = await docker('volume', 'rm', 'data1');
    assert.equal(inUse.code, 1);
    assert.match(inUse.stderr, new RegExp(`remove data1: volume is in use - \\[${id}\\]`));
    assert.equal((await docker('volume', 'rm', '-f', 'data1')).code, 1, 'force does not remove a volume in use');
    assert.equal(await ok('volume', 'ls', '-q', '--filter', 'dangling=true'), '');

    await d.stop();
    first = d;
    d = await startContainerDaemon({ dataRoot: d.dataRoot, execRoot: first.shortExecRoot });
    assert.equal(await ok('run', '--rm', '-v', 'data1:/data', 'busybox', 'cat', '/data/f'), 'kept\n');
    await ok('rm', 'user1');
    assert.equal(await ok('volume', 'ls', '-q', '--filter', 'dangling=true'), 'data1\n');
    await ok('volume', 'rm', 'data1');
  });

  test('anonymous volumes: -v /path, an image VOLUME filled from the image with its owner, rm -v, --rm, prune', async () => {
    await ok('run', '--name', 'src', 'busybox', 'sh', '-c', 'mkdir -p /seed && echo from-image > /seed/f && chown -R 1234:5678 /seed');
    await ok('commit', '--change', 'VOLUME /seed', 'src', 'volimg:1');
    await ok('rm', 'src');
    const out = await ok('run', '--name', 'anon', 'volimg:1', 'sh', '-c', 'cat /seed/f; stat -c "%u:%g" /seed /seed/f');
    assert.equal(out, 'from-image\n1234:5678\n1234:5678\n');
    const [c] = JSON.parse(await ok('inspect', 'anon')) as { Mounts: Record<string, string>[] }[];
    const anon = c!.Mounts.find((m) => m.Destination === '/seed')!;
    assert.equal(anon.Type, 'volume');
    assert.match(anon.Name!, /^[0-9a-f]{64}$/);
    assert.equal(anon.Source, `${d.dataRoot}/volumes/${anon.Name}/_data`);

    // nocopy (either syntax) leaves a fresh volume empty; a non-empty volume is never filled over.
    assert.equal(await ok('run', '--rm', '--mount', 'type=volume,src=nc1,dst=/seed,volume-nocopy', 'volimg:1', 'ls', '-A', '/seed'), '');
    assert.equal(await ok('run', '--rm', '-v', 'nc2:/seed:nocopy', 'volimg:1', 'ls', '-A', '/seed'), '');
    await ok('run', '--rm', '-v', 'nc2:/seed', 'busybox', 'sh', '-c', 'echo mine > /seed/own');
    assert.equal(await ok('run', '--rm', '-v', 'nc2:/seed:ro', 'volimg:1', 'ls', '-A', '/seed'), 'own\n');
    const ro = await docker('run', '--rm', '-v', 'nc2:/seed:ro', 'busybox', 'touch', '/seed/x');
    assert.match(ro.stderr, /Read-only file system/);
    await ok('volume', 'rm', 'nc1', 'nc2');

    // A named volume beside it, and rm -v: the anonymous one goes, the named one stays.
    await ok('run', '--name', 'both', '-v', 'keep1:/k', '-v', '/tmpvol', 'busybox', 'true');
    const [b] = JSON.parse(await ok('inspect', 'both')) as { Mounts: Record<string, string>[] }[];
    const tmpvol = b!.Mounts.find((m) => m.Destination === '/tmpvol')!.Name!;
    await ok('rm', '-v', 'both');
    assert.equal((await docker('volume', 'inspect', tmpvol)).code, 1);
    assert.equal(await ok('volume', 'ls', '-q', '--filter', 'name=keep1'), 'keep1\n');

    // --rm removes its anonymous volumes.
    const before = (await ok('volume', 'ls', '-q')).split('\n').filter(Boolean).length;
    await ok('run', '--rm', '-v', '/x', 'volimg:1', 'true');
    assert.equal((await ok('volume', 'ls', '-q')).split('\n').filter(Boolean).length, before);

    // prune: only unused anonymous volumes, every unused one with -a.
    await ok('rm', 'anon');
    const pruned = await ok('volume', 'prune', '-f');
    assert.match(pruned, new RegExp(`Deleted Volumes:\\n${anon.Name}\\n`));
    assert.equal(await ok('volume', 'ls', '-q'), 'keep1\n');
    assert.match(await ok('volume', 'prune', '-af'), /Deleted Volumes:\nkeep1\n/);
    assert.equal(await ok('volume', 'ls', '-q'), '');
  });

  test('a tmpfs volume (--opt type=tmpfs) is mounted at first use', async () => {
    await ok('volume', 'create', '--opt', 'type=tmpfs', '--opt', 'device=tmpfs', '--opt', 'o=size=1m', 'tv');
    const out = await ok('run', '--rm', '-v', 'tv:/t', 'busybox', 'sh', '-c', 'df -k /t | tail -1');
    assert.match(out, /^tmpfs +1024 /);
    // Unmounted once no running container has it, as dockerd's local driver does.
    assert.ok(!readFileSync('/proc/self/mountinfo', 'utf8').includes(`${d.dataRoot}/volumes/tv/_data`));
    // Nor does a start that fails leave it mounted.
    assert.equal((await docker('run', '--rm', '-v', 'tv:/t', 'busybox', '/no/such/binary')).code, 127);
    assert.ok(!readFileSync('/proc/self/mountinfo', 'utf8').includes(`${d.dataRoot}/volumes/tv/_data`));
    await ok('volume', 'rm', 'tv');
    // A bind volume: the host directory behind a name.
    await ok('volume', 'create', '--opt', 'type=none', '--opt', 'o=bind', '--opt', `device=${d.dir}`, 'bv');
    await ok('run', '--rm', '-v', 'bv:/b', 'busybox', 'sh', '-c', 'echo through-bind > /b/bound.txt');
    assert.equal(readFileSync(`${d.dir}/bound.txt`, 'utf8'), 'through-bind\n');
    await ok('volume', 'rm', 'bv');
    assert.ok(existsSync(`${d.dir}/bound.txt`), 'removing a bind volume unmounts it and leaves the host directory alone');
    // --mount creates the volume with its volume-opt and volume-label.
    assert.match(await ok('run', '--rm', '--mount', 'type=volume,src=mv,dst=/m,volume-opt=type=tmpfs,volume-opt=device=tmpfs,volume-opt=o=size=2m,volume-label=k=v', 'busybox', 'df', '-k', '/m'), /tmpfs +2048 /);
    assert.equal(await ok('volume', 'inspect', '--format', '{{json .Options}} {{json .Labels}}', 'mv'), '{"device":"tmpfs","o":"size=2m","type":"tmpfs"} {"k":"v"}\n');
    await ok('volume', 'rm', 'mv');
    const bad = await docker('volume', 'create', '--opt', 'type=nfs', '--opt', 'device=:/x', '--opt', 'o=addr=127.0.0.1', 'nv');
    assert.equal(bad.code, 0, 'dockerd accepts the options at create and fails at first use');
    const use = await docker('run', '--rm', '-v', 'nv:/n', 'busybox', 'true');
    assert.equal(use.code, 125);
    assert.match(use.stderr, /type "nfs" is not supported by berth's local driver/);
    await ok('volume', 'rm', 'nv');
  });

  test('--volumes-from takes the other container\'s volumes and binds, :ro makes them read-only', async () => {
    await ok('create', '--name', 'vsrc', '-v', 'shared1:/s', '-v', `${d.dir}:/hostdir`, 'busybox', 'true');
    assert.equal(await ok('run', '--rm', '--volumes-from', 'vsrc', 'busybox', 'sh', '-c', 'echo hi > /s/f && ls -d /hostdir'), '/hostdir\n');
    const ro = await docker('run', '--rm', '--volumes-from', 'vsrc:ro', 'busybox', 'sh', '-c', 'cat /s/f; echo x > /s/g');
    assert.equal(ro.code, 1);
    assert.equal(ro.stdout, 'hi\n');
    assert.match(ro.stderr, /Read-only file system/);
    const missing = await docker('run', '--rm', '--volumes-from', 'nosuch', 'busybox', 'true');
    assert.equal(missing.code, 125);
    assert.match(missing.stderr, /No such container: nosuch/);
    assert.match((await docker('run', '--rm', '--volumes-from', 'vsrc:xx', 'busybox', 'true')).stderr, /invalid mode for volumes-from: xx/);
    await ok('rm', 'vsrc');
    await ok('volume', 'rm', 'shared1');
  });

  test('mount and unmount events', async () => {
    const since = Math.floor(Date.now() / 1000) - 1;
    const id = (await ok('run', '-d', '-v', 'ev1:/e', 'busybox', 'true')).trim();
    await ok('wait', id);
    const until = Math.floor(Date.now() / 1000) + 1;
    const events = await ok('events', '--since', String(since), '--until', String(until), '--filter', 'type=volume', '--format', '{{.Action}} {{.Actor.ID}} {{.Actor.Attributes.container}}');
    const mine = events.split('\n').filter((l) => l.split(' ')[1] === 'ev1');
    assert.deepEqual(mine, ['create ev1 <no value>', `mount ev1 ${id}`, `unmount ev1 ${id}`]);
    await ok('rm', id);
    await ok('volume', 'rm', 'ev1');
  });
});
