// Resource validation against what a host supports, with dockerd's messages (checked side by side
// with dockerd 20.10 on this machine: `docker create -m 4m ...` and friends).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateResources, type CgroupSysInfo } from '../../host-linux/cgroups/validate.ts';
import { BerthError } from '../../core/errors.ts';

const full: CgroupSysInfo = {
  memoryLimit: true, swapLimit: true, memoryReservation: true, memorySwappiness: true, oomKillDisable: true, cpuShares: true, cpuCfs: true, cpuset: true,
  pidsLimit: true, blkioWeight: true, blkioWeightDevice: true, blkioReadBpsDevice: true, blkioWriteBpsDevice: true, blkioReadIOpsDevice: true,
  blkioWriteIOpsDevice: true, numCpu: 2, cpus: '0-1', mems: '0',
};
const MB = 1024 * 1024;

function refused(r: Parameters<typeof validateResources>[0], message: string, info = full, update = false) {
  assert.throws(() => validateResources(r, info, { update }), (e: unknown) => {
    assert.ok(e instanceof BerthError);
    assert.equal(e.status, 400);
    assert.equal(e.message, message);
    return true;
  });
}

test("dockerd's refusals, word for word", () => {
  refused({ Memory: 4 * MB }, 'Minimum memory limit allowed is 6MB');
  refused({ Memory: 16 * MB, MemorySwap: 8 * MB }, 'Minimum memoryswap limit should be larger than memory limit, see usage');
  refused({ MemorySwap: 32 * MB }, 'You should always set the Memory limit when using Memoryswap limit, see usage');
  refused({ NanoCpus: 3e9 }, 'Range of CPUs is from 0.01 to 2.00, as there are only 2 CPUs available');
  refused({ NanoCpus: -1 }, 'Range of CPUs is from 0.01 to 2.00, as there are only 2 CPUs available');
  refused({ CpuPeriod: 500 }, 'CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)');
  refused({ CpuQuota: 500 }, 'CPU cfs quota can not be less than 1ms (i.e. 1000)');
  refused({ NanoCpus: 1e9, CpuQuota: 50000 }, 'Conflicting options: Nano CPUs and CPU Quota cannot both be set');
  refused({ NanoCpus: 1e9, CpuPeriod: 50000 }, 'Conflicting options: Nano CPUs and CPU Period cannot both be set');
  refused({ CpusetCpus: '7' }, 'Requested CPUs are not available - requested 7, available: 0-1');
  refused({ CpusetCpus: '0-a' }, 'Invalid value 0-a for cpuset cpus: invalid format: 0-a');
  refused({ CpusetMems: '1' }, 'Requested memory nodes are not available - requested 1, available: 0');
  refused({ MemoryReservation: 1 * MB }, 'Minimum memory reservation allowed is 6MB');
  refused({ Memory: 8 * MB, MemoryReservation: 16 * MB }, 'Minimum memory limit can not be less than memory reservation limit, see usage');
  refused({ BlkioWeight: 5 }, 'Range of blkio weight is from 10 to 1000');
  refused({ MemorySwappiness: 101 }, 'Invalid value: 101, valid memory swappiness range is 0-100');
  refused({ NanoCpus: 1e9 }, 'NanoCPUs can not be set, as your kernel does not support CPU CFS scheduler or the cgroup is not mounted', { ...full, cpuCfs: false });
});

test("dockerd's defaults for a new container; an update keeps what it is given", () => {
  assert.deepEqual(validateResources({ Memory: 64 * MB }, full), { resources: { Memory: 64 * MB, MemorySwap: 128 * MB }, warnings: [] });
  assert.deepEqual(validateResources({ Memory: 64 * MB, MemorySwap: -1 }, full).resources.MemorySwap, -1);
  assert.equal(validateResources({ PidsLimit: 0 }, full).resources.PidsLimit, null);
  assert.equal(validateResources({ PidsLimit: -1 }, full).resources.PidsLimit, null);
  assert.equal(validateResources({ PidsLimit: -1 }, full, { update: true }).resources.PidsLimit, -1);
  assert.equal(validateResources({ MemorySwap: 32 * MB }, full, { update: true }).resources.MemorySwap, 32 * MB);
  assert.deepEqual(validateResources({ NanoCpus: 0.001e9 }, full).warnings, [], 'as dockerd, the kernel refuses it later');
});

