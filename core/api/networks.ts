// The /networks endpoints over the network service, and connect/disconnect through the containers'
// networks, with dockerd's answers.
import { BerthError } from '../errors.ts';
import type { NetworkService } from '../engine/networks/service.ts';
import type { NetworkCreateBody } from '../engine/networks/network.ts';
import type { ContainerService } from '../engine/containers/service.ts';
import type { EndpointSettings } from '../engine/containers/types.ts';
import { parseFilters } from './query.ts';
import { jsonResponse, noContent } from './http-error.ts';
import { readJson } from './containers.ts';
import type { Router } from './router.ts';

interface ConnectBody { Container?: string; EndpointConfig?: EndpointSettings | null; Force?: boolean }

async function connectBody(req: Request): Promise<ConnectBody & { Container: string }> {
  const body = await readJson<ConnectBody | null>(req, null);
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw new BerthError('invalid_argument', 'invalid JSON: the body must be a JSON object with "Container"');
  if (typeof body.Container !== 'string' || !body.Container) throw new BerthError('invalid_argument', 'no container specified: the body needs "Container"');
  return body as ConnectBody & { Container: string };
}

export function networkRoutes(router: Router, nets: NetworkService, containers?: ContainerService): void {
  router.get('/networks', ({ query }) => jsonResponse(nets.list(parseFilters(query.get('filters')))));
  router.post('/networks/create', async ({ req }) => {
    const body = await readJson<NetworkCreateBody | null>(req, null);
    if (!body || typeof body !== 'object' || Array.isArray(body)) throw new BerthError('invalid_argument', 'invalid JSON: the network create body must be a JSON object');
    return jsonResponse(await nets.create(body), 201);
  });
  router.post('/networks/prune', async ({ query }) => jsonResponse(await nets.prune(parseFilters(query.get('filters')))));
  router.get('/networks/{id}', ({ params }) => jsonResponse(nets.inspect(params.id!)));
  router.delete('/networks/{id}', async ({ params }) => {
    await nets.remove(params.id!);
    return noContent();
  });
  const endpoints = containers?.opts.networks;
  if (!containers || !endpoints) return;
  router.post('/networks/{id}/connect', async ({ params, req }) => {
    const body = await connectBody(req);
    const c = containers.get(body.Container);
    await c.lock.run(async () => {
      await endpoints.connect(c, params.id!, body.EndpointConfig);
      await containers.save(c);
    });
    return new Response(null, { status: 200 });
  });
  router.post('/networks/{id}/disconnect', async ({ params, req }) => {
    const body = await connectBody(req);
    const c = containers.get(body.Container);
    await c.lock.run(async () => {
      await endpoints.disconnect(c, params.id!);
      await containers.save(c);
    });
    return new Response(null, { status: 200 });
  });
}
