// cgroup v1 for real, as root on a v1 or hybrid host: a process joined to the cgroup is OOM-killed
// past its memory limit, cannot fork past its pids limit, stops and resumes with the freezer, is
// refused devices outside its rules; CPU limits land in the files; stats read sanely; destroy
// leaves no directory in any hierarchy.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, rmdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { detectCgroups } from '../../host-linux/cgroups/detect.ts';
import { cgroupManager, sysInfo, validateResources, type CgroupHandle, type CgroupManager, type CgroupResources } from '../../host-linux/cgroups/manager.ts';

const layout = detectCgroups();
const skip = layout.version !== 1 || process.getuid?.() !== 0 ? 'needs root on a cgroup v1 (or hybrid) host' : false;
const parent = `/berth-test-${process.pid}`;
let manager: CgroupManager;
let dir: string;
const handles: CgroupHandle[] = [];
const children: ChildProcess[] = [];
let n = 0;

before(() => {
  if (skip) return;
  manager = cgroupManager(layout);
  dir = mkdtempSync(join(tmpdir(), 'berth-cgroups-'));
});

after(async () => {
  if (skip) return;
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const h of handles) await h.destroy().catch(() => {});
  for (const mountPoint of [...layout.hierarchies.keys(), layout.unified]) {
    if (mountPoint) try { rmdirSync(join(mountPoint, parent)); } catch { /* never created there */ }
  }
  rmSync(dir, { recursive: true, force: true });
});

async function create(resources: CgroupResources): Promise<CgroupHandle> {
  const { resources: r } = validateResources(resources, sysInfo(layout));
  const h = await manager.create(`${parent}/c${n++}`, r);
  handles.push(h);
  return h;
}

interface Run { child: ChildProcess; exit: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> }

