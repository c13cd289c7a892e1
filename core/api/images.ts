// The /images endpoints.
import type { Engine } from '../engine/engine.ts';
import { BerthError } from '../errors.ts';
import { compareVersions } from './version.ts';
import { boolParam, parseFilters } from './query.ts';
import { jsonResponse } from './http-error.ts';
import { streamOrError } from './json-stream.ts';
import { authCredentials, decodeRegistryAuth } from '../auth/registry-auth-header.ts';
import type { Router } from './router.ts';

export function imageRoutes(router: Router, engine: Engine): void {
  const images = engine.images;
  const legacy = (version: string) => compareVersions(version, '1.44') < 0;

  router.post('/images/create', ({ query, req }) => {
    if (query.get('fromSrc') !== null) {
      throw new BerthError('unsupported', 'importing a root filesystem tarball (docker import) is not supported by berth yet');
    }
    const fromImage = query.get('fromImage') ?? '';
    if (!fromImage) throw new BerthError('invalid_argument', 'fromImage or fromSrc is required');
    const credentials = authCredentials(decodeRegistryAuth(req.headers.get('x-registry-auth')));
    const platform = query.get('platform') ?? '';
    return streamOrError((emit) => images.pull({
      fromImage,
      tag: query.get('tag') ?? '',
      ...(platform ? { platform } : {}),
      ...(credentials ? { credentials } : {}),
    }, emit).then(() => {}));
  });

  router.get('/images/json', async ({ query, version }) => {
    const filters = parseFilters(query.get('filters'));
    // Old clients sent `filter=name` for a reference filter.
    const legacyFilter = query.get('filter');
    if (legacyFilter) filters.set('reference', [...(filters.get('reference') ?? []), legacyFilter]);
    const list = await images.list({ all: boolParam(query, 'all'), filters, virtualSize: legacy(version) });
    return jsonResponse(list);
  });

  const save = async (names: string[]) => new Response(await images.save(names), {
    status: 200, headers: { 'content-type': 'application/x-tar' },
  });
  router.get('/images/get', ({ query }) => {
    const names = query.getAll('names').flatMap((n) => n.split(',')).filter(Boolean);
    if (!names.length) throw new BerthError('invalid_argument', 'no image names given: use ?names=NAME (repeatable)');
    return save(names);
  });

  router.post('/images/load', ({ req, query }) => {
    if (!req.body) throw new BerthError('invalid_argument', 'the request has no body: send the image archive (a tar) as the body');
    const body = req.body;
    return streamOrError((emit) => images.load(body, { quiet: boolParam(query, 'quiet') }, emit));
  });

  router.get('/images/search', () => {
    throw new BerthError('unsupported', 'searching Docker Hub is not supported by berth');
  });

  router.post('/images/prune', async ({ query }) => {
    return jsonResponse(await images.prune(parseFilters(query.get('filters'))));
  });

  router.get('/images/{name:.*}/get', ({ params }) => save([params.name!]));

  router.post('/images/{name:.*}/push', ({ params, query, req }) => {
    const credentials = authCredentials(decodeRegistryAuth(req.headers.get('x-registry-auth')));
    return streamOrError((emit) => images.push({ name: params.name!, tag: query.get('tag') ?? '', ...(credentials ? { credentials } : {}) }, emit));
  });

  router.get('/images/{name:.*}/json', async ({ params, version }) => jsonResponse(await images.inspect(params.name!, legacy(version))));

  router.get('/images/{name:.*}/history', async ({ params }) => jsonResponse(await images.history(params.name!)));

  router.post('/images/{name:.*}/tag', async ({ params, query }) => {
    await images.tag(params.name!, query.get('repo') ?? '', query.get('tag') ?? '');
    return new Response(null, { status: 201 });
  });

  router.delete('/images/{name:.*}', async ({ params, query }) => jsonResponse(await images.remove(params.name!, {
    force: boolParam(query, 'force'), noprune: boolParam(query, 'noprune'),
  })));
}
