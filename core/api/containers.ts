// The /containers endpoints (and /commit) over the container service, with dockerd's status codes.
import { BerthError } from '../errors.ts';
import type { ContainerService } from '../engine/containers/service.ts';
import type { CreateBody, HostConfig } from '../engine/containers/types.ts';
import { createContainer } from '../engine/containers/create.ts';
import { startContainer } from '../engine/containers/start.ts';
import { stopContainer } from '../engine/containers/stop.ts';
import { killContainer } from '../engine/containers/kill.ts';
import { restartContainer } from '../engine/containers/restart.ts';
import { pauseContainer } from '../engine/containers/pause.ts';
import { unpauseContainer } from '../engine/containers/unpause.ts';
import { removeContainer } from '../engine/containers/remove.ts';
import { renameContainer } from '../engine/containers/rename.ts';
import { parseWaitCondition, waitContainer } from '../engine/containers/wait.ts';
import { attachContainer } from '../engine/containers/attach.ts';
import { containerLogs } from '../engine/containers/logs.ts';
import { resizeContainer } from '../engine/containers/resize.ts';
import { topContainer } from '../engine/containers/top.ts';
import { containerStats } from '../engine/containers/stats.ts';
import { updateContainer } from '../engine/containers/update.ts';
import { inspectContainer } from '../engine/containers/inspect.ts';
import { listContainers } from '../engine/containers/list.ts';
import { checkPath, containerChanges, exportContainer, getArchive, pathStatHeader, putArchive, statPath } from '../engine/containers/files.ts';
import { pruneContainers } from '../engine/containers/prune.ts';
import { commitContainer } from '../engine/containers/commit.ts';
import { boolParam, intParam, parseFilters, parseTimestampNanos } from './query.ts';
import { jsonResponse, noContent } from './http-error.ts';
import { compareVersions } from './version.ts';
import { hijackResponse, MULTIPLEXED_STREAM, RAW_STREAM } from './hijack.ts';
import type { Router } from './router.ts';

export async function readJson<T>(req: Request, empty: T): Promise<T> {
  const text = await req.text();
  if (!text.trim()) return empty;
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    throw new BerthError('invalid_argument', `invalid JSON in the request body: ${(e as Error).message}`);
  }
}

/** `t` in seconds; absent means the container's own timeout. */
function timeoutParam(q: URLSearchParams): number | undefined {
  const v = q.get('t') ?? q.get('timeout');
  if (v === null || v === '') return undefined;
  if (!/^-?\d+$/.test(v)) throw new BerthError('invalid_argument', `strconv.Atoi: parsing "${v}": invalid syntax`);
  return Number(v);
}

/** The stream kind a non-TTY stdio stream announces: multiplexed from API 1.42 on, as dockerd does. */
function stdioType(tty: boolean, version: string): string {
  return !tty && compareVersions(version, '1.42') >= 0 ? MULTIPLEXED_STREAM : RAW_STREAM;
}

