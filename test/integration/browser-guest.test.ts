// The browser host's container runtime end to end under Node: the v86 guest from build/guest
// boots once, the built-in linux/386 busybox's layer goes in through 9p, and containers run
// through GuestRuntime (core's ContainerRuntime) with the guest agent.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { GuestVM, type GuestImages } from '../../host-browser/vm/guest-vm.ts';
import { GuestRuntime } from '../../host-browser/runtime/guest-runtime.ts';
import type { LayerSource } from '../../host-browser/runtime/layer-source.ts';
import { newRecord } from '../../core/engine/containers/record.ts';
import type { ContainerImage, StreamPair } from '../../core/engine/containers/runtime.ts';
import type { CreateBody } from '../../core/engine/containers/types.ts';
import type { ImageConfig } from '../../core/image/types.ts';
import { packTar, type TarInput } from '../../core/layer/tar-write.ts';
import { readTar } from '../../core/layer/tar-read.ts';

const GUEST = 'build/guest';
const IMAGES = 'build/images';
const missing = ['bios.bin', 'vgabios.bin', 'vmlinuz', 'initrd.gz'].filter((f) => !existsSync(join(GUEST, f)));
const skip = missing.length ? `the v86 guest is not built (${missing.join(', ')} missing in ${GUEST}): run bash host-browser/guest/build.sh`
  : !existsSync(join(IMAGES, 'index.json')) ? `the built-in images are not in ${IMAGES}: run scripts/setup.sh` : false;

function bytes(path: string): ArrayBuffer {
  const b = readFileSync(path);
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
}

function guestImages(): GuestImages {
  return {
    bios: bytes(join(GUEST, 'bios.bin')), vgaBios: bytes(join(GUEST, 'vgabios.bin')),
    kernel: bytes(join(GUEST, 'vmlinuz')), initrd: bytes(join(GUEST, 'initrd.gz')),
    wasm: readFileSync('node_modules/v86/build/v86.wasm'),
  };
}

const blobPath = (digest: string) => join(IMAGES, 'blobs', digest.replace(':', '/'));
const json = (digest: string) => JSON.parse(readFileSync(blobPath(digest), 'utf8'));

/** The built-in busybox for linux/386 from the OCI layout, and its layers by diffID. */
function busybox386(): { image: ContainerImage; layers: LayerSource } {
  const index = JSON.parse(readFileSync(join(IMAGES, 'index.json'), 'utf8'));
  const entry = index.manifests.find((m: { annotations?: Record<string, string> }) => m.annotations?.['org.opencontainers.image.ref.name'] === 'docker.io/library/busybox:latest');
  const manifestDesc = json(entry.digest).manifests.find((m: { platform: { architecture: string } }) => m.platform.architecture === '386');
  const manifest = json(manifestDesc.digest);
  const config = json(manifest.config.digest) as ImageConfig;
  const byDiff = new Map(config.rootfs.diff_ids.map((d: string, i: number) => [d, manifest.layers[i].digest as string]));
  return {
    image: { id: manifest.config.digest, config, diffIDs: config.rootfs.diff_ids },
    layers: { open: async (diffID) => new Blob([(extraLayers.get(diffID) ?? readFileSync(blobPath(byDiff.get(diffID)!))) as Uint8Array<ArrayBuffer>]).stream() },
  };
}

/** Layers a test makes (plain tars), by diffID. */
const extraLayers = new Map<string, Uint8Array>();

async function addLayer(entries: TarInput[]): Promise<string> {
  const tar = await packTar(entries);
  const diffID = `sha256:${createHash('sha256').update(tar).digest('hex')}`;
  extraLayers.set(diffID, tar);
  return diffID;
}

let vm: GuestVM | undefined;
let runtime: GuestRuntime;
let image: ContainerImage;
const imageOf = () => image;
let counter = 0;
/** The snapshot test's state, reused to start more guests fast. */
let snapshot: ArrayBuffer | undefined;
const dec = new TextDecoder();

before(async () => {
  if (skip) return;
  const bb = busybox386();
  image = bb.image;
  vm = await GuestVM.boot({ ...guestImages(), timeoutMs: 300_000 });
  console.log(`# cold boot to the agent's hello: ${vm.readyMs} ms`);
  runtime = new GuestRuntime({ vm, layers: bb.layers });
});

after(async () => { await vm?.destroy(); });

