// cgroup2. This host's cgroup2 mount has no controllers (they are all bound to v1 hierarchies and
// in use, so they cannot be moved), so the limits are checked against a directory tree laid out
// as the kernel lays out cgroup2 (Documentation/admin-guide/cgroup-v2.rst) — the one fake here.
// The core files every cgroup2 directory has without any controller (cgroup.procs, cgroup.freeze,
// cgroup.events, cgroup.kill, cpu.stat) are exercised for real on the host's cgroup2 mount.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, rmdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { detectCgroups, type CgroupLayout } from '../../host-linux/cgroups/detect.ts';
import { V2Manager } from '../../host-linux/cgroups/v2/manager.ts';
import { freeze } from '../../host-linux/cgroups/v2/freezer.ts';
import { sharesToWeight } from '../../host-linux/cgroups/v2/cpu.ts';
import { swapMax } from '../../host-linux/cgroups/v2/memory.ts';
import { hostMemory } from '../../host-linux/cgroups/stats.ts';
import type { CgroupHandle } from '../../host-linux/cgroups/handle.ts';

const CONTROLLERS = ['cpuset', 'cpu', 'io', 'memory', 'pids'];
let base: string;
const timers: NodeJS.Timeout[] = [];

before(() => { base = mkdtempSync(join(tmpdir(), 'berth-cgroup2-')); });
after(() => {
  for (const t of timers) clearInterval(t);
  rmSync(base, { recursive: true, force: true });
});

const read = (path: string) => readFileSync(path, 'utf8').trim();

function layoutAt(root: string, controllers: string[]): CgroupLayout {
  return { mode: 'v2', version: 2, hierarchies: new Map(), v1: new Map(), unified: root, unifiedControllers: controllers, enabled: controllers };
}

/** What the kernel shows in a cgroup2 directory whose parent enabled `controllers` for it. */
function fakeCgroup(dir: string, controllers: string[], root = false): void {
  mkdirSync(dir, { recursive: true });
  const files: Record<string, string> = {
    'cgroup.controllers': controllers.join(' '), 'cgroup.subtree_control': '', 'cgroup.procs': '',
    'cpu.stat': 'usage_usec 0\nuser_usec 0\nsystem_usec 0\n',
  };
  if (!root) Object.assign(files, { 'cgroup.freeze': '0', 'cgroup.events': 'populated 0\nfrozen 0\n', 'cgroup.kill': '' });
  if (!root && controllers.includes('memory')) Object.assign(files, { 'memory.max': 'max', 'memory.swap.max': 'max', 'memory.low': '0', 'memory.current': '0', 'memory.stat': '', 'memory.events': 'low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\n' });
  if (!root && controllers.includes('pids')) Object.assign(files, { 'pids.max': 'max', 'pids.current': '0' });
  if (!root && controllers.includes('cpu')) Object.assign(files, { 'cpu.max': 'max 100000', 'cpu.weight': '100' });
  if (!root && controllers.includes('cpuset')) Object.assign(files, { 'cpuset.cpus': '', 'cpuset.mems': '' });
  if (!root && controllers.includes('io')) Object.assign(files, { 'io.weight': 'default 100', 'io.stat': '', 'io.max': '' });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
}

let n = 0;
/** A fresh fake cgroup2 root with /berth/<id> pre-made as the kernel would make it on mkdir. */
function fakeTree(controllers = CONTROLLERS) {
  const root = join(base, `root${n++}`);
  fakeCgroup(root, controllers, true);
  fakeCgroup(join(root, 'berth'), controllers);
  fakeCgroup(join(root, 'berth', 'c1'), controllers);
  const removed: string[] = [];
  const manager = new V2Manager(layoutAt(root, controllers), { removeDir: (d) => { removed.push(d); rmSync(d, { recursive: true }); } });
  return { root, manager, leaf: join(root, 'berth', 'c1'), removed };
}

