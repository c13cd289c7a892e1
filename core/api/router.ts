// A small router on web-standard Request/Response: method + path pattern, the `/v1.NN` prefix
// handled once, BerthError mapped to dockerd's error answers.
import { BerthError } from '../errors.ts';
import { checkVersion, splitVersion } from './version.ts';
import { errorResponse } from './http-error.ts';

export interface RouteContext {
  req: Request;
  url: URL;
  query: URLSearchParams;
  params: Record<string, string>;
  /** The API version of the request (`/v1.41/...`), or the current one when unversioned. */
  version: string;
}

export type RouteHandler = (ctx: RouteContext) => Response | Promise<Response>;

interface Route { method: string; re: RegExp; names: string[]; handler: RouteHandler }

/**
 * Patterns are paths with `{name}` (one segment) and `{name:.*}` (the rest, slashes included —
 * image names such as `127.0.0.1:5000/demo/busybox:latest` arrive unescaped).
 */
function compile(pattern: string): { re: RegExp; names: string[] } {
  const names: string[] = [];
  const parts = pattern.split(/(\{\w+(?::\.\*)?\})/);
  const src = parts.map((part) => {
    const m = /^\{(\w+)(:\.\*)?\}$/.exec(part);
    if (!m) return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    names.push(m[1]!);
    return m[2] ? '(.+)' : '([^/]+)';
  }).join('');
  return { re: new RegExp(`^${src}$`), names };
}

export class Router {
  private readonly routes: Route[] = [];

  add(method: string, pattern: string, handler: RouteHandler): this {
    const { re, names } = compile(pattern);
    this.routes.push({ method: method.toUpperCase(), re, names, handler });
    return this;
  }
  get(pattern: string, handler: RouteHandler): this { return this.add('GET', pattern, handler); }
  post(pattern: string, handler: RouteHandler): this { return this.add('POST', pattern, handler); }
  delete(pattern: string, handler: RouteHandler): this { return this.add('DELETE', pattern, handler); }
  head(pattern: string, handler: RouteHandler): this { return this.add('HEAD', pattern, handler); }

  /** The handler for any Request; never throws. */
  readonly handle = async (req: Request): Promise<Response> => {
    const url = new URL(req.url);
    const { version, path, explicit } = splitVersion(url.pathname);
    try {
      if (explicit) checkVersion(version);
      const method = req.method.toUpperCase();
      let methodMismatch = false;
      for (const route of this.routes) {
        const m = route.re.exec(path);
        if (!m) continue;
        if (route.method !== method) { methodMismatch = true; continue; }
        const params: Record<string, string> = {};
        route.names.forEach((name, i) => { params[name] = safeDecode(m[i + 1]!); });
        return await route.handler({ req, url, query: url.searchParams, params, version });
      }
      if (methodMismatch) return Response.json({ message: 'method not allowed' }, { status: 405 });
      throw new BerthError('not_found', 'page not found');
    } catch (e) {
      return errorResponse(e, explicit ? version : undefined);
    }
  };
}

function safeDecode(s: string): string {
  try { return decodeURIComponent(s); } catch { return s; }
}