/** Docker's stdcopy frames -> stdout and stderr text. */
function demux(all: Uint8Array): { stdout: string; stderr: string } {
  const out = { stdout: '', stderr: '' };
  for (let off = 0; off + 8 <= all.length;) {
    const len = new DataView(all.buffer, all.byteOffset + off).getUint32(4);
    const text = dec.decode(all.subarray(off + 8, off + 8 + len));
    if (all[off] === 1) out.stdout += text; else out.stderr += text;
    off += 8 + len;
  }
  return out;
}

async function readAllBytes(s: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  return new Uint8Array(await new Response(s).arrayBuffer());
}

async function run(cmd: string[], opts: { tty?: boolean; stdin?: boolean; consoleSize?: [number, number]; input?: string; keepStdin?: boolean; body?: Partial<CreateBody>; image?: ContainerImage } = {}) {
  const image = opts.image ?? imageOf();
  const id = `${(++counter).toString(16).padStart(4, '0')}${'b'.repeat(60)}`;
  const body: CreateBody = { Cmd: cmd, Tty: !!opts.tty, OpenStdin: !!opts.stdin, StdinOnce: !!opts.stdin, ...opts.body, HostConfig: { ...(opts.consoleSize ? { ConsoleSize: opts.consoleSize } : {}), ...opts.body?.HostConfig } };
  const rec = newRecord({ id, name: `/guest-${counter}`, body, image: { id: image.id, config: image.config }, now: new Date() });
  await runtime.prepare(rec, image);
  const task = await runtime.create(rec, image, { stdin: !!opts.stdin, stdinOnce: !!opts.stdin, tty: !!opts.tty });
  const pair: StreamPair = await task.attach();
  const output = opts.keepStdin ? Promise.resolve(new Uint8Array(0)) : readAllBytes(pair.readable);
  let startError: Error | undefined;
  try { await task.start(); } catch (e) { startError = e as Error; }
  const w = pair.writable.getWriter();
  if (opts.input !== undefined) await w.write(new TextEncoder().encode(opts.input));
  if (!opts.keepStdin) await w.close();
  return { rec, task, startError, output, done: task.wait(), stdin: w, readable: pair.readable };
}

test('echo hello in a linux/386 busybox container: output, exit 0, and the log', { skip }, async () => {
  const r = await run(['echo', 'hello']);
  assert.equal(r.startError, undefined);
  const status = await r.done;
  assert.equal(status.exitCode, 0);
  assert.deepEqual(demux(await r.output), { stdout: 'hello\n', stderr: '' });
  const lines: string[] = [];
  for await (const e of runtime.readLogs(r.rec, { follow: false, signal: new AbortController().signal, stopped: Promise.resolve() })) lines.push(`${e.stream}:${dec.decode(e.line)}`);
  assert.deepEqual(lines, ['stdout:hello\n']);
  await runtime.remove(r.rec);
});

test('exit codes: 3 from the process, 127 with runc\'s text for a missing command', { skip }, async () => {
  const three = await run(['sh', '-c', 'echo out; echo err >&2; exit 3']);
  assert.equal((await three.done).exitCode, 3);
  assert.deepEqual(demux(await three.output), { stdout: 'out\n', stderr: 'err\n' });
  await runtime.remove(three.rec);
  const none = await run(['no-such-command']);
  assert.match(String(none.startError?.message), /exec: "no-such-command": executable file not found in \$PATH/);
  assert.equal((await none.done).exitCode, 127);
  await runtime.remove(none.rec);
});

test('namespaces: PID 1, own hostname, only loopback with --network none, a cgroup of its own', { skip }, async () => {
  const r = await run(['sh', '-c', 'echo pid=$$; hostname; cat /etc/hostname; ls /sys/class/net; cat /proc/1/cgroup; cat /proc/self/mountinfo | grep -c " / / "'], { body: { HostConfig: { NetworkMode: 'none' } } });
  assert.equal((await r.done).exitCode, 0);
  const out = demux(await r.output).stdout.split('\n');
  assert.equal(out[0], 'pid=1');
  assert.equal(out[1], r.rec.Config.Hostname);
  assert.equal(out[2], r.rec.Config.Hostname);
  assert.equal(out[3], 'lo');
  assert.match(out[4]!, /^0::\/berth\/\d+$/);
  await runtime.remove(r.rec);
});

test('stdin is piped to cat and its end ends cat', { skip }, async () => {
  const r = await run(['cat'], { stdin: true, input: 'one\ntwo\n' });
  assert.equal((await r.done).exitCode, 0);
  assert.equal(demux(await r.output).stdout, 'one\ntwo\n');
  await runtime.remove(r.rec);
});