test('create enables the controllers top-down and writes every limit in cgroup2 terms', async () => {
  const { root, manager, leaf } = fakeTree();
  const h = await manager.create('/berth/c1', {
    Memory: 64 * 1024 * 1024, MemorySwap: 96 * 1024 * 1024, MemoryReservation: 32 * 1024 * 1024,
    NanoCpus: 0.5e9, CpuShares: 512, CpusetCpus: '0', CpusetMems: '0', PidsLimit: 5, BlkioWeight: 500,
  });
  assert.deepEqual(h.paths, { unified: leaf });
  assert.equal(h.path, '/berth/c1');
  assert.equal(read(join(root, 'cgroup.subtree_control')), '+cpuset +cpu +io +memory +pids');
  assert.equal(read(join(root, 'berth', 'cgroup.subtree_control')), '+cpuset +cpu +io +memory +pids');
  assert.equal(read(join(leaf, 'cgroup.subtree_control')), '', 'the leaf enables nothing below itself');
  assert.equal(read(join(leaf, 'memory.max')), String(64 * 1024 * 1024));
  assert.equal(read(join(leaf, 'memory.swap.max')), String(32 * 1024 * 1024), 'swap.max is the swap part alone');
  assert.equal(read(join(leaf, 'memory.low')), String(32 * 1024 * 1024));
  assert.equal(read(join(leaf, 'cpu.max')), '50000 100000');
  assert.equal(read(join(leaf, 'cpu.weight')), String(sharesToWeight(512)));
  assert.equal(read(join(leaf, 'cpuset.cpus')), '0');
  assert.equal(read(join(leaf, 'pids.max')), '5');
  assert.equal(read(join(leaf, 'io.weight')), 'default 4950');
});

test('controllers already enabled (the kernel lists them without +) are not written again', async () => {
  const { root, manager } = fakeTree();
  writeFileSync(join(root, 'cgroup.subtree_control'), 'cpuset cpu io memory pids\n');
  await manager.create('/berth/c1', {});
  assert.equal(read(join(root, 'cgroup.subtree_control')), 'cpuset cpu io memory pids');
});

test('update: -1 lifts memory and pids limits, zeroes lift the CPU limit, absent fields stay', async () => {
  const { manager, leaf } = fakeTree();
  const h = await manager.create('/berth/c1', { Memory: 64 << 20, MemorySwap: 128 << 20, PidsLimit: 10, CpuQuota: 20000, CpuPeriod: 50000 });
  assert.equal(read(join(leaf, 'cpu.max')), '20000 50000');
  await h.update({ PidsLimit: -1 });
  assert.equal(read(join(leaf, 'pids.max')), 'max');
  assert.equal(read(join(leaf, 'memory.max')), String(64 << 20), 'untouched');
  await h.update({ Memory: -1 });
  assert.equal(read(join(leaf, 'memory.max')), 'max');
  assert.equal(read(join(leaf, 'memory.swap.max')), 'max');
  await h.update({ NanoCpus: 0, CpuQuota: 0, CpuPeriod: 0 });
  assert.equal(read(join(leaf, 'cpu.max')), 'max 100000');
});

test('block I/O limits go to io.max as runc writes them (one device and key per write; a rate of 0 lifts it); no io controller: an error', async () => {
  const { manager, leaf } = fakeTree();
  const h = await manager.create('/berth/c1', { blockIO: { throttleWriteBpsDevice: [{ major: 7, minor: 3, rate: 1048576 }] } });
  // A fake file keeps only the last write; the kernel merges each into the device's line.
  assert.equal(read(join(leaf, 'io.max')), '7:3 wbps=1048576');
  await h.update({ blockIO: { throttleReadIOPSDevice: [{ major: 8, minor: 0, rate: 0 }] } });
  assert.equal(read(join(leaf, 'io.max')), '8:0 riops=max');
  await h.update({ blockIO: { throttleReadBpsDevice: [{ major: 8, minor: 16, rate: 5 }] } });
  assert.equal(read(join(leaf, 'io.max')), '8:16 rbps=5');
  await h.update({ blockIO: { throttleWriteIOPSDevice: [{ major: 8, minor: 16, rate: 7 }] } });
  assert.equal(read(join(leaf, 'io.max')), '8:16 wiops=7');
  const noIo = fakeTree(['cpu', 'memory', 'pids']);
  await assert.rejects(noIo.manager.create('/berth/c1', { blockIO: { throttleWriteBpsDevice: [{ major: 7, minor: 3, rate: 1 }] } }), /the io cgroup controller is not enabled/);
});

