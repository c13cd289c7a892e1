// Processes in the v86 guest, driven through the agent: a container's init and the processes exec'd
// into it. Output is fanned out to attached clients (Docker's stdcopy framing without a TTY) and,
// for a container, kept in its log.
import type { ContainerTask, ExecProcess, ExitStatus, ProcessTask, StdioOptions, StreamPair } from '../../core/engine/containers/runtime.ts';
import { frame, STDERR, STDOUT } from '../../core/engine/containers/stdcopy.ts';
import type { HostConfig } from '../../core/engine/containers/types.ts';
import type { AgentChannel, AgentExit } from '../vm/channel.ts';
import type { GuestLog } from './guest-log.ts';
import { dockerStats, psTable, type GuestInspect } from './guest-inspect.ts';

export class GuestProcess implements ProcessTask {
  private readonly clients = new Set<ReadableStreamDefaultController<Uint8Array>>();
  private readonly exited: Promise<ExitStatus>;
  protected exitStatus: ExitStatus | undefined;
  private startedAt: string | undefined;

  constructor(
    protected readonly channel: AgentChannel,
    readonly cid: number,
    readonly pid: number,
    private readonly stdio: StdioOptions,
    private readonly log?: GuestLog,
  ) {
    let resolveExit!: (s: ExitStatus) => void;
    this.exited = new Promise((r) => { resolveExit = r; });
    channel.attach(cid, {
      stdout: (d) => this.output(STDOUT, d),
      stderr: (d) => this.output(STDERR, d),
      exit: (e: AgentExit) => {
        this.log?.flush();
        this.exitStatus = {
          exitCode: e.exitCode, signal: e.signal || null, oomKilled: !!e.oomKilled,
          finishedAt: new Date().toISOString(), ...(this.startedAt ? { startedAt: this.startedAt } : {}), ...(e.error ? { error: e.error } : {}),
        };
        for (const c of this.clients) { try { c.close(); } catch { /* cancelled */ } }
        this.clients.clear();
        channel.detach(cid);
        resolveExit(this.exitStatus);
      },
    });
  }

  private output(stream: number, data: Uint8Array): void {
    this.log?.append(stream === STDOUT ? 'stdout' : 'stderr', data);
    const chunk = this.stdio.tty ? data : frame(stream, data);
    for (const c of this.clients) { try { c.enqueue(chunk); } catch { this.clients.delete(c); } }
  }

  async start(): Promise<void> {
    this.startedAt = new Date().toISOString();
    await this.channel.request('start', { cid: this.cid });
  }

  async attach(): Promise<StreamPair> {
    let ctl!: ReadableStreamDefaultController<Uint8Array>;
    const readable = new ReadableStream<Uint8Array>({
      start: (c) => { ctl = c; if (this.exitStatus) c.close(); else this.clients.add(c); },
      cancel: () => { this.clients.delete(ctl); },
    });
    const writable = new WritableStream<Uint8Array>({
      write: (chunk) => { if (this.stdio.stdin && !this.exitStatus) this.channel.stdin(this.cid, chunk); },
      // As berth-shim: a client's half-close ends the container's stdin only with --stdin-once (docker run -i).
      close: () => { if (this.stdio.stdin && this.stdio.stdinOnce && !this.exitStatus) this.channel.closeStdin(this.cid); },
    });
    return { readable, writable };
  }

  async resize(height: number, width: number): Promise<void> {
    if (this.exitStatus) return;
    await this.channel.request('resize', { cid: this.cid, rows: height, cols: width });
  }

  async closeStdin(): Promise<void> {
    if (!this.exitStatus) this.channel.closeStdin(this.cid);
  }

  async kill(signal: number, all = false): Promise<void> {
    if (this.exitStatus) return;
    await this.channel.request('signal', { cid: this.cid, signal, all });
  }

  wait(): Promise<ExitStatus> { return this.exited; }
}

export class GuestContainer extends GuestProcess implements ContainerTask {
  constructor(channel: AgentChannel, cid: number, pid: number, stdio: StdioOptions, log: GuestLog,
    private readonly execFn: (execId: string, p: ExecProcess) => Promise<ProcessTask>) {
    super(channel, cid, pid, stdio, log);
  }

  exec(execId: string, process: ExecProcess): Promise<ProcessTask> { return this.execFn(execId, process); }
  async pause(): Promise<void> { await this.channel.request('freeze', { cid: this.cid, frozen: true }); }
  async resume(): Promise<void> { await this.channel.request('freeze', { cid: this.cid, frozen: false }); }

  async update(resources: HostConfig): Promise<void> {
    await this.channel.request('update', { cid: this.cid, memory: resources.Memory ?? 0, pidsLimit: resources.PidsLimit ?? 0 });
  }
  async stats(): Promise<Record<string, unknown>> {
    return dockerStats(await this.channel.request('stats', { cid: this.cid }) as unknown as GuestInspect);
  }

  /** ps -ef's columns whatever `psArgs` asks: the guest has no ps to pass them to. */
  async top(): Promise<{ Titles: string[]; Processes: string[][] }> {
    return psTable(await this.channel.request('top', { cid: this.cid }) as unknown as GuestInspect);
  }
  close(): void { /* the channel stays with the runtime */ }
}