test('a tty container gets a pty of the console size, output unframed', { skip }, async () => {
  const r = await run(['sh', '-c', 'tty; stty size'], { tty: true, consoleSize: [30, 100] });
  assert.equal((await r.done).exitCode, 0);
  assert.match(dec.decode(await r.output), /^\/dev\/pts\/\d+\r\n30 100\r\n$/);
  await runtime.remove(r.rec);
});

test('kill: SIGKILL ends a running container with 137, kill-all reaches every process', { skip }, async () => {
  const r = await run(['sh', '-c', 'sleep 1000 & sleep 1000']);
  await r.task.kill(9, true);
  const st = await r.done;
  assert.equal(st.exitCode, 137);
  assert.equal(st.signal, 9);
  await runtime.remove(r.rec);
  const one = await run(['sleep', '1000']);
  await one.task.kill(9);
  assert.equal((await one.done).exitCode, 137);
  await runtime.remove(one.rec);
});

test('docker cp: stat, copy out of and into a running container, symlinks resolved inside its root', { skip }, async () => {
  const r = await run(['sh', '-c', 'mkdir /d; echo hi > /d/f; ln -s /d /link; echo ready; exec sleep 1000'], { stdin: true, keepStdin: true });
  await readUntil(r.readable.getReader(), /ready/, false);
  const f = await runtime.statPath(r.rec, '/d/f');
  assert.equal(f.name, 'f');
  assert.equal(f.size, 3);
  assert.equal(f.mode, 0o644);
  assert.equal(f.linkTarget, '');
  const link = await runtime.statPath(r.rec, '/link');
  assert.equal(link.linkTarget, '/d');
  assert.equal(link.mode & 0x08000000, 0x08000000);
  await assert.rejects(runtime.statPath(r.rec, '/nope'), new RegExp(`Could not find the file /nope in container ${r.rec.Name.slice(1)}`));
  const names = async (s: ReadableStream<Uint8Array>) => {
    const out: string[] = [];
    for await (const e of readTar(s)) { out.push(`${e.name}:${e.type === 'file' ? dec.decode(await new Response(e.body).arrayBuffer()) : e.type}`); }
    return out.sort();
  };
  assert.deepEqual(await names((await runtime.getArchive(r.rec, '/d')).tar), ['d/:directory', 'd/f:hi\n']);
  assert.deepEqual(await names((await runtime.getArchive(r.rec, '/link/')).tar), ['d/:directory', 'd/f:hi\n']);
  const tar = new Blob([await packTar([{ header: { name: 'g' }, body: 'put\n' }])]).stream();
  await runtime.putArchive(r.rec, '/link', tar, { noOverwriteDirNonDir: false, copyUIDGID: false });
  assert.deepEqual(await names((await runtime.getArchive(r.rec, '/d/g')).tar), ['g:put\n']);
  await assert.rejects(runtime.putArchive(r.rec, '/d/f', new Blob([]).stream(), { noOverwriteDirNonDir: false, copyUIDGID: false }), /extraction point is not a directory/);
  await r.task.kill(9);
  await r.done;
  await runtime.remove(r.rec);
});

test('snapshot: the state saved at idle restores into a guest that runs a container', { skip }, async () => {
  const t0 = Date.now();
  const state = await vm!.saveState();
  snapshot = state;
  const saveMs = Date.now() - t0;
  const t1 = Date.now();
  const restored = await GuestVM.boot({ ...guestImages(), state, timeoutMs: 120_000 });
  try {
    const restoreMs = Date.now() - t1;
    console.log(`# snapshot: ${(state.byteLength / 1048576).toFixed(1)} MiB gzip, saved in ${saveMs} ms, restored to the agent's answer in ${restoreMs} ms`);
    assert.equal(restored.restored, true);
    // The layer was extracted before the snapshot: the restored guest has it without a transfer.
    assert.deepEqual(await restored.channel.request('layer', { diffID: image.diffIDs[0] }), { ok: true, present: true });
    const rt = new GuestRuntime({ vm: restored, layers: { open: async () => { throw new Error('no layer transfer expected'); } } });
    const rec = newRecord({ id: 'f'.repeat(64), name: '/restored', body: { Cmd: ['echo', 'restored'] }, image: { id: image.id, config: image.config }, now: new Date() });
    const t2 = Date.now();
    const task = await rt.create(rec, image, { stdin: false, stdinOnce: false, tty: false });
    const out = task.attach().then((p) => readAllBytes(p.readable));
    await task.start();
    assert.equal((await task.wait()).exitCode, 0);
    assert.equal(demux(await out).stdout, 'restored\n');
    // The restore set the guest's clock to now; setting it again to 2001-09-09 shows in a container.
    await restored.setTime(1_000_000_000_000);
    const rec2 = newRecord({ id: 'e'.repeat(64), name: '/clock', body: { Cmd: ['date', '-u', '+%Y-%m-%d'] }, image: { id: image.id, config: image.config }, now: new Date() });
    const clock = await rt.create(rec2, image, { stdin: false, stdinOnce: false, tty: false });
    const clockOut = clock.attach().then((p) => readAllBytes(p.readable));
    await clock.start();
    await clock.wait();
    assert.equal(demux(await clockOut).stdout, '2001-09-09\n');
    await rt.remove(rec2);
    console.log(`# restored guest: create + start + exit of echo in ${Date.now() - t2} ms`);
    await rt.remove(rec);
  } finally {
    await restored.destroy();
  }
});