test('runc conversions: swap, shares to weight', () => {
  assert.equal(swapMax(-1, 1 << 20), 'max');
  assert.equal(swapMax(0, 1 << 20), undefined);
  assert.equal(swapMax(0, -1), 'max');
  assert.equal(swapMax(3 << 20, 1 << 20), 2 << 20);
  assert.throws(() => swapMax(1 << 20, 0), /without memory limit/);
  assert.equal(sharesToWeight(2), 1);
  assert.equal(sharesToWeight(1024), 39);
  assert.equal(sharesToWeight(262144), 10000);
});

test('stats map cgroup2 files onto Docker\'s v2 stats JSON', async () => {
  const { manager, leaf } = fakeTree();
  const h = await manager.create('/berth/c1', { Memory: 64 << 20, PidsLimit: 7 });
  writeFileSync(join(leaf, 'memory.current'), '1048576\n');
  writeFileSync(join(leaf, 'memory.stat'), 'anon 4096\nfile 8192\ninactive_file 2048\nworkingset_refault_anon 1\nworkingset_refault_file 2\n');
  writeFileSync(join(leaf, 'memory.events'), 'low 0\nhigh 0\nmax 3\noom 2\noom_kill 1\n');
  writeFileSync(join(leaf, 'cpu.stat'), 'usage_usec 1500\nuser_usec 1000\nsystem_usec 500\nnr_periods 10\nnr_throttled 4\nthrottled_usec 250\n');
  writeFileSync(join(leaf, 'pids.current'), '3\n');
  writeFileSync(join(leaf, 'io.stat'), '8:0 rbytes=4096 wbytes=8192 rios=1 wios=2 dbytes=0 dios=0\n');
  const s = await h.stats();
  assert.deepEqual(s.cpu_stats.cpu_usage, { total_usage: 1500000, usage_in_kernelmode: 500000, usage_in_usermode: 1000000 });
  assert.deepEqual(s.cpu_stats.throttling_data, { periods: 10, throttled_periods: 4, throttled_time: 250000 });
  assert.ok(s.cpu_stats.system_cpu_usage > 0 && s.cpu_stats.online_cpus > 0);
  assert.equal(s.memory_stats.usage, 1048576);
  assert.equal(s.memory_stats.limit, 64 << 20);
  assert.equal(s.memory_stats.failcnt, 2, 'dockerd reports memory.events oom as failcnt');
  assert.equal(s.memory_stats.max_usage, undefined, 'cgroup2 has no max_usage in Docker');
  assert.equal(s.memory_stats.stats!['anon'], 4096);
  assert.equal(s.memory_stats.stats!['inactive_file'], 2048);
  assert.equal(s.memory_stats.stats!['workingset_refault'], 3);
  assert.deepEqual(s.pids_stats, { current: 3, limit: 7 });
  assert.deepEqual(s.blkio_stats.io_service_bytes_recursive, [
    { major: 8, minor: 0, op: 'read', value: 4096 }, { major: 8, minor: 0, op: 'write', value: 8192 },
  ]);
  assert.equal(s.blkio_stats.io_serviced_recursive, null);
  assert.equal(await h.oomKilled(), true);
  await h.update({ Memory: -1 });
  assert.equal((await h.stats()).memory_stats.limit, hostMemory(), 'unlimited reports the host memory');
});

