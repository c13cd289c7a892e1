// `berth stats`: CPU, memory, network, block I/O and PIDs per container from
// GET /containers/{id}/stats, computed as docker's stats formatter does; --no-stream prints one
// table, otherwise the table is redrawn every second (cleared on a terminal).
import { StatusError, type Command, type CommandContext } from '../command.ts';
import { FORMAT_HELP, renderFormat, SubContext, TABLE_FORMAT_KEY, truncateID } from '../formatter.ts';
import { decodeJSONStream } from '../json-message.ts';
import { bytesSize, humanSizeWithPrecision } from '../units.ts';
import type { ContainerSummary } from './ps.ts';

interface StatsJSON {
  read?: string;
  name?: string;
  id?: string;
  pids_stats?: { current?: number };
  memory_stats?: { usage?: number; limit?: number; stats?: Record<string, number> };
  cpu_stats?: CpuStats;
  precpu_stats?: CpuStats;
  blkio_stats?: { io_service_bytes_recursive?: Array<{ op: string; value: number }> | null };
  networks?: Record<string, { rx_bytes: number; tx_bytes: number }>;
}
interface CpuStats { cpu_usage?: { total_usage?: number; percpu_usage?: number[] }; system_cpu_usage?: number; online_cpus?: number }

const DEFAULT_FORMAT = 'table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}';
const HEADER: Record<string, string> = {
  Container: 'CONTAINER', ID: 'CONTAINER ID', Name: 'NAME', CPUPerc: 'CPU %', MemUsage: 'MEM USAGE / LIMIT', MemPerc: 'MEM %',
  NetIO: 'NET I/O', BlockIO: 'BLOCK I/O', PIDs: 'PIDS',
};

interface Entry {
  container: string; name: string; id: string; cpu: number; mem: number; memLimit: number; memPerc: number;
  rx: number; tx: number; blkRead: number; blkWrite: number; pids: number; valid: boolean;
}