/** Reads from a stream until `want` appears in what came so far (output streams back live). */
async function readUntil(reader: ReadableStreamDefaultReader<Uint8Array>, want: RegExp, tty: boolean): Promise<string> {
  let raw = new Uint8Array(0);
  for (;;) {
    const text = tty ? dec.decode(raw) : demux(raw).stdout;
    if (want.test(text)) return text;
    const { done, value } = await reader.read();
    if (done) return text;
    const next = new Uint8Array(raw.length + value.length);
    next.set(raw); next.set(value, raw.length);
    raw = next;
  }
}

test('output streams back live while stdin stays open; HOME comes from the user', { skip }, async () => {
  const r = await run(['sh', '-c', 'echo first $HOME; read x; echo got $x'], { stdin: true, keepStdin: true });
  const reader = r.readable.getReader();
  assert.equal(await readUntil(reader, /first/, false), 'first /root\n');
  await r.stdin.write(new TextEncoder().encode('abc\n'));
  assert.equal(await readUntil(reader, /got/, false), 'got abc\n');
  await r.stdin.close();
  assert.equal((await r.done).exitCode, 0);
  await runtime.remove(r.rec);
});

test('resize: a tty container sees the new window size', { skip }, async () => {
  const r = await run(['sh', '-c', 'stty size; read x; stty size'], { tty: true, stdin: true, keepStdin: true, consoleSize: [24, 80] });
  const reader = r.readable.getReader();
  assert.match(await readUntil(reader, /24 80\r\n/, true), /24 80\r\n/);
  await r.task.resize(40, 120);
  await r.stdin.write(new TextEncoder().encode('\n'));
  assert.match(await readUntil(reader, /40 120\r\n/, true), /40 120\r\n$/);
  assert.equal((await r.done).exitCode, 0);
  await runtime.remove(r.rec);
});

test('layers stack with their whiteouts: a deleted file and an opaque directory', { skip }, async () => {
  const lower = await addLayer([
    { header: { name: 'data/', type: 'directory' } },
    { header: { name: 'data/keep' }, body: 'keep\n' },
    { header: { name: 'data/gone' }, body: 'gone\n' },
    { header: { name: 'opt/', type: 'directory' } },
    { header: { name: 'opt/old' }, body: 'old\n' },
  ]);
  const upper = await addLayer([
    { header: { name: 'data/', type: 'directory' } },
    { header: { name: 'data/.wh.gone' }, body: '' },
    { header: { name: 'opt/', type: 'directory' } },
    { header: { name: 'opt/.wh..wh..opq' }, body: '' },
    { header: { name: 'opt/new' }, body: 'new\n' },
  ]);
  const stacked: ContainerImage = { ...image, diffIDs: [...image.diffIDs, lower, upper] };
  const r = await run(['sh', '-c', 'ls /data; ls /opt; cat /data/keep /opt/new'], { image: stacked });
  assert.equal((await r.done).exitCode, 0);
  assert.equal(demux(await r.output).stdout, 'keep\nnew\nkeep\nnew\n');
  await runtime.remove(r.rec);
});

test('a lot of output arrives whole and in order (serial throughput)', { skip }, async () => {
  const t0 = Date.now();
  const r = await run(['seq', '1', '30000']);
  assert.equal((await r.done).exitCode, 0);
  const out = demux(await r.output).stdout;
  const ms = Date.now() - t0;
  const lines = out.trimEnd().split('\n');
  assert.equal(lines.length, 30000);
  assert.equal(lines[29999], '30000');
  assert.ok(lines.every((l, i) => l === String(i + 1)));
  console.log(`# ${out.length} bytes of output in ${ms} ms (${(out.length / 1024 / (ms / 1000)).toFixed(0)} KiB/s over serial)`);
  await runtime.remove(r.rec);
});

