// Exec instances: POST /containers/{id}/exec, POST /exec/{id}/start, /resize, GET /exec/{id}/json.
// Kept in memory only, as dockerd does.
import { BerthError, errorMessage } from '../../errors.ts';
import type { ContainerService } from './service.ts';
import type { Container, ExecInstance } from './container.ts';
import type { StreamPair } from './runtime.ts';
import { generateId } from './names.ts';
import { containerEnv, replaceOrAppendEnv } from '../../runtime-spec/process.ts';
import { pump } from './pump.ts';
import { frame } from './stdcopy.ts';
import { unsupported } from '../../wasi/task.ts';
import { isWasiPlatform } from '../../wasi/runtime.ts';

export interface ExecCreateBody {
  User?: string;
  Privileged?: boolean;
  Tty?: boolean;
  AttachStdin?: boolean;
  AttachStdout?: boolean;
  AttachStderr?: boolean;
  Detach?: boolean;
  DetachKeys?: string;
  Env?: string[] | null;
  WorkingDir?: string;
  Cmd?: string[] | null;
  ConsoleSize?: [number, number] | null;
}

function execs(svc: ContainerService): Map<string, { c: Container; e: ExecInstance }> {
  const all = new Map<string, { c: Container; e: ExecInstance }>();
  for (const c of svc.containers.values()) for (const [id, e] of c.execs) all.set(id, { c, e });
  return all;
}

export function findExec(svc: ContainerService, id: string): { c: Container; e: ExecInstance } {
  const found = execs(svc).get(id);
  if (!found) throw new BerthError('not_found', `No such exec instance: ${id}`);
  return found;
}

/** The action text of exec events: dockerd's entrypoint, a space, then the arguments (so `true ` alone). */
function execCommandLine(cmd: string[]): string {
  return `${cmd[0] ?? ''} ${cmd.slice(1).join(' ')}`;
}

/** dockerd's getActiveContainer: a paused container is named as the client named it. */
function runningCheck(c: Container, ref: string = c.id): void {
  if (!c.task) throw new BerthError('conflict', `Container ${c.id} is not running`);
  if (c.rec.State.Paused) throw new BerthError('conflict', `Container ${ref} is paused, unpause the container before exec`);
  if (c.rec.State.Restarting) throw new BerthError('conflict', `Container ${c.id} is restarting, wait until the container is running`);
}

/** dockerd's text for an exec that could not start: its own checks (the user) bare, the runtime's wrapped. */
function execFailure(err: unknown): string {
  const message = errorMessage(err);
  return /^unable to find (user|group) |^uids and gids must be/.test(message) ? message
    : `OCI runtime exec failed: exec failed: unable to start container process: ${message}: unknown`;
}

/** An exec's failure as the client's output (a stdout frame, or raw bytes on a TTY). */
async function writeFailure(client: StreamPair, failure: string, tty: boolean): Promise<void> {
  const w = client.writable.getWriter();
  const text = new TextEncoder().encode(failure + '\r\n');
  await w.write(tty ? text : frame(1, text)).catch(() => {});
  w.releaseLock();
}

/** The streamed answer of an exec that failed before its process existed: the error as output, exit 126. */
function failedExec(svc: ContainerService, c: Container, e: ExecInstance, failure: string): (client: StreamPair) => Promise<void> {
  return async (client) => {
    svc.event(c, `exec_start: ${execCommandLine(e.cmd)}`, { execID: e.rec.ID });
    await writeFailure(client, failure, e.rec.ProcessConfig.tty);
    Object.assign(e.rec, { Running: false, ExitCode: 126, Pid: 0 });
    await client.writable.close().catch(() => {});
  };
}

export function createExec(svc: ContainerService, ref: string, body: ExecCreateBody): { Id: string } {
  const c = svc.get(ref);
  runningCheck(c, ref);
  // Refused here rather than at start: docker's CLI shows a create error, but not a failed upgrade's.
  if (isWasiPlatform(c.rec.Platform)) throw unsupported('exec');
  const cmd = body.Cmd ?? [];
  if (!cmd.length) throw new BerthError('invalid_argument', 'No exec command specified');
  const id = generateId();
  const e: ExecInstance = {
    cmd,
    rec: {
      ID: id, ContainerID: c.id, Running: false, ExitCode: null, Pid: 0,
      OpenStdin: !!body.AttachStdin, OpenStdout: !!body.AttachStdout, OpenStderr: !!body.AttachStderr,
      CanRemove: false, DetachKeys: body.DetachKeys ?? '',
      ProcessConfig: { tty: !!body.Tty, entrypoint: cmd[0]!, arguments: cmd.slice(1), privileged: !!body.Privileged, user: body.User ?? '' },
      Env: body.Env ?? [], WorkingDir: body.WorkingDir ?? '', User: body.User ?? '', Privileged: !!body.Privileged,
    },
    ...(body.ConsoleSize && body.ConsoleSize[0] && body.ConsoleSize[1] ? { consoleSize: body.ConsoleSize } : {}),
  };
  c.execs.set(id, e);
  svc.event(c, `exec_create: ${execCommandLine(cmd)}`, { execID: id });
  return { Id: id };
}

