// `berth update`: new resource limits or restart policy for running or stopped containers, via
// POST /containers/{id}/update; docker's checks and output (one name per line, warnings first).
import { StatusError, type Command } from '../command.ts';
import { FlagError, goQuote } from '../flags.ts';
import { failWith, forEachContainer } from '../parallel.ts';
import { ramInBytes } from '../units.ts';

export const updateCmd = (): Command => ({
  name: 'update',
  use: '[OPTIONS] CONTAINER [CONTAINER...]',
  short: 'Update configuration of one or more containers',
  aliasesHelp: 'berth container update, berth update',
  args: { min: 1 },
  flags: [
    { name: 'blkio-weight', kind: 'int', typeName: 'uint16', usage: 'Block IO (relative weight), between 10 and 1000, or 0 to disable', defaultText: '0' },
    { name: 'cpu-period', kind: 'int', usage: 'Limit CPU CFS (Completely Fair Scheduler) period' },
    { name: 'cpu-quota', kind: 'int', usage: 'Limit CPU CFS (Completely Fair Scheduler) quota' },
    { name: 'cpu-rt-period', kind: 'int', usage: 'Limit the CPU real-time period in microseconds' },
    { name: 'cpu-rt-runtime', kind: 'int', usage: 'Limit the CPU real-time runtime in microseconds' },
    { name: 'cpu-shares', short: 'c', kind: 'int', usage: 'CPU shares (relative weight)' },
    { name: 'cpus', kind: 'string', typeName: 'decimal', usage: 'Number of CPUs' },
    { name: 'cpuset-cpus', kind: 'string', usage: 'CPUs in which to allow execution (0-3, 0,1)' },
    { name: 'cpuset-mems', kind: 'string', usage: 'MEMs in which to allow execution (0-3, 0,1)' },
    { name: 'kernel-memory', kind: 'bytes', usage: 'Kernel memory limit (deprecated)' },
    { name: 'memory', short: 'm', kind: 'bytes', usage: 'Memory limit' },
    { name: 'memory-reservation', kind: 'bytes', usage: 'Memory soft limit' },
    { name: 'memory-swap', kind: 'string', typeName: 'bytes', usage: "Swap limit equal to memory plus swap: -1 to enable unlimited swap" },
    { name: 'pids-limit', kind: 'int', usage: 'Tune container pids limit (set -1 for unlimited)' },
    { name: 'restart', kind: 'string', usage: 'Restart policy to apply when a container exits' },
  ],
  run: async (ctx) => {
    if (ctx.changed.size === 0) throw new StatusError('You must provide one or more flags when using this command.', 1);
    const f = ctx.flags;
    let swap = 0;
    const swapText = f['memory-swap'] as string;
    if (swapText) {
      if (swapText === '-1') swap = -1;
      else {
        try { swap = ramInBytes(swapText); } catch (e) { throw new FlagError(`invalid argument ${goQuote(swapText)} for "--memory-swap" flag: ${(e as Error).message}`); }
      }
    }
    let nanoCpus = 0;
    const cpus = f.cpus as string;
    if (cpus) {
      const v = Number(cpus);
      if (!/^[+-]?(\d+\.?\d*|\.\d+)$/.test(cpus) || !Number.isFinite(v)) throw new FlagError(`invalid argument ${goQuote(cpus)} for "--cpus" flag: failed to parse ${cpus} as a rational number`);
      nanoCpus = Math.round(v * 1e9);
    }
    const body: Record<string, unknown> = {
      BlkioWeight: f['blkio-weight'], CpuShares: f['cpu-shares'], Memory: f.memory, NanoCpus: nanoCpus,
      CpuPeriod: f['cpu-period'], CpuQuota: f['cpu-quota'], CpuRealtimePeriod: f['cpu-rt-period'], CpuRealtimeRuntime: f['cpu-rt-runtime'],
      CpusetCpus: f['cpuset-cpus'], CpusetMems: f['cpuset-mems'], KernelMemory: f['kernel-memory'],
      MemoryReservation: f['memory-reservation'], MemorySwap: swap,
    };
    if (ctx.changed.has('pids-limit')) body.PidsLimit = f['pids-limit'];
    if (ctx.changed.has('restart')) {
      const [name, count = '0'] = (f.restart as string).split(':') as [string, string?];
      body.RestartPolicy = { Name: name, MaximumRetryCount: Number(count) || 0 };
    }
    const api = await ctx.api();
    const warnings: string[] = [];
    const errors = await forEachContainer(ctx, ctx.args, async (name) => {
      const r = await api.json<{ Warnings?: string[] | null }>('POST', `/containers/${encodeURIComponent(name)}/update`, { json: body });
      warnings.push(...(r?.Warnings ?? []));
    }, { print: false });
    for (const w of warnings) await ctx.err(`${w}\n`);
    if (errors.length) failWith(errors);
    for (const name of ctx.args) await ctx.out(`${name}\n`);
  },
});