test('what the host cannot limit is dropped with dockerd\'s warning', () => {
  const none: CgroupSysInfo = { ...full, memoryLimit: false, swapLimit: false, memoryReservation: false, memorySwappiness: false, oomKillDisable: false, cpuShares: false, cpuCfs: false, cpuset: false, pidsLimit: false, blkioWeight: false };
  const { resources, warnings } = validateResources({ Memory: 64 * MB, MemoryReservation: 32 * MB, MemorySwappiness: 10, OomKillDisable: true, PidsLimit: 5, CpuShares: 512, CpuQuota: 50000, CpusetCpus: '0', BlkioWeight: 5 }, none);
  assert.deepEqual(warnings, [
    'Your kernel does not support memory limit capabilities or the cgroup is not mounted. Limitation discarded.',
    'Your kernel does not support memory swappiness capabilities or the cgroup is not mounted. Memory swappiness discarded.',
    'Your kernel does not support memory soft limit capabilities or the cgroup is not mounted. Limitation discarded.',
    'Your kernel does not support OomKillDisable. OomKillDisable discarded.',
    'Your kernel does not support PIDs limit capabilities or the cgroup is not mounted. PIDs limit discarded.',
    'Your kernel does not support CPU shares or the cgroup is not mounted. Shares discarded.',
    'Your kernel does not support CPU CFS scheduler. CPU period/quota discarded.',
    'Your kernel does not support cpuset or the cgroup is not mounted. Cpuset discarded.',
    'Your kernel does not support Block I/O weight or the cgroup is not mounted. Weight discarded.',
  ]);
  assert.deepEqual(resources, { Memory: 0, MemorySwap: -1, MemoryReservation: 0, MemorySwappiness: null, OomKillDisable: false, PidsLimit: null, CpuShares: 0, CpuQuota: 0, CpuPeriod: 0, CpusetCpus: '', CpusetMems: '', BlkioWeight: 0 });
  const noSwap = validateResources({ Memory: 64 * MB }, { ...full, swapLimit: false });
  assert.deepEqual(noSwap.warnings, ['Your kernel does not support swap limit capabilities or the cgroup is not mounted. Memory limited without swap.']);
  assert.equal(noSwap.resources.MemorySwap, -1);
  assert.deepEqual(validateResources({ OomKillDisable: true }, full).warnings, ['OOM killer is disabled for the container, but no memory limit is set, this can result in the system running out of resources.']);
});

test("per-device block I/O limits the kernel lacks are dropped with dockerd's warnings (texts from dockerd 20.10 here)", () => {
  const none = { ...full, blkioWeightDevice: false, blkioReadBpsDevice: false, blkioWriteBpsDevice: false, blkioReadIOpsDevice: false, blkioWriteIOpsDevice: false };
  const d = [{ Path: '/dev/loop0', Rate: 1 }];
  const { resources, warnings } = validateResources({
    BlkioWeightDevice: [{ Path: '/dev/loop0', Weight: 500 }], BlkioDeviceReadBps: d, BlkioDeviceWriteBps: d, BlkioDeviceReadIOps: d, BlkioDeviceWriteIOps: d,
  }, none);
  assert.deepEqual(warnings, [
    'Your kernel does not support Block I/O weight_device or the cgroup is not mounted. Weight-device discarded.',
    'Your kernel does not support BPS Block I/O read limit or the cgroup is not mounted. Block I/O BPS read limit discarded.',
    'Your kernel does not support BPS Block I/O write limit or the cgroup is not mounted. Block I/O BPS write limit discarded.',
    'Your kernel does not support IOPS Block read limit or the cgroup is not mounted. Block I/O IOPS read limit discarded.',
    'Your kernel does not support IOPS Block write limit or the cgroup is not mounted. Block I/O IOPS write limit discarded.',
  ]);
  assert.deepEqual([resources.BlkioWeightDevice, resources.BlkioDeviceReadBps, resources.BlkioDeviceWriteIOps], [[], [], []]);
  const kept = validateResources({ BlkioDeviceWriteBps: d }, full);
  assert.deepEqual([kept.warnings, kept.resources.BlkioDeviceWriteBps], [[], d]);
});