test('exec joins the running container: its namespaces, root and cgroup; a tty exec; kill-all ends it too', { skip }, async () => {
  const r = await run(['sleep', '1000']);
  const proc = { env: ['PATH=/bin'], cwd: '/tmp', user: '', privileged: false, stdin: false };
  const ex = await r.task.exec('e1', { ...proc, args: ['sh', '-c', 'echo pid=$$; hostname; pwd; tr "\\0" " " < /proc/1/cmdline; echo; cat /proc/self/cgroup'], tty: false });
  const out = ex.attach().then((p) => readAllBytes(p.readable));
  await ex.start();
  assert.equal((await ex.wait()).exitCode, 0);
  const lines = demux(await out).stdout.split('\n');
  assert.notEqual(lines[0], 'pid=1');
  assert.match(lines[0]!, /^pid=\d+$/);
  assert.equal(lines[1], r.rec.Config.Hostname);
  assert.equal(lines[2], '/tmp');
  assert.equal(lines[3], 'sleep 1000 ');
  assert.match(lines[4]!, /^0::\/berth\/\d+$/);

  const missing = await r.task.exec('e2', { ...proc, args: ['nope'], tty: false });
  await assert.rejects(missing.start(), /exec: "nope": executable file not found in \$PATH/);
  assert.equal((await missing.wait()).exitCode, 127);

  const tty = await r.task.exec('e3', { ...proc, args: ['sh', '-c', 'tty; stty size; sleep 1000'], tty: true, consoleSize: [33, 99] });
  const reader = (await tty.attach()).readable.getReader();
  await tty.start();
  assert.match(await readUntil(reader, /33 99\r\n/, true), /^\/dev\/pts\/\d+\r\n33 99\r\n$/);
  await r.task.kill(9, true);
  assert.equal((await r.done).exitCode, 137);
  assert.equal((await tty.wait()).exitCode, 137);
  await runtime.remove(r.rec);
});

test('a restarted container keeps its files; remove deletes them', { skip }, async () => {
  const cmd = ['sh', '-c', 'cat /keep 2>/dev/null || echo none; echo kept > /keep'];
  const first = await run(cmd);
  assert.equal((await first.done).exitCode, 0);
  assert.equal(demux(await first.output).stdout, 'none\n');
  await runtime.cleanup(first.rec);
  const again = await runtime.create(first.rec, image, { stdin: false, stdinOnce: false, tty: false });
  const out = again.attach().then((p) => readAllBytes(p.readable));
  await again.start();
  assert.equal((await again.wait()).exitCode, 0);
  assert.equal(demux(await out).stdout, 'kept\n');
  await runtime.remove(first.rec);
  const fresh = await runtime.create(first.rec, image, { stdin: false, stdinOnce: false, tty: false });
  const out2 = fresh.attach().then((p) => readAllBytes(p.readable));
  await fresh.start();
  await fresh.wait();
  assert.equal(demux(await out2).stdout, 'none\n');
  await runtime.remove(first.rec);
});

test("Docker's masked and read-only /proc paths, none with --privileged; --read-only", { skip }, async () => {
  const cmd = ['sh', '-c', 'echo h > /proc/sysrq-trigger 2>/dev/null && echo wrote || echo refused; wc -c < /proc/kcore'];
  const r = await run(cmd);
  assert.equal((await r.done).exitCode, 0);
  assert.equal(demux(await r.output).stdout, 'refused\n0\n');
  await runtime.remove(r.rec);
  const p = await run(['sh', '-c', 'grep -c " /proc/sysrq-trigger " /proc/self/mountinfo'], { body: { HostConfig: { Privileged: true } } });
  assert.equal(demux(await p.output).stdout, '0\n');
  await runtime.remove(p.rec);
  const ro = await run(['sh', '-c', 'touch /x 2>&1; touch /tmp/x 2>&1'], { body: { HostConfig: { ReadonlyRootfs: true } } });
  assert.equal((await ro.done).exitCode, 1);
  assert.equal(demux(await ro.output).stdout, "touch: /x: Read-only file system\ntouch: /tmp/x: Read-only file system\n");
  await runtime.remove(ro.rec);
});

