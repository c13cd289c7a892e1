// System endpoints: /_ping, /version, /info, /system/df, /auth.
import type { Engine } from '../engine/engine.ts';
import { BerthError } from '../errors.ts';
import { API_VERSION } from './version.ts';
import { jsonResponse } from './http-error.ts';
import type { Router } from './router.ts';

/** The headers dockerd sends with /_ping; the CLI negotiates its API version from Api-Version. */
export function pingHeaders(): Record<string, string> {
  return {
    'api-version': API_VERSION,
    'ostype': 'linux',
    'docker-experimental': 'false',
    'swarm': 'inactive',
    'cache-control': 'no-cache, no-store, must-revalidate',
    'pragma': 'no-cache',
  };
}

export async function readJsonBody<T>(req: Request): Promise<T | undefined> {
  const text = await req.text();
  if (!text.trim()) return undefined;
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    throw new BerthError('invalid_argument', `invalid JSON in request body: ${(e as Error).message}`);
  }
}

export function systemRoutes(router: Router, engine: Engine): void {
  const ping = (method: string) => () => new Response(method === 'HEAD' ? null : 'OK', {
    status: 200,
    headers: { ...pingHeaders(), 'content-type': 'text/plain; charset=utf-8' },
  });
  router.get('/_ping', ping('GET'));
  router.head('/_ping', ping('HEAD'));
  router.get('/version', async () => jsonResponse(await engine.version()));
  router.get('/info', async () => jsonResponse(await engine.info()));
  router.get('/system/df', async ({ query }) => {
    const types = query.getAll('type');
    return jsonResponse(await engine.df(types.length ? types : undefined));
  });
  router.post('/auth', async ({ req }) => {
    const body = await readJsonBody<{ username?: string; password?: string; serveraddress?: string; identitytoken?: string }>(req);
    if (!body) throw new BerthError('invalid_argument', 'the login request has no credentials: send {"username", "password", "serveraddress"}');
    return jsonResponse(await engine.images.login(body));
  });
}
