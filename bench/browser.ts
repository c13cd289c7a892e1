// The browser host: the v86 guest under Node (cold boot to the agent's first frame, restore of the shipped
// state, a container's first output after the restore, a large layer into the guest in MB/s), the served
// playground in headless chromium (page load -> engine ready, -> first output of `berth run --rm busybox echo
// hello` from the shipped state in a fresh profile, after a reload with the state in OPFS, and from a cold boot;
// -> first output of hello-wasm), and the same busybox echo on the Linux host (docker CLI -> berthd) for the
// in-browser ratio. Target (issue 4): page load -> first output under 2 s with a warm snapshot.
// Env: BENCH_RUNS=N (rounds; cold boots take max(2, N/2)), BENCH_NO_WRITE=1, BENCH_BROWSER_PARTS=node,chromium,linux
// (some parts only, for trying it; the section is written only when all ran), BENCH_LAYER_MIB (default 32).
import { cp, rm } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { GuestVM } from '../host-browser/vm/guest-vm.ts';
import { GuestRuntime } from '../host-browser/runtime/guest-runtime.ts';
import { buildPlayground } from '../scripts/build-playground.mjs';
import { browserMissing, launchBrowser } from '../test/helpers/browser.ts';
import { startPlayground } from '../test/helpers/playground.ts';
import { tempDir } from '../test/helpers/tmp.ts';
import { berthdMissing, startBerthd } from './lib/berthd.ts';
import { busybox386, guestImages, guestMissing, runInGuest, shippedState, syntheticLayer } from './lib/guest-node.ts';
import { timeFirstOutput, waitForVmDetail, type PageTimes } from './lib/playground-page.ts';
import { run, runTimed } from './lib/process.ts';
import { handWrittenNotes, machineDescription, markdownTable, median, updateSection } from './lib/report.ts';

const REPO = resolve(import.meta.dirname, '..');
const RUNS = Math.max(1, Number(process.env.BENCH_RUNS ?? 5));
const COLD_RUNS = Math.max(2, Math.round(RUNS / 2));
const LAYER_MIB = Number(process.env.BENCH_LAYER_MIB ?? 32);
const PARTS = (process.env.BENCH_BROWSER_PARTS ?? 'node,chromium,linux').split(',');
const TARGET_MS = 2000;
const LOAD_AT_START = loadavg()[0]!;
const ECHO = 'berth run --rm busybox echo hello';

function log(line: string): void { process.stderr.write(`${line}\n`); }
const ms = (x: number) => (x >= 10_000 ? `${(x / 1000).toFixed(1)} s` : x >= 1000 ? `${(x / 1000).toFixed(2)} s` : `${Math.round(x)} ms`);
/** median, min, max of a series, formatted. */
const spread = (xs: number[]) => [ms(median(xs)), ms(Math.min(...xs)), ms(Math.max(...xs))];
const loadNow = () => loadavg().map((l) => l.toFixed(1)).join(' / ');

interface Row { what: string; times: number[]; note?: string }
const row = (r: Row) => [r.what, ...spread(r.times), `${r.times.length}${r.note ? `; ${r.note}` : ''}`];