test('a container over its memory limit is OOM-killed: 137 and oomKilled', { skip }, async () => {
  const r = await run(['sh', '-c', 'x=$(head -c 40000000 /dev/zero | tr "\\0" a); echo survived ${#x}'], { body: { HostConfig: { Memory: 16 * 1024 * 1024 } } });
  const st = await r.done;
  assert.equal(st.exitCode, 137);
  assert.equal(st.oomKilled, true);
  assert.doesNotMatch(demux(await r.output).stdout, /survived/);
  await runtime.remove(r.rec);
});

test('a crashed guest: the running container ends with 255 and the reason, requests fail clearly', { skip }, async () => {
  // A restored copy of the guest, so the others keep theirs; --privileged lets the container reach sysrq.
  const crashing = await GuestVM.boot({ ...guestImages(), state: snapshot ?? await vm!.saveState(), timeoutMs: 120_000 });
  try {
    const rt = new GuestRuntime({ vm: crashing, layers: { open: async () => { throw new Error('no layer transfer expected'); } } });
    const rec = newRecord({ id: 'c'.repeat(64), name: '/crash', body: { Cmd: ['sh', '-c', 'echo c > /proc/sysrq-trigger; sleep 1000'], HostConfig: { Privileged: true } }, image: { id: image.id, config: image.config }, now: new Date() });
    const task = await rt.create(rec, image, { stdin: false, stdinOnce: false, tty: false });
    await task.start();
    const st = await task.wait();
    assert.equal(st.exitCode, 255);
    assert.match(String(st.error), /the browser guest crashed \(Kernel panic[^)]*\)/);
    await assert.rejects(rt.create({ ...rec, Id: 'd'.repeat(64) }, image, { stdin: false, stdinOnce: false, tty: false }), /the browser guest crashed/);
    // docker rm of what the crash ended still works: there is nothing left in the guest to clean.
    await rt.cleanup(rec);
    await rt.remove(rec);
  } finally {
    await crashing.destroy();
  }
});

test('top lists the container\'s processes (execs too) as ps -ef; stats has its cgroup\'s memory, cpu and pids', { skip }, async () => {
  const r = await run(['sh', '-c', 'sleep 1000 & sleep 1001'], { body: { HostConfig: { Memory: 32 * 1024 * 1024, PidsLimit: 50 } } });
  const ex = await r.task.exec('t1', { args: ['sleep', '1002'], env: [], cwd: '/', user: '', privileged: false, tty: false, stdin: false });
  await ex.start();
  // The container's shell forks and execs on its own time: ask until all three are there.
  let top = await r.task.top('-ef');
  for (let i = 0; i < 200 && top.Processes.filter((p) => /^sleep 100[012]$/.test(p[7]!)).length < 3; i++) {
    await new Promise((res) => setTimeout(res, 50));
    top = await r.task.top('-ef');
  }
  assert.deepEqual(top.Titles, ['UID', 'PID', 'PPID', 'C', 'STIME', 'TTY', 'TIME', 'CMD']);
  const cmds = top.Processes.map((p) => p[7]).sort();
  // sh execs its last command: sleep 1001 is the container's PID 1 and sleep 1000's parent.
  assert.deepEqual(cmds, ['sleep 1000', 'sleep 1001', 'sleep 1002']);
  assert.ok(top.Processes.every((p) => p[0] === 'root' && /^\d+$/.test(p[1]!)));
  const initPid = top.Processes.find((p) => p[7] === 'sleep 1001')![1];
  assert.equal(top.Processes.find((p) => p[7] === 'sleep 1000')![2], initPid);
  const stats = await r.task.stats() as { memory_stats: { usage: number; limit: number }; pids_stats: { current: number; limit: number }; cpu_stats: { cpu_usage: { total_usage: number }; system_cpu_usage: number; online_cpus: number } };
  assert.equal(stats.memory_stats.limit, 32 * 1024 * 1024);
  assert.ok(stats.memory_stats.usage > 0);
  assert.deepEqual(stats.pids_stats, { current: 3, limit: 50 });
  assert.ok(stats.cpu_stats.cpu_usage.total_usage > 0 && stats.cpu_stats.system_cpu_usage > 0);
  assert.equal(stats.cpu_stats.online_cpus, 1);
  await r.task.kill(9, true);
  await r.done;
  await runtime.remove(r.rec);
});

