// POST /build: the legacy builder's endpoint (what `DOCKER_BUILDKIT=0 docker build` and `berth build`
// call). The body is the context as a tar, which the host receives (on Linux into a directory, so it
// never has to fit in memory); the answer is the JSON message stream, a failed step's exit code in
// errorDetail.code as dockerd sends it.
import { BerthError } from '../errors.ts';
import type { Router } from './router.ts';
import { boolParam, parseFilters } from './query.ts';
import { jsonResponse } from './http-error.ts';
import type { BuildHost } from '../build/build-host.ts';
import { streamOrError } from './json-stream.ts';
import type { ProgressSink } from '../engine/json-message.ts';
import { errorText } from '../system-error.ts';
import { authCredentials, decodeRegistryConfig } from '../auth/registry-auth-header.ts';
import { credentialKey } from '../auth/docker-config.ts';
import { prepareBuild, type BuildServices } from '../build/builder.ts';
import type { BuildContext } from '../build/context/build-context.ts';
import { StepFailedError } from '../build/step-error.ts';

export interface BuildContextReceiver {
  /** The uploaded context; `close()` frees it. */
  receive(tar: ReadableStream<Uint8Array>): Promise<BuildContext & { close(): Promise<void> }>;
}

export function buildRoutes(router: Router, services: BuildServices, contexts: BuildContextReceiver): void {
  router.post('/build', async ({ req, query }) => {
    if (query.get('remote')) throw new BerthError('unsupported', 'building from a remote context (git or URL) is not supported: clone or download it and build the directory');
    if (query.get('version') === '2') throw new BerthError('unsupported', 'BuildKit (version=2) is not supported by berth: use the legacy builder (DOCKER_BUILDKIT=0) or `berth build`');
    if (!req.body) throw new BerthError('invalid_argument', 'the request has no body: send the build context (a tar) as the body');
    const options = {
      dockerfile: query.get('dockerfile') ?? 'Dockerfile',
      tags: query.getAll('t').filter((t) => t !== ''),
      buildArgs: jsonParam<Record<string, string | null>>(query, 'buildargs', {}),
      labels: jsonParam<Record<string, string>>(query, 'labels', {}),
      target: query.get('target') ?? '',
      noCache: boolParam(query, 'nocache'),
      pull: boolParam(query, 'pull'),
      quiet: boolParam(query, 'q'),
      networkMode: query.get('networkmode') ?? '',
      cacheFrom: jsonArrayParam(query, 'cachefrom'),
      ...(query.get('shmsize') && Number(query.get('shmsize')) > 0 ? { shmSize: Number(query.get('shmsize')) } : {}),
    };
    // The client's config keys (`https://index.docker.io/v1/`, `host:port`), as docker-config stores them.
    const auths = new Map(Object.entries(decodeRegistryConfig(req.headers.get('x-registry-config'))).map(([k, v]) => [credentialKey(k), v]));
    const credentials = (domain: string) => authCredentials(auths.get(credentialKey(domain)));
    const context = await contexts.receive(req.body);
    let build;
    try {
      // What dockerd refuses before the first step (the Dockerfile, tags, target) is an HTTP error.
      build = await prepareBuild(services, context, { ...options, credentials });
    } catch (e) {
      await context.close().catch(() => {});
      throw e;
    }
    return streamOrError(async (emit, signal) => {
      try {
        await build.run(emit, signal);
      } catch (e) {
        emitFailure(emit, e, options.quiet);
      } finally {
        await context.close().catch(() => {});
      }
    });
  });
}

/** `docker builder prune`: berth's build cache that is not images is RUN's cache mounts. */
export function buildPruneRoute(router: Router, host: BuildHost): void {
  router.post('/build/prune', async ({ query }) => {
    parseFilters(query.get('filters'), ['until', 'id', 'parent', 'type', 'description', 'inuse', 'shared', 'private', 'label', 'label!']);
    const { ids, reclaimed } = host.pruneCache ? await host.pruneCache() : { ids: [], reclaimed: 0 };
    return jsonResponse({ CachesDeleted: ids.length ? ids : null, SpaceReclaimed: reclaimed });
  });
}

/** dockerd answers a failed build with 200 and the error as the stream's last message. */
function emitFailure(emit: ProgressSink, e: unknown, quiet: boolean): void {
  let message = errorText(e);
  if (e instanceof StepFailedError) {
    // -q hid the step's output: its last lines go with the error.
    if (quiet && e.tail.length) message = `${e.tail.join('\n')}\n${message}`;
    emit({ error: message, errorDetail: { message, code: e.exitCode } });
    return;
  }
  emit({ error: message, errorDetail: { message } });
}

function jsonParam<T>(query: URLSearchParams, name: string, fallback: T): T {
  const raw = query.get(name);
  if (!raw) return fallback;
  try {
    const v = JSON.parse(raw) as unknown;
    if (v && typeof v === 'object' && !Array.isArray(v)) return v as T;
  } catch { /* below */ }
  throw new BerthError('invalid_argument', `invalid ${name} parameter: it must be a JSON object of strings, got ${raw}`);
}

function jsonArrayParam(query: URLSearchParams, name: string): string[] {
  const raw = query.get(name);
  if (!raw) return [];
  try {
    const v = JSON.parse(raw) as unknown;
    if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
  } catch { /* below */ }
  throw new BerthError('invalid_argument', `invalid ${name} parameter: it must be a JSON array of image names, got ${raw}`);
}