export function containerRoutes(router: Router, svc: ContainerService): void {
  router.post('/containers/create', async ({ req, query }) => {
    const body = await readJson<CreateBody | null>(req, null);
    if (!body) throw new BerthError('invalid_argument', 'Config cannot be empty in order to create a container');
    return jsonResponse(await createContainer(svc, body, query.get('name') ?? undefined), 201);
  });

  router.get('/containers/json', async ({ query }) => jsonResponse(await listContainers(svc, {
    all: boolParam(query, 'all'),
    limit: intParam(query, 'limit', -1),
    size: boolParam(query, 'size'),
    filters: parseFilters(query.get('filters')),
  })));

  router.post('/containers/prune', async ({ query }) => jsonResponse(await pruneContainers(svc, parseFilters(query.get('filters')))));

  router.get('/containers/{id}/json', async ({ params, query }) => jsonResponse(await inspectContainer(svc, params.id!, boolParam(query, 'size'))));

  router.post('/containers/{id}/start', async ({ params, query }) => {
    if (query.get('checkpoint')) throw new BerthError('unsupported', 'checkpoints are not supported by berth');
    return noContent((await startContainer(svc, params.id!)) ? 204 : 304);
  });

  router.post('/containers/{id}/stop', async ({ params, query }) => {
    const stopped = await stopContainer(svc, params.id!, timeoutParam(query), query.get('signal') || undefined);
    return noContent(stopped ? 204 : 304);
  });

  router.post('/containers/{id}/restart', async ({ params, query }) => {
    await restartContainer(svc, params.id!, timeoutParam(query), query.get('signal') || undefined);
    return noContent();
  });

  router.post('/containers/{id}/kill', async ({ params, query }) => {
    await killContainer(svc, params.id!, query.get('signal') || undefined);
    return noContent();
  });

  router.post('/containers/{id}/pause', async ({ params }) => { await pauseContainer(svc, params.id!); return noContent(); });
  router.post('/containers/{id}/unpause', async ({ params }) => { await unpauseContainer(svc, params.id!); return noContent(); });

  router.delete('/containers/{id}', async ({ params, query }) => {
    if (boolParam(query, 'link')) throw new BerthError('unsupported', 'legacy links are not supported by berth');
    await removeContainer(svc, params.id!, { force: boolParam(query, 'force'), volumes: boolParam(query, 'v') });
    return noContent();
  });

  router.post('/containers/{id}/rename', async ({ params, query }) => {
    await renameContainer(svc, params.id!, query.get('name') ?? '');
    return noContent();
  });

  router.post('/containers/{id}/wait', ({ params, query, req }) => {
    const wait = waitContainer(svc, params.id!, parseWaitCondition(query.get('condition')));
    // The header goes out at once (the CLI waits for it before start); the body when the condition is met.
    const enc = new TextEncoder();
    let open = true;
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        req.signal.addEventListener('abort', () => { open = false; }, { once: true });
        wait().then((r) => {
          if (!open) return;
          controller.enqueue(enc.encode(JSON.stringify(r) + '\n'));
          controller.close();
        }, (e: unknown) => {
          if (!open) return;
          controller.enqueue(enc.encode(JSON.stringify({ StatusCode: -1, Error: { Message: (e as Error).message } }) + '\n'));
          controller.close();
        });
      },
      cancel() { open = false; },
    });
    return new Response(body, { status: 200, headers: { 'content-type': 'application/json' } });
  });

  router.post('/containers/{id}/attach', ({ params, query, version }) => {
    const a = attachContainer(svc, params.id!, {
      stream: boolParam(query, 'stream'),
      logs: boolParam(query, 'logs'),
      stdin: boolParam(query, 'stdin'),
      stdout: boolParam(query, 'stdout'),
      stderr: boolParam(query, 'stderr'),
      ...(query.get('detachKeys') ? { detachKeys: query.get('detachKeys')! } : {}),
    });
    return hijackResponse(a.run, stdioType(a.tty, version));
  });

  router.post('/containers/{id}/resize', async ({ params, query }) => {
    await resizeContainer(svc, params.id!, intParam(query, 'h', 0), intParam(query, 'w', 0));
    return new Response(null, { status: 200 });
  });

  router.get('/containers/{id}/logs', ({ params, query, version }) => {
    const tailRaw = query.get('tail') ?? 'all';
    const tail = tailRaw === 'all' || tailRaw === '' ? undefined : Number(tailRaw);
    const since = query.get('since');
    const until = query.get('until');
    const { tty, body } = containerLogs(svc, params.id!, {
      stdout: boolParam(query, 'stdout'),
      stderr: boolParam(query, 'stderr'),
      follow: boolParam(query, 'follow'),
      timestamps: boolParam(query, 'timestamps'),
      details: boolParam(query, 'details'),
      ...(tail !== undefined && Number.isInteger(tail) && tail >= 0 ? { tail } : {}),
      ...(since && since !== '0' ? { since: parseTimestampNanos(since) } : {}),
      ...(until && until !== '0' ? { until: parseTimestampNanos(until) } : {}),
    });
    const headers: Record<string, string> = {};
    if (compareVersions(version, '1.42') >= 0) headers['content-type'] = tty ? RAW_STREAM : MULTIPLEXED_STREAM;
    return new Response(body, { status: 200, headers });
  });

  router.get('/containers/{id}/top', async ({ params, query }) => jsonResponse(await topContainer(svc, params.id!, query.get('ps_args') ?? '')));

  router.get('/containers/{id}/stats', async ({ params, query }) => {
    const stream = query.get('stream') === null ? true : boolParam(query, 'stream');
    const body = await containerStats(svc, params.id!, { stream, oneShot: boolParam(query, 'one-shot') });
    return new Response(body, { status: 200, headers: { 'content-type': 'application/json' } });
  });

  router.post('/containers/{id}/update', async ({ params, req }) => jsonResponse(await updateContainer(svc, params.id!, await readJson<HostConfig>(req, {}))));

  router.get('/containers/{id}/changes', async ({ params }) => jsonResponse(await containerChanges(svc, params.id!)));

  router.get('/containers/{id}/export', async ({ params }) => new Response(await exportContainer(svc, params.id!), {
    status: 200, headers: { 'content-type': 'application/octet-stream' },
  }));

  router.head('/containers/{id}/archive', async ({ params, query }) => {
    const stat = await statPath(svc, params.id!, checkPath(query.get('path')));
    return new Response(null, { status: 200, headers: { 'x-docker-container-path-stat': pathStatHeader(stat), 'content-type': 'application/json' } });
  });

  router.get('/containers/{id}/archive', async ({ params, query }) => {
    const { stat, tar } = await getArchive(svc, params.id!, checkPath(query.get('path')));
    return new Response(tar, { status: 200, headers: { 'x-docker-container-path-stat': pathStatHeader(stat), 'content-type': 'application/x-tar' } });
  });

  router.add('PUT', '/containers/{id}/archive', async ({ params, query, req }) => {
    if (!req.body) throw new BerthError('invalid_argument', 'the request has no body: send a tar archive');
    await putArchive(svc, params.id!, checkPath(query.get('path')), req.body, {
      noOverwriteDirNonDir: boolParam(query, 'noOverwriteDirNonDir'),
      copyUIDGID: boolParam(query, 'copyUIDGID'),
    });
    return new Response(null, { status: 200 });
  });

  router.post('/commit', async ({ query, req }) => {
    const config = await readJson<Record<string, unknown> | null>(req, null);
    const container = query.get('container') ?? '';
    if (!container) throw new BerthError('invalid_argument', 'No container specified: ?container=ID');
    const id = await commitContainer(svc, container, {
      repo: query.get('repo') ?? '',
      tag: query.get('tag') ?? '',
      comment: query.get('comment') ?? '',
      author: query.get('author') ?? '',
      pause: query.get('pause') === null ? true : boolParam(query, 'pause'),
      changes: query.getAll('changes'),
      ...(config ? { config } : {}),
    });
    return jsonResponse({ Id: id }, 201);
  });
}