test('pause freezes the container (its CPU time stands still), unpause thaws it; update changes its limits', { skip }, async () => {
  // Busy: without the freeze its CPU time would grow between any two samples.
  const r = await run(['sh', '-c', 'i=0; while true; do i=$((i+1)); [ $((i % 500)) = 0 ] && echo $i; done'], { stdin: true, keepStdin: true });
  const reader = r.readable.getReader();
  await readUntil(reader, /\n1500\n/, false);
  await r.task.pause();
  const frozen = (await r.task.stats()) as { cpu_stats: { cpu_usage: { total_usage: number } } };
  // A frozen cgroup uses no CPU: two samples with a round trip to the guest between them agree.
  await runtime.vm().then((v) => v.channel.request('ping'));
  const still = (await r.task.stats()) as { cpu_stats: { cpu_usage: { total_usage: number } } };
  assert.equal(still.cpu_stats.cpu_usage.total_usage, frozen.cpu_stats.cpu_usage.total_usage);
  await r.task.resume();
  const more = await readUntil(reader, /\n\d+\n\d+\n/, false);
  assert.match(more, /^\d+\n/);
  await r.task.update({ Memory: 48 * 1024 * 1024, PidsLimit: 20 });
  const st = (await r.task.stats()) as { memory_stats: { limit: number }; pids_stats: { limit: number } };
  assert.equal(st.memory_stats.limit, 48 * 1024 * 1024);
  assert.equal(st.pids_stats.limit, 20);
  await r.task.kill(9, true);
  await r.done;
  await runtime.remove(r.rec);
});

test('a layer extracts in the background: the agent answers other requests meanwhile', { skip }, async () => {
  const big = new Uint8Array(2 * 1024 * 1024);
  for (let i = 0; i < big.length; i += 65536) big.set(createHash('sha256').update(String(i)).digest(), i);
  const diffID = await addLayer([{ header: { name: 'big.bin' }, body: big }, { header: { name: 'small' }, body: 'x\n' }]);
  const name = `layer-${diffID.slice(7)}`;
  const t0 = Date.now();
  await vm!.putFile(name, extraLayers.get(diffID)!);
  const order: string[] = [];
  const layer = vm!.channel.request('layer', { diffID, path: name }).then((r) => { order.push('layer'); return r; });
  const ping = vm!.channel.request('ping').then(() => { order.push('ping'); });
  assert.deepEqual(await layer, { ok: true, present: true });
  const mb = extraLayers.get(diffID)!.byteLength / 1048576;
  console.log(`# layer into the guest: ${mb.toFixed(1)} MiB tar through 9p and extracted in ${Date.now() - t0} ms (${(mb / ((Date.now() - t0) / 1000)).toFixed(1)} MiB/s)`);
  await ping;
  assert.deepEqual(order, ['ping', 'layer']);
  const r = await run(['sh', '-c', 'wc -c < /big.bin; cat /small'], { image: { ...image, diffIDs: [...image.diffIDs, diffID] } });
  assert.equal(demux(await r.output).stdout, `${big.length}\nx\n`);
  await runtime.remove(r.rec);
});