test('freeze waits for cgroup.events to say frozen; a freeze the kernel never completes is undone', async () => {
  const { manager, leaf } = fakeTree();
  const h = await manager.create('/berth/c1', {});
  // The kernel's part: report the state cgroup.freeze asks for, a little later.
  timers.push(setInterval(() => {
    if (!existsSync(leaf)) return;
    writeFileSync(join(leaf, 'cgroup.events'), `populated 1\nfrozen ${read(join(leaf, 'cgroup.freeze'))}\n`);
  }, 20));
  await h.freeze();
  assert.equal(read(join(leaf, 'cgroup.freeze')), '1');
  assert.equal(h.frozen(), true);
  await h.thaw();
  assert.equal(h.frozen(), false);

  const stuck = join(base, 'stuck');
  fakeCgroup(stuck, []);
  await assert.rejects(freeze(stuck, 100), /did not report frozen 1/);
  assert.equal(read(join(stuck, 'cgroup.freeze')), '0');
});

test('destroy removes the tree deepest first; a missing controller is an error naming it', async () => {
  const { manager, leaf, removed } = fakeTree();
  const h: CgroupHandle = await manager.create('/berth/c1', {});
  fakeCgroup(join(leaf, 'sub'), []);
  await h.destroy();
  assert.deepEqual(removed, [join(leaf, 'sub'), leaf]);
  assert.ok(!existsSync(leaf));

  const partial = fakeTree(['cpu', 'pids']);
  await assert.rejects(partial.manager.create('/berth/c1', { Memory: 64 << 20 }), /memory cgroup controller is not enabled/);
  assert.ok(!existsSync(partial.leaf), 'a failed create removes what it made');
});

// The host's own cgroup2 mount: no controllers, but freezing, killing, cpu.stat and removal are real.
const layout = detectCgroups();
const real = layout.unified && process.getuid?.() === 0 ? layout.unified : undefined;
const realSkip = real ? false : 'needs root and a cgroup2 mount';
const children: ChildProcess[] = [];
const parent = `berth-test-${process.pid}`;
after(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  if (real) try { rmdirSync(join(real, parent)); } catch { /* not made */ }
});

test('real cgroup2: a process joins, freezes, thaws, shows CPU time, dies by cgroup.kill; destroy removes it', { skip: realSkip }, async () => {
  const manager = new V2Manager({ ...layoutAt(real!, layout.unifiedControllers), hierarchies: new Map() });
  const h = await manager.create(`/${parent}/c`, {});
  const dir = h.paths['unified']!;
  assert.ok(existsSync(join(dir, 'cgroup.freeze')));
  const counter = join(base, 'counter');
  const child = spawn('sh', ['-c', `echo $$ > ${dir}/cgroup.procs; i=0; while :; do i=$((i+1)); echo $i > ${counter}; done`], { stdio: 'ignore' });
  children.push(child);
  const exited = new Promise<NodeJS.Signals | null>((r) => child.on('exit', (_, signal) => r(signal)));
  const until = async (check: () => boolean) => { const t = Date.now() + 5000; while (!check()) { if (Date.now() > t) throw new Error('timed out'); await new Promise((r) => setTimeout(r, 10)); } };
  await until(() => existsSync(counter) && Number(read(counter)) > 10);
  assert.deepEqual(await h.pids(), [child.pid]);
  await h.freeze();
  assert.equal(h.frozen(), true);
  const at = read(counter);
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(read(counter), at);
  await h.thaw();
  await until(() => Number(read(counter)) > Number(at));
  const s = await h.stats();
  assert.ok(s.cpu_stats.cpu_usage.total_usage > 0);
  await assert.rejects(h.update({ Memory: 64 << 20 }), /memory cgroup controller is not enabled/);
  await h.freeze();
  await h.killAll(9);
  assert.equal(await exited, 'SIGKILL', 'cgroup.kill kills frozen processes too');
  await h.destroy();
  assert.ok(!existsSync(dir));
});