/** The guest under Node, as the engine worker runs it (v86 is the same code in both). */
async function underNode(): Promise<{ rows: Row[]; layer: string; loads: string[] }> {
  const images = guestImages(REPO);
  const state = shippedState(REPO);
  const extra = new Map<string, Uint8Array>();
  const bb = busybox386(REPO, extra);
  const cold: number[] = [];
  const coldFirst: number[] = [];
  const loads: string[] = [];
  for (let i = 0; i < COLD_RUNS; i++) {
    const t0 = performance.now();
    const vm = await GuestVM.boot({ ...images, timeoutMs: 300_000 });
    cold.push(performance.now() - t0);
    try {
      // the busybox layer goes in first (a cold guest has none), then the container
      const runtime = new GuestRuntime({ vm, layers: bb.layers });
      const r = await runInGuest(runtime, bb.image, ['echo', 'hello']);
      if (r.stdout !== 'hello\n' || r.exitCode !== 0) throw new Error(`echo hello after a cold boot printed ${JSON.stringify(r.stdout)}, exit ${r.exitCode}`);
      coldFirst.push(performance.now() - t0);
    } finally { await vm.destroy(); }
    log(`node: cold boot ${ms(cold.at(-1)!)}, first output ${ms(coldFirst.at(-1)!)}`);
  }
  loads.push(loadNow());
  const restore: number[] = [];
  const first: number[] = [];
  const container: number[] = [];
  const push: number[] = [];
  const rates: number[] = [];
  const share: number[] = [];
  let layerInfo = '';
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    const vm = await GuestVM.boot({ ...images, state });
    restore.push(performance.now() - t0);
    try {
      if (!vm.restored) throw new Error('the guest booted instead of restoring the shipped state');
      // no layer transfer: the shipped state has busybox's layer inside
      const runtime = new GuestRuntime({ vm, layers: { open: () => { throw new Error('a layer was pushed into a restored guest that has it'); } } });
      const r = await runInGuest(runtime, bb.image, ['echo', 'hello']);
      if (r.stdout !== 'hello\n' || r.exitCode !== 0) throw new Error(`echo hello after a restore printed ${JSON.stringify(r.stdout)}, exit ${r.exitCode}`);
      first.push(performance.now() - t0);
      container.push(r.firstOutputMs);

      const layer = await syntheticLayer(LAYER_MIB);
      extra.set(layer.diffID, layer.tar);
      const withLayer = { ...bb.image, id: `sha256:${'b'.repeat(64)}`, diffIDs: [...bb.image.diffIDs, layer.diffID] };
      const layerRuntime = new GuestRuntime({ vm, layers: bb.layers });
      // the push's first step timed on its own: the tar into v86's 9p file system (the rest is the agent's tar)
      let shareMs = 0;
      const putFile = vm.putFile.bind(vm);
      vm.putFile = async (name, bytes) => { const t = performance.now(); await putFile(name, bytes); shareMs = performance.now() - t; };
      const p0 = performance.now();
      await layerRuntime.pushLayer(layer.diffID, withLayer);
      const pushMs = performance.now() - p0;
      share.push(shareMs);
      extra.delete(layer.diffID);
      // what was pushed must be there, whole: a fast push that extracted nothing does not count
      const check = await runInGuest(layerRuntime, withLayer, ['sh', '-c', 'find /bench -type f | wc -l; cat /bench/f-0000 | wc -c']);
      const expected = `${layer.files}\n${1 << 20}\n`;
      if (check.stdout.replace(/ +/g, '') !== expected) throw new Error(`the pushed layer in a container: ${JSON.stringify(check.stdout)}, expected ${JSON.stringify(expected)}`);
      push.push(pushMs);
      rates.push(layer.tar.byteLength / 1e6 / (pushMs / 1000));
      layerInfo = `${(layer.tar.byteLength / 2 ** 20).toFixed(1)} MiB plain tar, ${layer.files} files of random bytes (half 1 MiB files, half 64 KiB)`;
    } finally { await vm.destroy(); }
    log(`node: restore ${ms(restore.at(-1)!)}, first output ${ms(first.at(-1)!)}, layer ${ms(push.at(-1)!)} (${rates.at(-1)!.toFixed(1)} MB/s)`);
  }
  loads.push(loadNow());
  const rate = [...rates].sort((a, b) => a - b);
  return {
    rows: [
      { what: 'cold boot -> agent ready', times: cold },
      { what: 'cold boot -> first output (busybox layer pushed, echo)', times: coldFirst },
      { what: 'restore shipped state -> agent ready', times: restore, note: `state ${(state.byteLength / 2 ** 20).toFixed(1)} MiB gzip, decompressed and restored` },
      { what: 'restore shipped state -> first output (echo)', times: first },
      { what: 'container on a restored guest: create -> first output', times: container },
      { what: `layer into the guest (${LAYER_MIB} MiB): push start -> extracted`, times: push },
      { what: '… of which: the tar into the 9p share (`putFile`)', times: share },
    ],
    layer: `Layer transfer: ${layerInfo}, through \`GuestRuntime.pushLayer\` (the engine worker's path: the tar is put into the 9p share, the agent extracts it with tar into the layer's directory and answers), checked by listing it in a container: **${median(rate).toFixed(1)} MB/s** median (${rate[0]!.toFixed(1)}-${rate.at(-1)!.toFixed(1)}).`,
    loads,
  };
}

/** When the VM's status line first matched `re` (ms since navigation start). */
function vmAt(t: PageTimes, re: RegExp): number {
  const seen = t.vm.find((v) => re.test(v));
  if (!seen) throw new Error(`the VM never showed ${re}: ${t.vm.join(', ')}`);
  return Number.parseInt(seen, 10);
}

interface ChromiumResult { rows: Row[]; warmMedian: number; reloadMedian: number; loads: string[] }

