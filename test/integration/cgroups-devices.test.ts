// cgroup2 device rules for real: a BPF_PROG_TYPE_CGROUP_DEVICE program needs no controller, so the
// host's controller-less cgroup2 mount (/sys/fs/cgroup/unified here) enforces it like any cgroup2
// host. A shell joins the cgroup and opens or mknods devices; the kernel answers EPERM where the
// rules deny. Also: the program the generator writes, run by a small interpreter, against the
// rules' meaning (the last matching rule wins, nothing matching denies) for many requests.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, rmdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { detectCgroups } from '../../host-linux/cgroups/detect.ts';
import { V2Manager } from '../../host-linux/cgroups/v2/manager.ts';
import { devicePrograms } from '../../host-linux/cgroups/v2/devices.ts';
import type { CgroupHandle, DeviceRule } from '../../host-linux/cgroups/manager.ts';

const layout = detectCgroups();
const root = layout.unified;
const skip = !root ? 'needs a cgroup2 mount' : process.getuid?.() !== 0 ? 'needs root' : false;
const parent = `berth-devtest-${process.pid}`;
const handles: CgroupHandle[] = [];
const children: ChildProcess[] = [];
let scratch: string;
let n = 0;

before(() => { scratch = mkdtempSync(join(tmpdir(), 'berth-devices-')); });
after(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const h of handles) await h.destroy().catch(() => {});
  if (root) try { rmdirSync(join(root, parent)); } catch { /* never made */ }
  rmSync(scratch, { recursive: true, force: true });
});

async function cgroup(devices: DeviceRule[]): Promise<CgroupHandle> {
  const manager = new V2Manager({ ...layout, mode: 'v2', version: 2, hierarchies: new Map(), v1: new Map() });
  const h = await manager.create(`/${parent}/c${n++}`, { devices });
  handles.push(h);
  return h;
}

/** Runs `script` in a shell that first joins the cgroup2 directory; resolves with its exit code and stderr. */
function runIn(h: CgroupHandle, script: string): Promise<{ code: number | null; stderr: string }> {
  const child = spawn('sh', ['-c', `echo $$ > ${h.paths['unified']}/cgroup.procs || exit 99; ${script}`], { stdio: ['ignore', 'ignore', 'pipe'], cwd: scratch });
  children.push(child);
  let stderr = '';
  child.stderr!.on('data', (d) => { stderr += d; });
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stderr })));
}

/** Whether each probe (a shell command) succeeds in the cgroup. */
async function probe(h: CgroupHandle, probes: Record<string, string>): Promise<Record<string, boolean | string>> {
  const out: Record<string, boolean | string> = {};
  for (const [name, cmd] of Object.entries(probes)) {
    const r = await runIn(h, cmd);
    assert.notEqual(r.code, 99, 'joined the cgroup');
    // A refusal must be the device cgroup's EPERM, not some other failure.
    out[name] = r.code === 0 ? true : /Operation not permitted/.test(r.stderr) ? false : `exit ${r.code}: ${r.stderr}`;
  }
  return out;
}

const readNull = 'head -c 1 /dev/null';
const writeNull = 'echo x > /dev/null';
const readZero = 'head -c 1 /dev/zero >/dev/null';
const allow = (type: 'a' | 'b' | 'c', major?: number, minor?: number, access = 'rwm'): DeviceRule => ({ allow: true, type, ...(major === undefined ? {} : { major }), ...(minor === undefined ? {} : { minor }), access });
const deny = (type: 'a' | 'b' | 'c', major?: number, minor?: number, access = 'rwm'): DeviceRule => ({ ...allow(type, major, minor, access), allow: false });

test('deny all, allow /dev/null: /dev/null opens, /dev/zero is EPERM', { skip }, async () => {
  // The shell's own redirections need /dev/null, so only the probes touch other devices.
  const h = await cgroup([deny('a'), allow('c', 1, 3)]);
  assert.deepEqual(await probe(h, { readNull, writeNull, readZero }), { readNull: true, writeNull: true, readZero: false });
  assert.equal(devicePrograms(h.paths['unified']!).length, 1);
});

test('the last matching rule wins: deny after allow-all denies, allow after deny allows', { skip }, async () => {
  const h = await cgroup([allow('a'), deny('c', 1, 5)]);
  assert.deepEqual(await probe(h, { readNull, readZero }), { readNull: true, readZero: false });
  const h2 = await cgroup([deny('c', 1, 5), allow('a')]);
  assert.deepEqual(await probe(h2, { readNull, readZero }), { readNull: true, readZero: true });
  // Nothing matching is a deny, even without a leading "deny all".
  const h3 = await cgroup([allow('c', 1, 3)]);
  assert.deepEqual(await probe(h3, { readNull, readZero }), { readNull: true, readZero: false });
});

test('wildcards and access: c *:* m allows mknod but not open; r without w; a block rule does not cover char devices', { skip }, async () => {
  const mknodZero = 'rm -f z; mknod z c 1 5';
  const h = await cgroup([deny('a'), allow('c', 1, 3), allow('c', undefined, undefined, 'm')]);
  assert.deepEqual(await probe(h, { mknodZero, readMade: `${mknodZero} && head -c 1 z >/dev/null`, mknodBlock: 'rm -f b; mknod b b 7 0' }),
    { mknodZero: true, readMade: false, mknodBlock: false });
  const ro = await cgroup([deny('a'), allow('c', 1, 3, 'w'), allow('c', 1, 5, 'r')]);
  assert.deepEqual(await probe(ro, { readZero, writeZero: 'echo x > /dev/zero', writeNull }), { readZero: true, writeZero: false, writeNull: true });
  const minorAny = await cgroup([deny('a'), allow('c', 1, 3), allow('c', 1)]);
  assert.deepEqual(await probe(minorAny, { readZero }), { readZero: true });
  const block = await cgroup([deny('a'), allow('c', 1, 3), allow('b', 1)]);
  assert.deepEqual(await probe(block, { readZero }), { readZero: false });
});

test('update replaces the program: one attached, the new rules in force', { skip }, async () => {
  const h = await cgroup([deny('a'), allow('c', 1, 3)]);
  const dir = h.paths['unified']!;
  const [first] = devicePrograms(dir);
  assert.deepEqual(await probe(h, { readZero }), { readZero: false });
  await h.update({ devices: [deny('a'), allow('c', 1, 3), allow('c', 1, 5, 'r')] });
  const now = devicePrograms(dir);
  assert.equal(now.length, 1, `one program after the update (${now.join(' ')})`);
  assert.notEqual(now[0], first);
  assert.deepEqual(await probe(h, { readZero }), { readZero: true });
  await h.update({ Memory: 0 });
  assert.deepEqual(devicePrograms(dir), now, 'an update without device rules leaves the program alone');
  await h.update({ devices: [allow('a')] });
  assert.equal(devicePrograms(dir).length, 1);
  assert.deepEqual(await probe(h, { readZero }), { readZero: true });
});

test('bad rules are refused before anything is attached', { skip }, async () => {
  const h = await cgroup([deny('a'), allow('c', 1, 3)]);
  const before_ = devicePrograms(h.paths['unified']!);
  await assert.rejects(h.update({ devices: [allow('c', 1, 5, 'rx')] }), /invalid device access "rx"/);
  await assert.rejects(h.update({ devices: [{ allow: true, type: 'x' as 'a' }] }), /invalid device type "x"/);
  assert.deepEqual(devicePrograms(h.paths['unified']!), before_);
});
