// berth's OCI spec against the specs a real dockerd 20.10 (+ containerd + runc) wrote for the same
// containers (test/fixtures/runtime-spec, captured by capture.ts there). Each case feeds berth the
// Config and HostConfig dockerd stored (its inspect JSON) and compares field by field, except where
// berth deliberately differs; those differences are asserted explicitly below.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { generateSpec, type SpecInput } from '../../core/runtime-spec/spec.ts';
import { ALL_CAPABILITIES } from '../../core/runtime-spec/capabilities.ts';
import { DEFAULT_DEVICES } from '../../core/runtime-spec/devices.ts';
import type { Spec } from '../../core/runtime-spec/types.ts';

const DIR = new URL('../fixtures/runtime-spec/', import.meta.url);
const ID = 'f00dfeed0123456789abcdef0123456789abcdef0123456789abcdef01234567';
const PASSWD = 'root:x:0:0:root:/root:/bin/sh\nalice:x:1000:1000:Alice:/home/alice:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n';
const GROUP = 'root:x:0:\naudio:x:29:alice\nalice:x:1000:\nstaff:x:50:alice,bob\nnogroup:x:65534:\n';

function load(name: string, kind: 'spec' | 'inspect'): any {
  const text = readFileSync(new URL(`${name}.${kind}.json`, DIR), 'utf8').replaceAll('@SHORTID@', ID.slice(0, 12)).replaceAll('@ID@', ID).replaceAll('@HOSTDIR@', '/srv/host');
  return JSON.parse(text);
}

async function berthSpec(name: string): Promise<{ mine: Spec; docker: Spec }> {
  const docker = load(name, 'spec') as Spec;
  const inspect = load(name, 'inspect');
  const input: SpecInput = {
    id: ID,
    config: inspect.Config,
    hostConfig: inspect.HostConfig,
    rootfs: { readFile: (p) => (p === '/etc/passwd' ? PASSWD : p === '/etc/group' ? GROUP : null) },
    rootfsPath: docker.root!.path,
    files: { hostname: inspect.HostnamePath, hosts: inspect.HostsPath, resolvConf: inspect.ResolvConfPath },
    host: { arch: 'amd64', kernel: '6.1.0', cgroupVersion: 1, hostname: 'vm', capabilities: ALL_CAPABILITIES.filter((c) => c !== 'CAP_SYS_RESOURCE') },
    initPath: '/usr/bin/docker-init',
    cgroupParent: '/docker',
  };
  return { mine: (await generateSpec(input)).spec, docker };
}

/** Removes what berth does differently on purpose (each asserted in its own test). */
function normalize(spec: Spec): any {
  const s = structuredClone(spec) as any;
  delete s.linux.seccomp;
  delete s.linux.devices;
  delete s.hooks;
  s.linux.maskedPaths = s.linux.maskedPaths?.filter((p: string) => p !== '/sys/devices/virtual/powercap');
  if (s.linux.maskedPaths === undefined) delete s.linux.maskedPaths;
  // dockerd joins the host's netns by path for --network host; berth creates no net namespace.
  s.linux.namespaces = s.linux.namespaces.filter((n: any) => !(n.type === 'network' && n.path));
  s.process.user.additionalGids?.sort((a: number, b: number) => a - b);
  for (const k of ['bounding', 'effective', 'permitted']) s.process.capabilities[k]?.sort();
  return s;
}

const CASES = readdirSync(DIR).filter((f) => f.endsWith('.spec.json')).map((f) => f.replace('.spec.json', '')).sort();

describe('runtime spec: same as a real dockerd', () => {
  for (const name of CASES) {
    it(name, async () => {
      const { mine, docker } = await berthSpec(name);
      const m = normalize(mine);
      const d = normalize(docker);
      if (name === 'privileged') {
        // dockerd 20.10 knows 38 capabilities; berth knows 41, less what the host's bounding set lacks.
        const extra = ['CAP_BPF', 'CAP_CHECKPOINT_RESTORE', 'CAP_PERFMON'];
        assert.deepEqual(m.process.capabilities.bounding.filter((c: string) => !extra.includes(c)),
          d.process.capabilities.bounding.filter((c: string) => c !== 'CAP_SYS_RESOURCE'));
        delete m.process.capabilities; delete d.process.capabilities;
      }
      assert.deepEqual(m, d);
    });
  }

  it('default: seccomp is moby\'s current default profile, a superset of 20.10\'s for amd64', async () => {
    const { mine, docker } = await berthSpec('default');
    const s = mine.linux!.seccomp!;
    assert.equal(s.defaultAction, docker.linux!.seccomp!.defaultAction);
    assert.deepEqual(s.architectures, docker.linux!.seccomp!.architectures);
    const allowed = (x: typeof s) => new Set(x.syscalls!.filter((r) => r.action === 'SCMP_ACT_ALLOW' && !r.args).flatMap((r) => r.names));
    const missing = [...allowed(docker.linux!.seccomp!)].filter((n) => !allowed(s).has(n));
    // Current moby allows socket() only for families other than AF_VSOCK (an args rule).
    assert.deepEqual(missing, ['socket']);
    assert.ok(s.syscalls!.some((r) => r.names.includes('socket') && r.args?.[0]?.op === 'SCMP_CMP_NE' && r.args[0].value === 40));
    assert.deepEqual(JSON.stringify(s.syscalls!.filter((r) => r.args && !r.names.includes('socket'))), JSON.stringify(docker.linux!.seccomp!.syscalls!.filter((r) => r.args).map((r) => ({ names: r.names, action: r.action, args: r.args }))));
  });

  it('default: the OCI default devices are listed; no seccomp with --privileged or seccomp=unconfined', async () => {
    const { mine } = await berthSpec('default');
    assert.deepEqual(mine.linux!.devices, DEFAULT_DEVICES);
    assert.equal((await berthSpec('privileged')).mine.linux!.seccomp, undefined);
    assert.equal((await berthSpec('security-opts')).mine.linux!.seccomp, undefined);
    assert.equal((await berthSpec('network-host')).mine.linux!.namespaces!.some((n) => n.type === 'network'), false);
  });
});
