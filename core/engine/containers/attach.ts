// POST /containers/{id}/attach: validated and registered before the API answers (101), so a
// client that starts the container right after the answer cannot miss output.
import { BerthError, errorMessage } from '../../errors.ts';
import type { ContainerService } from './service.ts';
import type { StreamPair } from './runtime.ts';
import { pump } from './pump.ts';
import { writeLogs } from './logs.ts';

export interface AttachOptions {
  stream: boolean;
  logs: boolean;
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  detachKeys?: string;
}

export function attachContainer(svc: ContainerService, ref: string, opts: AttachOptions): { tty: boolean; run: (client: StreamPair) => Promise<void> } {
  const c = svc.get(ref);
  const st = c.rec.State;
  if (!opts.stream && !opts.logs) throw new BerthError('invalid_argument', 'Bad parameters: you must choose at least one stream');
  if (st.Paused) throw new BerthError('conflict', 'You cannot attach to a paused container, unpause it first');
  // dockerd lets a stream attach to a stopped container: it gets the output of the next start
  // (`docker start -a` attaches before it starts, also for an exited container).
  const tty = !!c.rec.Config.Tty;
  // A container not started yet: the connection to its supervisor is made at start, before exec.
  let proc: Promise<StreamPair> | undefined;
  if (opts.stream && !c.task) {
    proc = new Promise<StreamPair>((resolve, reject) => {
      c.pendingAttach.push({ connect: async (task) => { resolve(await task.attach()); }, fail: reject });
    });
    proc.catch(() => {});
  }
  svc.event(c, 'attach');
  const pumpOpts = { stdin: opts.stdin && !!c.rec.Config.OpenStdin, stdout: opts.stdout, stderr: opts.stderr, tty, ...(opts.detachKeys ? { detachKeys: opts.detachKeys } : {}) };
  return {
    tty,
    run: async (client) => {
      try {
        if (opts.logs) {
          const w = client.writable.getWriter();
          await writeLogs(svc, c, { stdout: opts.stdout, stderr: opts.stderr, follow: false, timestamps: false }, (b) => w.write(b), new AbortController().signal);
          w.releaseLock();
        }
        if (!opts.stream) { await client.writable.close().catch(() => {}); return; }
        let pair: StreamPair;
        if (proc) pair = await proc;
        else if (c.task) pair = await c.task.attach();
        else { await client.writable.close().catch(() => {}); return; }
        await pump(pair, client, pumpOpts);
      } catch (e) {
        svc.log('warn', `attach to ${c.id}: ${errorMessage(e)}`);
      } finally {
        await client.writable.close().catch(() => {});
      }
    },
  };
}
