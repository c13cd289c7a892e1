// The exec endpoints: POST /containers/{id}/exec, POST /exec/{id}/start (hijacked), resize, inspect.
import type { ContainerService } from '../engine/containers/service.ts';
import { createExec, inspectExec, resizeExec, startExec, type ExecCreateBody } from '../engine/containers/exec.ts';
import { intParam } from './query.ts';
import { jsonResponse } from './http-error.ts';
import { compareVersions } from './version.ts';
import { hijackResponse, MULTIPLEXED_STREAM, RAW_STREAM } from './hijack.ts';
import { readJson } from './containers.ts';
import type { Router } from './router.ts';

export function execRoutes(router: Router, svc: ContainerService): void {
  router.post('/containers/{id}/exec', async ({ params, req }) => {
    return jsonResponse(createExec(svc, params.id!, await readJson<ExecCreateBody>(req, {})), 201);
  });

  router.post('/exec/{id}/start', async ({ params, req, version }) => {
    const body = await readJson<{ Detach?: boolean; Tty?: boolean; ConsoleSize?: [number, number] | null }>(req, {});
    const size = body.ConsoleSize && body.ConsoleSize[0] && body.ConsoleSize[1] ? body.ConsoleSize : undefined;
    const started = await startExec(svc, params.id!, { detach: !!body.Detach, ...(size ? { consoleSize: size } : {}) });
    if (!started.run) return new Response(null, { status: 200 });
    const type = !started.tty && compareVersions(version, '1.42') >= 0 ? MULTIPLEXED_STREAM : RAW_STREAM;
    return hijackResponse(started.run, type);
  });

  router.post('/exec/{id}/resize', async ({ params, query }) => {
    await resizeExec(svc, params.id!, intParam(query, 'h', 0), intParam(query, 'w', 0));
    return new Response(null, { status: 200 });
  });

  router.get('/exec/{id}/json', ({ params }) => jsonResponse(inspectExec(svc, params.id!)));
}
