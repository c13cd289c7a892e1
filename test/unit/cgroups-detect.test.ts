// Telling v1, hybrid and v2 hosts apart from /proc/self/mountinfo and /proc/cgroups.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseLayout, enabledControllers } from '../../host-linux/cgroups/detect.ts';
import { cfsBandwidth, pidsMax } from '../../host-linux/cgroups/resources.ts';
import { parseCpuList, systemCpuUsage } from '../../host-linux/cgroups/stats.ts';

const PROC_CGROUPS_V1 = `#subsys_name\thierarchy\tnum_cgroups\tenabled
cpuset\t3\t3\t1
cpu\t1\t3\t1
cpuacct\t1\t3\t1
memory\t4\t46\t1
net_cls\t0\t3\t1
pids\t8\t3\t1
rdma\t0\t1\t0
`;

// This machine's: v1 controllers, name=systemd, and an empty cgroup2 at /sys/fs/cgroup/unified.
const HYBRID = `31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct
34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset
35 31 0:32 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:12 - cgroup cgroup rw,memory
39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,release_agent=/lib/systemd/systemd-cgroups-agent,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
`;

const V2 = `25 30 0:22 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw
28 25 0:25 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot
`;

test('hybrid: v1 controllers win, the empty cgroup2 is kept beside them', () => {
  const l = parseLayout(HYBRID, PROC_CGROUPS_V1, () => '');
  assert.equal(l.mode, 'hybrid');
  assert.equal(l.version, 1);
  assert.equal(l.unified, '/sys/fs/cgroup/unified');
  assert.deepEqual(l.unifiedControllers, []);
  assert.equal(l.v1.get('cpu'), '/sys/fs/cgroup/cpu,cpuacct');
  assert.equal(l.v1.get('cpuacct'), '/sys/fs/cgroup/cpu,cpuacct');
  assert.equal(l.v1.get('name=systemd'), '/sys/fs/cgroup/systemd');
  assert.deepEqual(l.hierarchies.get('/sys/fs/cgroup/cpu,cpuacct'), ['cpu', 'cpuacct']);
  assert.deepEqual([...l.hierarchies.values()].map((n) => n.join(',')), ['cpu,cpuacct', 'cpuset', 'memory', 'pids', 'name=systemd']);
  assert.deepEqual(enabledControllers(PROC_CGROUPS_V1), ['cpuset', 'cpu', 'cpuacct', 'memory', 'net_cls', 'pids']);
});

test('v1 without cgroup2; unified v2 with its controllers', () => {
  const v1 = parseLayout(HYBRID.split('\n').filter((l) => !l.includes('cgroup2')).join('\n'), PROC_CGROUPS_V1, () => '');
  assert.equal(v1.mode, 'v1');
  assert.equal(v1.unified, undefined);
  const v2 = parseLayout(V2, PROC_CGROUPS_V1.replace(/\t\d+\t/g, '\t0\t'), (m) => {
    assert.equal(m, '/sys/fs/cgroup');
    return 'cpuset cpu io memory hugetlb pids rdma misc\n';
  });
  assert.equal(v2.mode, 'v2');
  assert.equal(v2.version, 2);
  assert.equal(v2.unified, '/sys/fs/cgroup');
  assert.deepEqual(v2.unifiedControllers, ['cpuset', 'cpu', 'io', 'memory', 'hugetlb', 'pids', 'rdma', 'misc']);
  assert.equal(v2.hierarchies.size, 0);
});

test('a hierarchy bound twice keeps its root mount; no cgroup fs at all is a clear error', () => {
  const twice = `${HYBRID}90 80 0:32 /docker/abc /container/sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n`;
  assert.equal(parseLayout(twice, PROC_CGROUPS_V1, () => '').v1.get('memory'), '/sys/fs/cgroup/memory');
  assert.throws(() => parseLayout('1 0 0:1 / / rw - ext4 /dev/sda rw\n', '', () => ''), /no cgroup file system is mounted/);
});

test('resource arithmetic: CFS bandwidth, pids, cpu lists, /proc/stat', () => {
  assert.deepEqual(cfsBandwidth({ NanoCpus: 1.5e9 }), { quota: 150000, period: 100000 });
  assert.deepEqual(cfsBandwidth({ CpuQuota: 20000, CpuPeriod: 50000 }), { quota: 20000, period: 50000 });
  assert.deepEqual(cfsBandwidth({ CpuQuota: 20000 }), { quota: 20000, period: 100000 });
  assert.deepEqual(cfsBandwidth({ NanoCpus: 0 }), { quota: -1, period: 100000 });
  assert.equal(cfsBandwidth({ Memory: 1 }), undefined);
  assert.equal(pidsMax(0), undefined);
  assert.equal(pidsMax(-1), undefined);
  assert.equal(pidsMax(null), undefined);
  assert.equal(pidsMax(5), 5);
  assert.deepEqual(parseCpuList('0-2,5'), [0, 1, 2, 5]);
  assert.throws(() => parseCpuList('3-1'), /invalid format: 3-1/);
  assert.equal(systemCpuUsage('cpu  10 20 30 40 50 60 70 80 90\ncpu0 1 2 3\n'), (10 + 20 + 30 + 40 + 50 + 60 + 70) * 1e7);
});
