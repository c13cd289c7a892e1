// The /volumes endpoints over the volume service, with dockerd's answers.
import { BerthError } from '../errors.ts';
import type { VolumeService, VolumeCreateBody } from '../engine/volumes/service.ts';
import { boolParam, parseFilters } from './query.ts';
import { jsonResponse, noContent } from './http-error.ts';
import type { Router } from './router.ts';

export function volumeRoutes(router: Router, volumes: VolumeService): void {
  router.get('/volumes', ({ query }) => jsonResponse({ Volumes: volumes.list(parseFilters(query.get('filters'))), Warnings: null }));
  router.post('/volumes/create', async ({ req }) => {
    let body: VolumeCreateBody;
    try { body = (await req.json()) as VolumeCreateBody ?? {}; } catch {
      throw new BerthError('invalid_argument', 'invalid JSON: the volume create body must be a JSON object');
    }
    if (typeof body !== 'object' || Array.isArray(body)) throw new BerthError('invalid_argument', 'invalid JSON: the volume create body must be a JSON object');
    return jsonResponse(await volumes.create(body), 201);
  });
  router.post('/volumes/prune', async ({ query }) => jsonResponse(await volumes.prune(parseFilters(query.get('filters')))));
  router.get('/volumes/{name}', ({ params }) => jsonResponse(volumes.get(params.name!)));
  router.delete('/volumes/{name}', async ({ params, query }) => {
    await volumes.remove(params.name!, boolParam(query, 'force'));
    return noContent();
  });
}
