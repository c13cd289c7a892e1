// The host's end of the agent protocol: requests with responses matched by id, container stdio
// and exits routed by container id. Bytes in from the guest's serial port, bytes out through `send`.
import { encodeFrame, FrameDecoder, FrameType, MAX_FRAME_PAYLOAD, type Frame } from './frames.ts';

export interface AgentHello { agent: string; protocol: number; kernel: string }
export interface AgentExit {
  exitCode: number;
  signal: number;
  oomKilled?: boolean;
  /** Set by the host when the guest is gone and the process with it. */
  error?: string;
}

/** Where one container's output and exit go. */
export interface ContainerSink {
  stdout(data: Uint8Array): void;
  stderr(data: Uint8Array): void;
  exit(status: AgentExit): void;
}

export class AgentError extends Error {}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export class AgentChannel {
  private readonly decoder = new FrameDecoder();
  private readonly pending = new Map<number, { resolve: (v: Record<string, unknown>) => void; reject: (e: Error) => void }>();
  private readonly sinks = new Map<number, ContainerSink>();
  /** Exits that arrived before anyone listened (a container that ends at once). */
  private readonly early = new Map<number, { out: Frame[]; exit?: AgentExit }>();
  private nextId = 1;
  private helloWaiters: { resolve: (h: AgentHello) => void; reject: (e: Error) => void }[] = [];
  private failure: Error | undefined;

  /** Why the guest is gone (crashed, shut down), or undefined while it runs. */
  get failed(): Error | undefined { return this.failure; }
  hello: AgentHello | undefined;

  constructor(private readonly send: (bytes: Uint8Array) => void) {}

  /** Bytes the guest wrote to its agent port. */
  receive(bytes: Uint8Array | number): void {
    let frames: Frame[];
    try { frames = this.decoder.push(bytes); } catch (e) { this.fail(e as Error); return; }
    for (const f of frames) this.dispatch(f);
  }

  private dispatch(f: Frame): void {
    switch (f.type) {
      case FrameType.hello: {
        this.hello = JSON.parse(decoder.decode(f.payload)) as AgentHello;
        for (const w of this.helloWaiters.splice(0)) w.resolve(this.hello);
        break;
      }
      case FrameType.response: {
        const p = this.pending.get(f.id);
        if (!p) break;
        this.pending.delete(f.id);
        const body = JSON.parse(decoder.decode(f.payload)) as Record<string, unknown>;
        if (body.ok === true) p.resolve(body);
        else p.reject(new AgentError(String(body.error ?? 'the guest agent failed the request')));
        break;
      }
      case FrameType.stdout:
      case FrameType.stderr:
      case FrameType.exit: {
        const sink = this.sinks.get(f.id);
        if (!sink) {
          const e = this.early.get(f.id) ?? { out: [] };
          if (f.type === FrameType.exit) e.exit = JSON.parse(decoder.decode(f.payload)) as AgentExit;
          else e.out.push(f);
          this.early.set(f.id, e);
          break;
        }
        if (f.type === FrameType.stdout) sink.stdout(f.payload);
        else if (f.type === FrameType.stderr) sink.stderr(f.payload);
        else sink.exit(JSON.parse(decoder.decode(f.payload)) as AgentExit);
        break;
      }
      default:
        break;
    }
  }

  /** Resolves with the agent's hello (at boot), at once if it came already. */
  waitHello(): Promise<AgentHello> {
    if (this.hello) return Promise.resolve(this.hello);
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => this.helloWaiters.push({ resolve, reject }));
  }

  request(op: string, body: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.send(encodeFrame(FrameType.request, id, encoder.encode(JSON.stringify({ op, ...body }))));
    });
  }

  /** Routes a container's output and exit to `sink`, first replaying what came before. */
  attach(cid: number, sink: ContainerSink): void {
    this.sinks.set(cid, sink);
    const e = this.early.get(cid);
    if (!e) return;
    this.early.delete(cid);
    for (const f of e.out) (f.type === FrameType.stdout ? sink.stdout : sink.stderr).call(sink, f.payload);
    if (e.exit) sink.exit(e.exit);
  }

  detach(cid: number): void {
    this.sinks.delete(cid);
    this.early.delete(cid);
  }

  stdin(cid: number, data: Uint8Array): void {
    // Small frames keep one container's paste from holding the serial line for long.
    for (let off = 0; off < data.byteLength; off += 4096) {
      this.send(encodeFrame(FrameType.stdin, cid, data.subarray(off, Math.min(off + 4096, data.byteLength, off + MAX_FRAME_PAYLOAD))));
    }
  }

  closeStdin(cid: number): void {
    this.send(encodeFrame(FrameType.stdin, cid));
  }

  /** The guest is gone (crashed, destroyed): every pending request fails with `e`. */
  fail(e: Error): void {
    this.failure ??= e;
    for (const w of this.helloWaiters.splice(0)) w.reject(e);
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
    for (const [cid, sink] of this.sinks) { sink.exit({ exitCode: 255, signal: 0, error: e.message }); this.sinks.delete(cid); }
  }
}