/** The served playground in headless chromium, a fresh profile per round. */
async function inChromium(): Promise<ChromiumResult> {
  const warmDir = await tempDir('berth-bench-playground-');
  const coldDir = await tempDir('berth-bench-playground-cold-');
  const servers: { stop(): Promise<void> }[] = [];
  try {
    const built = await buildPlayground({ outDir: warmDir });
    if (!built.copied.includes('guest')) throw new Error('the playground was built without the guest (bash host-browser/guest/build.sh)');
    // the same page without the shipped state (inflated and gzip): a first start boots the guest
    await cp(warmDir, coldDir, { recursive: true });
    await rm(join(coldDir, 'guest/state.bin'));
    await rm(join(coldDir, 'guest/state.bin.gz'));
    const warm = await startPlayground(['--root', warmDir]);
    servers.push(warm);
    const cold = await startPlayground(['--root', coldDir]);
    servers.push(cold);

    const loads: string[] = [];
    const times = { engine: [] as number[], prompt: [] as number[], warm: [] as number[], wasm: [] as number[], reload: [] as number[], restored: [] as number[], reloadRestored: [] as number[], cold: [] as number[] };
    const round = async (url: string, command: string, expect: string, vmDetail: RegExp | undefined, timeoutMs: number, then?: (page: import('playwright-core').Page) => Promise<void>): Promise<PageTimes> => {
      const browser = await launchBrowser();
      try {
        const page = await browser.context.newPage();
        const t = await timeFirstOutput(page, () => page.goto(url), command, expect, timeoutMs);
        if (vmDetail && !t.vm.some((v) => vmDetail.test(v))) throw new Error(`${command}: the VM went ${t.vm.join(' -> ')}, not ${vmDetail}`);
        await then?.(page);
        return t;
      } finally { await browser.close(); }
    };
    for (let i = 0; i < RUNS; i++) {
      const t = await round(`${warm.url}/`, ECHO, 'hello', /restoring the shipped guest/, 120_000);
      times.engine.push(t.engineReadyMs);
      times.prompt.push(t.promptMs);
      times.warm.push(t.outputMs);
      times.restored.push(vmAt(t, /running: restored/));
      const w = await round(`${warm.url}/`, 'berth run --rm hello-wasm', 'Hello from WebAssembly!', undefined, 60_000);
      times.wasm.push(w.outputMs);
      log(`chromium: engine ready ${ms(t.engineReadyMs)}, echo (shipped state) ${ms(t.outputMs)}, hello-wasm ${ms(w.outputMs)}; guest restored ${ms(times.restored.at(-1)!)}`);
    }
    loads.push(loadNow());
    for (let i = 0; i < COLD_RUNS; i++) {
      let reload: PageTimes | undefined;
      const t = await round(`${cold.url}/`, ECHO, 'hello', /booting the guest \(first start/, 600_000, async (page) => {
        // the worker saves the booted guest, then again with busybox's layer in once the container is gone
        await waitForVmDetail(page, /state saved with its layers/, 120_000);
        reload = await timeFirstOutput(page, () => page.reload(), ECHO, 'hello', 120_000);
        if (!reload.vm.some((v) => /restoring the saved guest/.test(v))) throw new Error(`after a reload the VM went ${reload.vm.join(' -> ')}`);
      });
      times.cold.push(t.outputMs);
      times.reload.push(reload!.outputMs);
      times.reloadRestored.push(vmAt(reload!, /running: restored/));
      log(`chromium: cold boot -> echo ${ms(t.outputMs)}, after a reload (OPFS state) ${ms(reload!.outputMs)}`);
    }
    loads.push(loadNow());
    return {
      rows: [
        { what: 'page load -> shell prompt', times: times.prompt },
        { what: 'page load -> engine ready', times: times.engine },
        { what: 'page load -> guest restored, shipped state (fresh profile)', times: times.restored },
        { what: `page load -> \`${ECHO}\` output, shipped state (fresh profile)`, times: times.warm },
        { what: 'page load -> guest restored, after a reload (state in OPFS)', times: times.reloadRestored },
        { what: `page load -> \`${ECHO}\` output, after a reload (state in OPFS)`, times: times.reload },
        { what: `page load -> \`${ECHO}\` output, cold boot (served without the state)`, times: times.cold },
        { what: 'page load -> `berth run --rm hello-wasm` output (fresh profile)', times: times.wasm },
      ],
      warmMedian: median(times.warm),
      reloadMedian: median(times.reload),
      loads,
    };
  } finally {
    for (const s of servers) await s.stop();
    await rm(warmDir, { recursive: true, force: true });
    await rm(coldDir, { recursive: true, force: true });
  }
}

/**
 * `docker run --rm busybox echo hello` against a temporary berthd: the same container on the Linux host, with no
 * network (as in the guest, where a container has only loopback) and with the default bridge network.
 */
async function onLinux(): Promise<Row[]> {
  const missing = await berthdMissing(REPO);
  if (missing) throw new Error(`the Linux reference needs berthd: ${missing}`);
  const dir = await tempDir('berth-bench-browser-berthd-');
  const d = await startBerthd(REPO, dir);
  try {
    const rows: Row[] = [];
    for (const net of [['--network', 'none'], []]) {
      const args = ['-H', d.host, 'run', '--rm', ...net, 'busybox', 'echo', 'hello'];
      // berthd imports its built-in busybox at start: the first run may wait for it
      const deadline = Date.now() + 30_000;
      while ((await runTimed('docker', args).catch(() => undefined))?.stdout !== 'hello\n') {
        if (Date.now() > deadline) throw new Error(`docker ${args.join(' ')} never printed hello`);
        await new Promise((r) => setTimeout(r, 200));
      }
      const times: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        const r = await runTimed('docker', args);
        if (r.stdout !== 'hello\n') throw new Error(`docker run printed ${JSON.stringify(r.stdout)}`);
        times.push(r.seconds * 1000);
      }
      rows.push({ what: `Linux host: \`docker run --rm ${net.length ? `${net.join(' ')} ` : ''}busybox echo hello\` -> berthd (CLI start to exit)`, times });
    }
    return rows;
  } finally {
    await d.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const missing = guestMissing(REPO) ?? (PARTS.includes('chromium') ? browserMissing() || undefined : undefined);
  if (missing) throw new Error(`cannot benchmark the browser host: ${missing}`);
  const uptimeAtStart = (await run('uptime', []).catch(() => '?')).trim();
  const node = PARTS.includes('node') ? await underNode() : undefined;
  const chromium = PARTS.includes('chromium') ? await inChromium() : undefined;
  const linux = PARTS.includes('linux') ? await onLinux() : undefined;
  const uptimeAtEnd = (await run('uptime', []).catch(() => '?')).trim();

  const header = ['measure', 'median', 'min', 'max', 'runs'];
  const parts: string[] = [[
    `- Machine: ${await machineDescription(LOAD_AT_START)}`,
    `- Load (\`uptime\`): at the start \`${uptimeAtStart}\`; at the end \`${uptimeAtEnd}\`; 1/5/15-minute averages after the Node cold boots, the Node restores, chromium's shipped-state rounds and its cold boots: ${[...node?.loads ?? [], ...chromium?.loads ?? []].join('; ')}`,
    `- Date: ${new Date().toISOString().replace(/\.\d+Z$/, 'Z')}`,
    `- Method: \`npm run bench -- browser\` (bench/browser.ts). ${RUNS} rounds (cold boots: ${COLD_RUNS}). Wall clock; the guest is build/guest (i386 686 kernel, 128 MiB RAM) with build/guest/state.bin.gz, the state host-browser/guest/make-snapshot.ts saved with the built-in linux/386 layers inside.`,
  ].join('\n')];
  if (node) {
    parts.push(`Under Node (${process.version}, v86 from npm: the emulator the engine worker runs), \`GuestVM.boot\` and core's container runtime over the guest agent (\`GuestRuntime\`), each restore round on a fresh guest:`,
      markdownTable(header, node.rows.map(row)), node.layer);
  }
  if (chromium) {
    const linuxMedian = linux && median(linux[0]!.times);
    // only for what ends in a container's output, as the Linux rows do
    const ratio = (r: Row) => (linuxMedian && /output/.test(r.what) ? `${(median(r.times) / linuxMedian).toFixed(1)}×` : '');
    parts.push(
      'In headless chromium (Debian\'s, via playwright-core): the playground as `scripts/build-playground.mjs` builds it, served by `berth playground`; each round a fresh browser profile (empty OPFS and IndexedDB). Times are from the navigation\'s start (`performance.now()` in the page) to the first line of the command\'s output on the terminal; the command is typed (`shell.type`) at the first prompt. "Cold boot" serves the same build without the shipped state (`guest/state.bin` and its .gz); its reload row is the same profile after the worker saved the booted guest (with busybox\'s layer) in OPFS.',
      markdownTable([...header, ...(linux ? ['× Linux host (no network)'] : [])], [...chromium.rows.map((r) => [...row(r), ...(linux ? [ratio(r)] : [])]),
        ...(linux ?? []).map((r) => [...row(r), linuxMedian ? `${(median(r.times) / linuxMedian).toFixed(1)}×` : ''])]),
      `Target (issue 4): page load -> first container output with a warm snapshot (a later visit, restoring the state the worker saved in OPFS) under ${ms(TARGET_MS)}: **${ms(chromium.reloadMedian)}** median — **${chromium.reloadMedian < TARGET_MS ? 'met' : 'not met'}**. A first visit (fresh profile, the shipped state): **${ms(chromium.warmMedian)}** — ${chromium.warmMedian < TARGET_MS ? 'also under' : 'over'} ${ms(TARGET_MS)}.`,
    );
  } else if (linux) {
    parts.push(markdownTable(header, linux.map(row)));
  }
  const body = [...parts, await handWrittenNotes(join(REPO, 'BENCHMARKS.md'), 'Browser host')].filter(Boolean).join('\n\n');
  process.stdout.write(`${body}\n`);
  if (process.env.BENCH_NO_WRITE !== '1' && PARTS.length === 3) await updateSection(join(REPO, 'BENCHMARKS.md'), 'Browser host', body);
}

await main();