/** dockerd's exec environment: the container's (PATH, HOSTNAME, TERM with the exec's TTY, Config.Env), then the exec's own. */
function execEnv(config: { Env?: string[] | null; Hostname?: string }, tty: boolean, env: readonly string[]): string[] {
  return replaceOrAppendEnv(containerEnv({ Env: config.Env ?? [], Tty: tty }, config.Hostname ?? ''), env);
}

/**
 * Starts an exec. The process is created (and its output connected) before this returns, so the
 * API can still answer an error; `run` then lets it exec and pumps until it ends.
 */
export async function startExec(svc: ContainerService, id: string, opts: { detach: boolean; tty?: boolean; consoleSize?: [number, number] }): Promise<{ tty: boolean; run?: (client: StreamPair) => Promise<void> }> {
  const { c, e } = findExec(svc, id);
  if (e.rec.Running) throw new BerthError('conflict', `Error: Exec command ${id} is already running`);
  if (e.rec.ExitCode !== null) throw new BerthError('conflict', `Error: Exec command ${id} has already run`);
  runningCheck(c);
  const r = e.rec;
  const tty = r.ProcessConfig.tty;
  e.rec.Running = true;
  let task;
  try {
    const cfg = c.rec.Config;
    task = await c.task!.exec(id, {
      args: e.cmd,
      env: execEnv(cfg, tty, r.Env),
      cwd: r.WorkingDir || cfg.WorkingDir || '/',
      user: r.User || cfg.User || '',
      privileged: r.Privileged,
      tty,
      stdin: r.OpenStdin,
      ...(opts.consoleSize ?? e.consoleSize ? { consoleSize: (opts.consoleSize ?? e.consoleSize)! } : {}),
    });
  } catch (err) {
    e.rec.Running = false;
    // dockerd has hijacked the connection before it runs the exec: the docker CLI shows the error and exits 126.
    if (!opts.detach) return { tty, run: failedExec(svc, c, e, execFailure(err)) };
    throw err;
  }
  e.task = task;
  r.Pid = task.pid;
  c.rec.ExecIDs = [...(c.rec.ExecIDs ?? []), id];
  const finish = async () => {
    const status = await task.wait().catch(() => ({ exitCode: 126 }));
    r.ExitCode = status.exitCode;
    r.Running = false;
    r.Pid = 0;
    c.rec.ExecIDs = (c.rec.ExecIDs ?? []).filter((x) => x !== id);
    if (!c.rec.ExecIDs.length) c.rec.ExecIDs = null;
    svc.event(c, 'exec_die', { execID: id, exitCode: String(status.exitCode) });
  };
  const startIt = async (): Promise<string | undefined> => {
    svc.event(c, `exec_start: ${execCommandLine(e.cmd)}`, { execID: id });
    try { await task.start(); return undefined; } catch (err) {
      return execFailure(err);
    }
  };
  if (opts.detach) {
    const failure = await startIt();
    const done = finish();
    if (failure) { await done; throw new BerthError('invalid_argument', failure); }
    return { tty };
  }
  const proc = await task.attach();
  return {
    tty,
    run: async (client) => {
      const failure = await startIt();
      if (failure) await writeFailure(client, failure, tty);
      try {
        await pump(proc, client, {
          stdin: r.OpenStdin, stdout: true, stderr: true, tty,
          ...(r.DetachKeys ? { detachKeys: r.DetachKeys } : {}),
          onStdinEnd: () => task.closeStdin(),
        });
      } finally {
        // The exit code must be known before the client, having seen the stream end, inspects the
        // exec: the docker CLI reads it from GET /exec/{id}/json, and a null there is exit 0.
        await finish();
        await client.writable.close().catch(() => {});
      }
    },
  };
}

export async function resizeExec(svc: ContainerService, id: string, h: number, w: number): Promise<void> {
  const { e } = findExec(svc, id);
  if (!e.task) {
    e.consoleSize = [h, w];
    return;
  }
  await e.task.resize(h, w);
}

export function inspectExec(svc: ContainerService, id: string): Record<string, unknown> {
  const { e } = findExec(svc, id);
  const { Env: _e, WorkingDir: _w, User: _u, Privileged: _p, ...pub } = e.rec;
  return pub;
}