/** Runs `script` in a shell that first moves itself into every hierarchy of the cgroup, as the shim does. */
function runIn(h: CgroupHandle, script: string): Run {
  const join = Object.values(h.paths).map((p) => `echo $$ > ${p}/cgroup.procs`).join('; ');
  const child = spawn('sh', ['-c', `${join}; ${script}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  children.push(child);
  let stderr = '';
  child.stderr!.on('data', (d) => { stderr += d; });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) => {
    child.on('close', (code, signal) => resolve({ code, signal, stderr }));
  });
  return { child, exit };
}

async function until(what: string, check: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const read = (path: string) => readFileSync(path, 'utf8').trim();

test('memory limit: a process allocating past 16 MB is OOM-killed and oomKilled() says so', { skip }, async () => {
  const h = await create({ Memory: 16 * 1024 * 1024 });
  assert.equal(read(join(h.paths['memory']!, 'memory.limit_in_bytes')), String(16 * 1024 * 1024));
  assert.equal(read(join(h.paths['memory']!, 'memory.memsw.limit_in_bytes')), String(32 * 1024 * 1024), 'MemorySwap defaults to twice Memory');
  assert.equal(await h.oomKilled(), false);
  // tail keeps everything after the last newline, and /dev/zero has none: it must hold 64 MB.
  const { exit } = runIn(h, 'head -c 64m /dev/zero | tail > /dev/null');
  const result = await exit;
  assert.equal(result.code, 128 + 9, `the pipeline dies of SIGKILL (${JSON.stringify(result)})`);
  assert.equal(await h.oomKilled(), true);
  const stats = await h.stats();
  assert.equal(stats.memory_stats.limit, 16 * 1024 * 1024);
  assert.ok((stats.memory_stats.failcnt ?? 0) > 0);
});

test('pids limit 5: fork fails once five tasks exist', { skip }, async () => {
  const h = await create({ PidsLimit: 5 });
  assert.equal(read(join(h.paths['pids']!, 'pids.max')), '5');
  const { exit } = runIn(h, 'for i in 1 2 3 4 5 6 7 8; do sleep 30 >/dev/null 2>&1 & done; wait');
  const result = await exit;
  assert.match(result.stderr, /fork/i, 'the shell reports the failed fork');
  assert.notEqual(result.code, 0);
  const pids = await h.pids();
  assert.ok(pids.length >= 1 && pids.length <= 4, `the sleeps that did start are still there (${pids.length})`);
  assert.equal((await h.stats()).pids_stats.limit, 5);
  await h.killAll(9);
  await until('the sleeps to die', async () => (await h.pids()).length === 0);
});

test('freeze stops a counter, thaw resumes it; killAll signals every process', { skip }, async () => {
  const h = await create({});
  const counter = join(dir, 'counter');
  const { exit } = runIn(h, `i=0; while :; do i=$((i+1)); echo $i > ${counter}; sleep 0.01; done`);
  await until('the counter to run', () => existsSync(counter) && Number(read(counter)) > 3);
  await h.freeze();
  assert.equal(h.frozen(), true);
  assert.equal(read(join(h.paths['freezer']!, 'freezer.state')), 'FROZEN');
  const frozenAt = read(counter);
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(read(counter), frozenAt, 'nothing runs while frozen');
  await h.thaw();
  assert.equal(h.frozen(), false);
  await until('the counter to move again', () => Number(read(counter)) > Number(frozenAt) + 3);
  const pids = await h.pids();
  assert.ok(pids.length >= 1);
  await h.killAll(15);
  const result = await exit;
  assert.equal(result.signal ?? (result.code === 143 ? 'SIGTERM' : result.code), 'SIGTERM');
});

test('cpu: quota and period from NanoCpus or CpuQuota/CpuPeriod, shares, cpuset; update rewrites them', { skip }, async () => {
  const h = await create({ NanoCpus: 0.5e9, CpuShares: 512, CpusetCpus: '0' });
  const cpu = h.paths['cpu']!;
  assert.equal(read(join(cpu, 'cpu.cfs_period_us')), '100000');
  assert.equal(read(join(cpu, 'cpu.cfs_quota_us')), '50000');
  assert.equal(read(join(cpu, 'cpu.shares')), '512');
  assert.equal(read(join(h.paths['cpuset']!, 'cpuset.cpus')), '0');
  assert.notEqual(read(join(h.paths['cpuset']!, 'cpuset.mems')), '', 'mems copied from the parent, so a process can join');
  await h.update({ NanoCpus: 1.5e9 });
  assert.equal(read(join(cpu, 'cpu.cfs_quota_us')), '150000');
  await h.update({ NanoCpus: 0, CpuQuota: 20000, CpuPeriod: 50000 });
  assert.equal(read(join(cpu, 'cpu.cfs_period_us')), '50000');
  assert.equal(read(join(cpu, 'cpu.cfs_quota_us')), '20000');
  await h.update({ NanoCpus: 0, CpuQuota: 0, CpuPeriod: 0 });
  assert.equal(read(join(cpu, 'cpu.cfs_quota_us')), '-1', 'zeroes lift the limit');
  await h.update({ Memory: 64 * 1024 * 1024, MemorySwap: -1, PidsLimit: -1, MemorySwappiness: 0, OomKillDisable: true });
  assert.equal(read(join(h.paths['memory']!, 'memory.swappiness')), '0');
  assert.match(read(join(h.paths['memory']!, 'memory.oom_control')), /oom_kill_disable 1/);
  assert.equal(read(join(h.paths['memory']!, 'memory.limit_in_bytes')), String(64 * 1024 * 1024));
  assert.equal(read(join(h.paths['pids']!, 'pids.max')), 'max');
});

test('the quota is enforced: a busy loop gets about a fifth of a CPU at --cpus 0.2', { skip }, async () => {
  const h = await create({ NanoCpus: 0.2e9 });
  const { child } = runIn(h, 'while :; do :; done');
  await until('the loop to join', async () => (await h.pids()).length > 0);
  const before = await h.stats();
  await new Promise((r) => setTimeout(r, 1000));
  const after = await h.stats();
  child.kill('SIGKILL');
  const used = (after.cpu_stats.cpu_usage.total_usage - before.cpu_stats.cpu_usage.total_usage) / 1e9;
  assert.ok(used > 0.05 && used < 0.4, `CPU seconds used in 1 s: ${used}`);
  assert.ok(after.cpu_stats.throttling_data.throttled_periods > 0);
});

test('stats: Docker shape with sane numbers', { skip }, async () => {
  const h = await create({ Memory: 64 * 1024 * 1024, PidsLimit: 20 });
  const { child } = runIn(h, 'head -c 8m /dev/zero | tail > /dev/null; while :; do :; done');
  await until('some CPU use', async () => (await h.stats()).cpu_stats.cpu_usage.total_usage > 50e6);
  const s = await h.stats();
  child.kill('SIGKILL');
  const cpus = read('/sys/devices/system/cpu/online').split(',').reduce((n, r) => { const [a, b] = r.split('-').map(Number); return n + (b === undefined ? 1 : b - a! + 1); }, 0);
  assert.equal(s.cpu_stats.online_cpus, cpus);
  assert.equal(s.cpu_stats.cpu_usage.percpu_usage?.length, cpus);
  assert.ok(s.cpu_stats.cpu_usage.usage_in_usermode + s.cpu_stats.cpu_usage.usage_in_kernelmode > 0);
  assert.ok(s.cpu_stats.system_cpu_usage > s.cpu_stats.cpu_usage.total_usage);
  assert.ok((s.memory_stats.usage ?? 0) > 0 && (s.memory_stats.max_usage ?? 0) >= (s.memory_stats.usage ?? 0));
  assert.equal(s.memory_stats.limit, 64 * 1024 * 1024);
  assert.ok('total_inactive_file' in s.memory_stats.stats! && 'cache' in s.memory_stats.stats!);
  assert.ok((s.pids_stats.current ?? 0) >= 1);
  assert.equal(s.pids_stats.limit, 20);
  assert.ok('io_service_bytes_recursive' in s.blkio_stats);
  assert.equal(s.num_procs, 0);
});

test('devices: deny all then allow /dev/null only', { skip }, async () => {
  const h = await create({ devices: [{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' }] });
  assert.deepEqual(read(join(h.paths['devices']!, 'devices.list')).split('\n'), ['c 1:3 rwm']);
  const ok = await runIn(h, 'echo hi > /dev/null').exit;
  assert.equal(ok.code, 0, ok.stderr);
  const denied = await runIn(h, 'head -c 1 /dev/zero').exit;
  assert.notEqual(denied.code, 0);
  assert.match(denied.stderr, /Operation not permitted/);
});

test('destroy kills what runs (even frozen), removes the cgroup from every hierarchy, and is idempotent', { skip }, async () => {
  const h = await create({ Memory: 32 * 1024 * 1024 });
  const { exit } = runIn(h, 'sleep 60 2>/dev/null & sleep 60 2>/dev/null & wait');
  await until('three processes', async () => (await h.pids()).length === 3);
  await h.freeze();
  await h.destroy();
  const result = await exit;
  assert.equal(result.signal, 'SIGKILL');
  for (const p of Object.values(h.paths)) assert.ok(!existsSync(p), `${p} is gone`);
  await h.destroy();
  const reopened = manager.open(h.path);
  await reopened.destroy();
});

test('errors: a bad limit names the file and value; a failed create leaves nothing behind', { skip }, async () => {
  const path = `${parent}/bad`;
  await assert.rejects(manager.create(path, { CpusetCpus: '7-9' }), (e: Error) => e.message.includes('cpuset.cpus') && e.message.includes('7-9'));
  for (const mountPoint of layout.hierarchies.keys()) assert.ok(!existsSync(join(mountPoint, path)));
  await assert.rejects(manager.create('/../escape', {}), /invalid cgroup path/);
});