test('diff, commit and export read the container\'s files back from the guest; size counts them', { skip }, async () => {
  const r = await run(['sh', '-c', 'echo new > /added.txt; rm /bin/vi; mkdir -p /var/data; echo x > /var/data/f']);
  assert.equal((await r.done).exitCode, 0);
  await runtime.cleanup(r.rec); // stopped: the guest mounts the rootfs again for export
  const changes = await runtime.changes(r.rec);
  assert.deepEqual(changes, [
    { Path: '/added.txt', Kind: 1 }, { Path: '/bin', Kind: 0 }, { Path: '/bin/vi', Kind: 2 },
    { Path: '/var', Kind: 0 }, { Path: '/var/data', Kind: 1 }, { Path: '/var/data/f', Kind: 1 },
  ]);
  const entries = async (s: ReadableStream<Uint8Array>) => {
    const out = new Map<string, { type: string; size: number }>();
    for await (const e of readTar(s)) { out.set(e.name.replace(/^\.\//, '').replace(/\/$/, ''), { type: e.type, size: e.size }); await e.body.cancel(); }
    return out;
  };
  const layer = await entries(await runtime.diffTar(r.rec));
  assert.equal(layer.get('added.txt')?.size, 4);
  assert.equal(layer.get('bin/.wh.vi')?.type, 'file');
  assert.equal(layer.has('bin/vi'), false);
  assert.equal(layer.has('etc/hostname'), false, 'the engine\'s files are not the container\'s changes');
  const all = await entries(await runtime.export(r.rec));
  assert.equal(all.get('added.txt')?.size, 4);
  assert.equal(all.has('bin/vi'), false);
  assert.match(String(all.get('bin/busybox')?.type), /^(file|hardlink)$/); // the applets are hard links
  assert.equal(all.get('etc/hostname')?.type, 'file');
  const size = await runtime.size(r.rec);
  assert.equal(size.rw, 4 + 2);
  assert.ok(size.rootFs > 1_000_000);
  await runtime.remove(r.rec);
  await assert.rejects(runtime.changes(r.rec), /the file system of container .* is gone/);
});

test('volumes outlive their container and start with the image\'s files; tmpfs mounts; no bind mounts', { skip }, async () => {
  const vol = `vol${Date.now()}`;
  const first = await run(['sh', '-c', 'ls /etc/ | grep -c passwd; echo kept > /etc/saved; mount | grep -c " /scratch type tmpfs"'], { body: { HostConfig: { Binds: [`${vol}:/etc`], Tmpfs: { '/scratch': 'size=1m,noexec' } } } });
  assert.equal((await first.done).exitCode, 0);
  assert.equal(demux(await first.output).stdout, '1\n1\n');
  await runtime.remove(first.rec);
  const second = await run(['cat', '/data/saved'], { body: { HostConfig: { Binds: [`${vol}:/data:ro`] } } });
  assert.equal(demux(await second.output).stdout, 'kept\n');
  await runtime.remove(second.rec);
  const id = 'a'.repeat(64);
  const rec = newRecord({ id, name: '/bind', body: { Cmd: ['true'], HostConfig: { Binds: ['/srv:/srv'] } }, image: { id: image.id, config: image.config }, now: new Date() });
  await assert.rejects(runtime.prepare(rec, image), /bind mounts are not supported in the browser guest .*\/srv:\/srv; use a named volume/);
});

test('--init: docker-init is PID 1 and passes the exit status on', { skip }, async () => {
  const r = await run(['sh', '-c', 'tr "\\0" " " < /proc/1/cmdline; echo; exit 7'], { body: { HostConfig: { Init: true } } });
  assert.equal((await r.done).exitCode, 7);
  assert.equal(demux(await r.output).stdout, '/sbin/docker-init -- sh -c tr "\\0" " " < /proc/1/cmdline; echo; exit 7 \n');
  await runtime.remove(r.rec);
});

test('logs --follow streams a running container\'s lines and ends when it stops', { skip }, async () => {
  const r = await run(['sh', '-c', 'echo one; read x; echo two'], { stdin: true, keepStdin: true });
  await readUntil(r.readable.getReader(), /one/, false);
  let stop!: () => void;
  const stopped = new Promise<void>((res) => { stop = res; });
  const lines: string[] = [];
  const following = (async () => {
    for await (const e of runtime.readLogs(r.rec, { follow: true, signal: new AbortController().signal, stopped })) {
      lines.push(dec.decode(e.line));
      if (lines.length === 1) await r.stdin.write(new TextEncoder().encode('go\n'));
    }
  })();
  await r.done;
  stop();
  await following;
  assert.deepEqual(lines, ['one\n', 'two\n']);
  await runtime.remove(r.rec);
});

test('the default bridge: containers get addresses on 172.17.0.0/16 and reach each other', { skip }, async () => {
  const web = await run(['sh', '-c', 'mkdir /www; echo served > /www/index.html; ip -4 addr show eth0 | grep -o "inet [0-9./]*"; echo up; exec httpd -f -p 80 -h /www'], { stdin: true, keepStdin: true });
  const said = await readUntil(web.readable.getReader(), /up\n/, false);
  const ip = (web.rec.NetworkSettings as { IPAddress: string }).IPAddress;
  assert.match(ip, /^172\.17\.\d+\.\d+$/);
  assert.equal(said, `inet ${ip}/16\nup\n`);
  assert.equal((web.rec.NetworkSettings as { Networks: { bridge: { Gateway: string } } }).Networks.bridge.Gateway, '172.17.0.1');
  const client = await run(['wget', '-qO-', `http://${ip}/index.html`]);
  assert.equal((await client.done).exitCode, 0);
  assert.equal(demux(await client.output).stdout, 'served\n');
  assert.notEqual((client.rec.NetworkSettings as { IPAddress: string }).IPAddress, ip);
  await runtime.remove(client.rec);
  await web.task.kill(9);
  await web.done;
  await runtime.remove(web.rec);
  assert.equal((web.rec.NetworkSettings as { IPAddress: string }).IPAddress, '');
});
