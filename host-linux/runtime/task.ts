// A container (or exec) process supervised by berth-shim: requests on its ctl.sock, stdio on its
// attach.sock, the cgroup for pause, stats, top and update.
import { readFile } from 'node:fs/promises';
import { execFile } from 'node:child_process';
import os from 'node:os';
import type { ContainerTask, ExecProcess, ExitStatus, ProcessTask, StreamPair } from '../../core/engine/containers/runtime.ts';
import type { HostConfig } from '../../core/engine/containers/types.ts';
import { connectAttach, ctl, ctlRequest, exitStatusOf, readExitJson, ShimError } from './shim-client.ts';
import type { CgroupHandle } from './cgroup-port.ts';
import { join } from 'node:path';

export class ShimProcess implements ProcessTask {
  private waiting: Promise<ExitStatus> | undefined;

  constructor(readonly pid: number, readonly stateDir: string) {}

  get ctlSock(): string { return join(this.stateDir, 'ctl.sock'); }

  async start(): Promise<void> { await ctl(this.ctlSock, { op: 'start' }); }
  attach(): Promise<StreamPair> { return connectAttach(join(this.stateDir, 'attach.sock')); }
  async resize(height: number, width: number): Promise<void> { await ctl(this.ctlSock, { op: 'resize', height, width }); }
  async closeStdin(): Promise<void> { await ctl(this.ctlSock, { op: 'close-stdin' }); }

  async kill(signal: number, all = false): Promise<void> {
    try {
      await ctl(this.ctlSock, { op: 'kill', signal, all });
    } catch (e) {
      // The process is already gone: the signal has nothing left to do.
      if (e instanceof ShimError && e.gone) return;
      throw e;
    }
  }

  /** The exit, once; if the shim vanishes its exit.json says how it ended, or nothing does (255). */
  wait(): Promise<ExitStatus> {
    this.waiting ??= (async () => {
      try {
        return exitStatusOf(await ctl(this.ctlSock, { op: 'wait' }, 0));
      } catch (e) {
        const fromFile = await readExitJson(join(this.stateDir, 'exit.json'));
        if (fromFile) return fromFile;
        return { exitCode: 255, oomKilled: false, finishedAt: new Date().toISOString(), error: `shim died: ${(e as Error).message}` };
      }
    })();
    return this.waiting;
  }

  async state(): Promise<Record<string, unknown>> { return ctlRequest(this.ctlSock, { op: 'state' }); }
}

/** Host CPU time in nanoseconds (/proc/stat's first line), what Docker reports as system_cpu_usage. */
async function systemCpuUsage(): Promise<number> {
  const line = (await readFile('/proc/stat', 'utf8')).split('\n')[0] ?? '';
  const ticks = line.split(/\s+/).slice(1, 8).reduce((n, v) => n + (Number(v) || 0), 0);
  return ticks * (1e9 / 100); // USER_HZ is 100 on Linux
}

export function runPs(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('ps', args, { maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      // dockerd: the first line of ps's stderr says why it failed.
      if (err) reject(new Error(`ps: ${stderr.split('\n')[0] || err.message}`));
      else resolve(stdout);
    });
  });
}

/** dockerd's parsePSOutput: keep the rows whose PID is the container's, merge overhanging fields. */
export function parsePs(output: string, pids: number[]): { Titles: string[]; Processes: string[][] } {
  const lines = output.split('\n');
  const titles = (lines[0] ?? '').trim().split(/\s+/);
  const pidIndex = titles.indexOf('PID');
  if (pidIndex < 0) throw new Error("Couldn't find PID field in ps output");
  const want = new Set(pids);
  const processes: string[][] = [];
  for (const line of lines.slice(1)) {
    if (!line.trim()) continue;
    const fields = line.trim().split(/\s+/);
    const pid = Number(fields[pidIndex]);
    if (!want.has(pid)) continue;
    processes.push([...fields.slice(0, titles.length - 1), fields.slice(titles.length - 1).join(' ')]);
  }
  return { Titles: titles, Processes: processes };
}

export class ShimContainer extends ShimProcess implements ContainerTask {
  constructor(pid: number, stateDir: string, private readonly cgroup: CgroupHandle | undefined, private readonly execFn: (execId: string, p: ExecProcess) => Promise<ProcessTask>) {
    super(pid, stateDir);
  }

  async pause(): Promise<void> {
    if (!this.cgroup) throw new Error('the container has no cgroup to freeze');
    await this.cgroup.freeze();
  }

  async resume(): Promise<void> {
    if (!this.cgroup) throw new Error('the container has no cgroup to thaw');
    await this.cgroup.thaw();
  }

  async update(resources: HostConfig): Promise<void> {
    await this.cgroup?.update(resources);
  }

  async stats(): Promise<Record<string, unknown>> {
    const parts = (await this.cgroup?.stats() ?? {}) as Record<string, unknown>;
    const cpu = { ...(parts.cpu_stats as Record<string, unknown> ?? {}) };
    cpu.system_cpu_usage = await systemCpuUsage();
    cpu.online_cpus ??= os.cpus().length;
    return { ...parts, cpu_stats: cpu };
  }

  async top(psArgs: string): Promise<{ Titles: string[]; Processes: string[][] }> {
    const pids = this.cgroup ? await this.cgroup.pids() : [this.pid];
    return parsePs(await runPs(psArgs.trim().split(/\s+/).filter(Boolean)), pids);
  }

  exec(execId: string, process: ExecProcess): Promise<ProcessTask> {
    return this.execFn(execId, process);
  }

  close(): void { /* connections are per request: nothing is held open */ }
}
