// The dockerd test harness itself: a real dockerd starts fenced off from the host (no docker0, no
// firewall rules), runs a busybox image made without any registry, and leaves nothing behind.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dockerdMissing, hostNetworkSnapshot, importBusybox, startDockerd, type TestDockerd } from '../helpers/dockerd.ts';

const skip = dockerdMissing();

describe('test dockerd', { skip: skip ?? false }, () => {
  let d: TestDockerd | undefined;
  let net: ReturnType<typeof hostNetworkSnapshot>;

  before(async () => {
    net = hostNetworkSnapshot();
    d = await startDockerd();
  });
  after(async () => { await d?.cleanup(); });

  it('answers the docker CLI on its own socket with its own data root', async () => {
    const info = JSON.parse(await d!.dockerOk(['info', '--format', '{{json .}}'])) as { DockerRootDir: string; Driver: string };
    assert.equal(info.DockerRootDir, d!.dataRoot);
    assert.equal(info.Driver, d!.storageDriver);
  });

  it('leaves the host network alone: no docker0, no new links, iptables unchanged', () => {
    const now = hostNetworkSnapshot();
    assert.ok(!now.links.includes('docker0') || net.links.includes('docker0'), `docker0 appeared: ${now.links.join(', ')}`);
    assert.deepEqual(now.links.filter((l) => !net.links.includes(l)), []);
    assert.equal(now.iptables, net.iptables);
  });

  it('runs an imported busybox image with --network none', async () => {
    const id = await importBusybox(d!, 'interop/busybox:harness');
    assert.match(id, /^sha256:[0-9a-f]{64}$/);
    const out = await d!.dockerOk(['run', '--rm', '--network', 'none', 'interop/busybox:harness', 'echo', 'ok']);
    assert.equal(out, 'ok\n');
  });

  it('stops cleanly: dockerd and its containerd exit, no mounts left, temp dir removed', async () => {
    const cpidFile = `${d!.execRoot}/containerd/containerd.pid`;
    const cpid = existsSync(cpidFile) ? Number(readFileSync(cpidFile, 'utf8')) : 0;
    const dir = d!.dir;
    await d!.cleanup();
    const pid = d!.process.pid!;
    d = undefined;
    assert.throws(() => process.kill(pid, 0), /ESRCH/);
    if (cpid > 0) assert.throws(() => process.kill(cpid, 0), /ESRCH/);
    const mounts = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.includes(dir));
    assert.deepEqual(mounts, []);
    assert.equal(existsSync(dir), false);
  });
});