/** Docker's calculation: usage minus the page cache (v1 total_inactive_file, v2 inactive_file). */
export function statsEntry(container: string, s: StatsJSON): Entry {
  const cpuDelta = (s.cpu_stats?.cpu_usage?.total_usage ?? 0) - (s.precpu_stats?.cpu_usage?.total_usage ?? 0);
  const sysDelta = (s.cpu_stats?.system_cpu_usage ?? 0) - (s.precpu_stats?.system_cpu_usage ?? 0);
  const online = s.cpu_stats?.online_cpus || s.cpu_stats?.cpu_usage?.percpu_usage?.length || 0;
  const cpu = sysDelta > 0 && cpuDelta > 0 ? (cpuDelta / sysDelta) * online * 100 : 0;
  const st = s.memory_stats?.stats ?? {};
  const usage = s.memory_stats?.usage ?? 0;
  let mem = usage;
  const inactive = st.total_inactive_file ?? st.inactive_file;
  if (inactive !== undefined && inactive < usage) mem = usage - inactive;
  const limit = s.memory_stats?.limit ?? 0;
  let rx = 0;
  let tx = 0;
  for (const n of Object.values(s.networks ?? {})) { rx += n.rx_bytes; tx += n.tx_bytes; }
  let blkRead = 0;
  let blkWrite = 0;
  for (const b of s.blkio_stats?.io_service_bytes_recursive ?? []) {
    const op = b.op.toLowerCase();
    if (op === 'read') blkRead += b.value;
    else if (op === 'write') blkWrite += b.value;
  }
  return {
    container, name: (s.name ?? '').replace(/^\//, ''), id: s.id ?? '', cpu, mem, memLimit: limit, memPerc: limit ? (mem / limit) * 100 : 0,
    rx, tx, blkRead, blkWrite, pids: s.pids_stats?.current ?? 0, valid: true,
  };
}

/**
 * docker's collector waits this long for a container's first sample, then shows `--` (a daemon sends none for a
 * container whose runtime gives no stats, e.g. a wasm one).
 */
const FIRST_SAMPLE_MS = 2000;

function invalidEntry(container: string): Entry {
  return { container, name: '', id: '', cpu: 0, mem: 0, memLimit: 0, memPerc: 0, rx: 0, tx: 0, blkRead: 0, blkWrite: 0, pids: 0, valid: false };
}

class StatsContext extends SubContext {
  constructor(private readonly e: Entry, private readonly trunc: boolean) { super('*formatter.statsContext'); }
  header() { return HEADER; }
  protected fields() { return ['BlockIO', 'CPUPerc', 'Container', 'ID', 'MemPerc', 'MemUsage', 'Name', 'NetIO', 'PIDs']; }
  Container() { return this.e.container; }
  Name() { return this.e.name || '--'; }
  ID() { return this.trunc ? truncateID(this.e.id) : this.e.id; }
  CPUPerc() { return this.e.valid ? `${this.e.cpu.toFixed(2)}%` : '--'; }
  MemUsage() { return this.e.valid ? `${bytesSize(this.e.mem)} / ${bytesSize(this.e.memLimit)}` : '-- / --'; }
  MemPerc() { return this.e.valid ? `${this.e.memPerc.toFixed(2)}%` : '--'; }
  NetIO() { return this.e.valid ? `${humanSizeWithPrecision(this.e.rx, 3)} / ${humanSizeWithPrecision(this.e.tx, 3)}` : '--'; }
  BlockIO() { return this.e.valid ? `${humanSizeWithPrecision(this.e.blkRead, 3)} / ${humanSizeWithPrecision(this.e.blkWrite, 3)}` : '--'; }
  PIDs() { return this.e.valid ? String(this.e.pids) : '--'; }
}

async function runStats(ctx: CommandContext): Promise<void> {
  const api = await ctx.api();
  let names = ctx.args;
  // docker: containers named on the command line must each give a sample; of all running ones, those without show --.
  const named = names.length > 0;
  const noSample = (missing: string[]) => new StatusError(missing.map(() => 'timeout waiting for stats').join('\n'), 1);
  if (!names.length) {
    const list = await api.get<ContainerSummary[]>('/containers/json', { all: ctx.flags.all as boolean });
    names = (list ?? []).map((c) => truncateID(c.Id));
  }
  let format = (ctx.flags.format as string) || TABLE_FORMAT_KEY;
  if (format === TABLE_FORMAT_KEY) format = DEFAULT_FORMAT;
  const trunc = !(ctx.flags['no-trunc'] as boolean);
  const render = (entries: Entry[]) => renderFormat(format, entries.map((e) => new StatsContext(e, trunc)), HEADER);
  if (ctx.flags['no-stream']) {
    const entries = await Promise.all(names.map(async (n) => {
      const abort = new AbortController();
      const timer = setTimeout(() => abort.abort(), FIRST_SAMPLE_MS);
      try {
        return statsEntry(n, await api.json<StatsJSON>('GET', `/containers/${encodeURIComponent(n)}/stats`, { query: { stream: '0' }, signal: abort.signal }));
      } catch (e) {
        if (!abort.signal.aborted) throw e;
        return invalidEntry(n);
      } finally {
        clearTimeout(timer);
      }
    }));
    const missing = entries.filter((e) => !e.valid).map((e) => e.container);
    if (named && missing.length) throw noSample(missing);
    const text = render(entries);
    if (text) await ctx.out(text);
    return;
  }
  // Streaming: keep each container's latest sample, redraw every second.
  const latest = new Map<string, Entry>();
  const abort = new AbortController();
  const streams = names.map(async (n) => {
    const res = await api.request('GET', `/containers/${encodeURIComponent(n)}/stats`, { query: { stream: '1' }, signal: abort.signal });
    if (!res.body) return;
    for await (const m of decodeJSONStream(res.body)) latest.set(n, statsEntry(n, m as unknown as StatsJSON));
  });
  let finished = false;
  const all = Promise.all(streams).finally(() => { finished = true; });
  all.catch(() => {});
  const tty = ctx.host.stdout.isTTY;
  const started = Date.now();
  while (!finished) {
    await new Promise((r) => setTimeout(r, 1000));
    // docker draws once every container has given its first sample or its wait is over.
    const missing = names.filter((n) => !latest.has(n));
    if (missing.length && Date.now() - started < FIRST_SAMPLE_MS) continue;
    if (named && missing.length) {
      abort.abort();
      throw noSample(missing);
    }
    const entries = names.map((n) => latest.get(n) ?? invalidEntry(n));
    const text = render(entries);
    await ctx.out((tty ? '\x1b[2J\x1b[H' : '') + text);
  }
  await all;
}

export const statsCmd = (): Command => ({
  name: 'stats',
  use: '[OPTIONS] [CONTAINER...]',
  short: 'Display a live stream of container(s) resource usage statistics',
  aliasesHelp: 'berth container stats, berth stats',
  flags: [
    { name: 'all', short: 'a', kind: 'bool', usage: 'Show all containers (default shows just running)' },
    { name: 'format', kind: 'string', usage: FORMAT_HELP },
    { name: 'no-stream', kind: 'bool', usage: 'Disable streaming stats and only pull the first result' },
    { name: 'no-trunc', kind: 'bool', usage: "Do not truncate output" },
  ],
  run: async (ctx) => { await runStats(ctx); },
});
