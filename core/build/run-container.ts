// A RUN step as dockerd's legacy builder runs it: a container from the stage's image with the step's
// command and environment (no entrypoint, no healthcheck), its output streamed into the build, its
// changes committed as a layer, and the container removed with its anonymous volumes whatever happens.
import { BerthError } from '../errors.ts';
import type { ContainerService } from '../engine/containers/service.ts';
import type { ContainerRecord, CreateBody, Mount } from '../engine/containers/types.ts';
import { createContainer } from '../engine/containers/create.ts';
import { startContainer } from '../engine/containers/start.ts';
import { waitContainer } from '../engine/containers/wait.ts';
import { removeContainer } from '../engine/containers/remove.ts';
import type { ContainerConfig, Descriptor } from '../image/types.ts';
import { storeStepLayer } from './image-writer.ts';
import { clampLayerTimes } from './layer-times.ts';
import { StepFailedError } from './step-error.ts';

export interface RunContainerSpec {
  imageId: string;
  /** The stage's config: WorkingDir, User, Volumes, Labels, ... */
  config: ContainerConfig;
  cmd: string[];
  env: string[];
  networkMode: string;
  mounts: Mount[];
  tmpfs: Record<string, string>;
  shmSize?: number;
  sourceDateEpoch?: number;
}

export interface RunOutput {
  /** A chunk of the step's output; stderr already marked as dockerd marks it. */
  write(text: string): void;
}

export interface RunResult {
  containerId: string;
  /** The step's layer; undefined when it changed no file (dockerd's empty_layer). */
  layer?: Descriptor;
}

const TAIL_LINES = 5;

export async function runInContainer(svc: ContainerService, spec: RunContainerSpec, out: RunOutput & { started(id: string): void }, signal?: AbortSignal): Promise<RunResult> {
  const body: CreateBody = {
    ...spec.config,
    Image: spec.imageId,
    Cmd: spec.cmd,
    Env: spec.env,
    // dockerd's withEntrypointOverride: `[""]` clears the image's entrypoint (null would keep it).
    Entrypoint: [''],
    Healthcheck: { Test: ['NONE'] },
    AttachStdout: true,
    AttachStderr: true,
    Tty: false,
    OpenStdin: false,
    HostConfig: {
      NetworkMode: spec.networkMode,
      Mounts: spec.mounts,
      ...(Object.keys(spec.tmpfs).length ? { Tmpfs: spec.tmpfs } : {}),
      ...(spec.shmSize ? { ShmSize: spec.shmSize } : {}),
    },
  };
  delete (body as Record<string, unknown>).OnBuild;
  const { Id: id } = await createContainer(svc, body);
  out.started(id);
  const tail: string[] = [];
  try {
    const c = svc.get(id);
    const wait = waitContainer(svc, id, 'next-exit');
    const onAbort = () => { void c.task?.kill(9, true).catch(() => {}); };
    signal?.addEventListener('abort', onAbort);
    try {
      await startContainer(svc, id);
      await pumpOutput(svc, id, out, tail);
      const { StatusCode } = await wait();
      if (signal?.aborted) throw new BerthError('invalid_argument', 'the build was cancelled');
      if (StatusCode !== 0) {
        const text = `The command '${spec.cmd.join(' ')}' returned a non-zero code: ${StatusCode}`;
        throw new StepFailedError(text, StatusCode, tail.slice(-TAIL_LINES));
      }
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
    const layer = await commitChanges(svc, c.rec, spec.sourceDateEpoch);
    return { containerId: id, ...(layer ? { layer } : {}) };
  } finally {
    await removeContainer(svc, id, { force: true, volumes: true }).catch(() => {});
  }
}

/** The container's stdout and stderr as they come, until it exits; stderr in dockerd's red. */
async function pumpOutput(svc: ContainerService, id: string, out: RunOutput, tail: string[]): Promise<void> {
  const c = svc.get(id);
  const dec = { stdout: new TextDecoder(), stderr: new TextDecoder() };
  const abort = new AbortController();
  const stopped = c.running ? c.nextExit() : Promise.resolve();
  for await (const entry of svc.runtime.readLogs(c.rec, { follow: c.running, signal: abort.signal, stopped })) {
    const text = dec[entry.stream].decode(entry.line, { stream: true });
    if (!text) continue;
    for (const line of text.split('\n')) if (line) tail.push(line);
    if (tail.length > TAIL_LINES * 4) tail.splice(0, tail.length - TAIL_LINES);
    out.write(entry.stream === 'stderr' ? `\u001b[91m${text}\u001b[0m` : text);
  }
}

async function commitChanges(svc: ContainerService, rec: ContainerRecord, epoch: number | undefined): Promise<Descriptor | undefined> {
  let tar = await svc.runtime.diffTar(rec);
  if (epoch !== undefined) tar = clampLayerTimes(tar, epoch);
  return storeStepLayer(svc.opts.images.opts, tar);
}
