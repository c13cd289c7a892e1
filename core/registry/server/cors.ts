// Cross-origin access to the registry for web pages (the browser host pulls with the page's fetch):
// off unless origins are listed, since an open registry would otherwise take pushes from any page
// the user visits. Preflights are answered here; other answers get the headers a client must read.
const METHODS = 'GET, HEAD, POST, PUT, PATCH, DELETE';
const EXPOSED = [
  'Docker-Content-Digest', 'Docker-Distribution-API-Version', 'Docker-Upload-UUID', 'Location', 'Range',
  'Content-Range', 'Content-Length', 'Content-Type', 'WWW-Authenticate', 'Link', 'OCI-Subject', 'OCI-Filters-Applied',
].join(', ');

/** `origins`: exact origins (`http://127.0.0.1:8080`) or `*` for any. */
export function withCors(handler: (req: Request) => Promise<Response>, origins: readonly string[]): (req: Request) => Promise<Response> {
  const any = origins.includes('*');
  return async (req) => {
    const origin = req.headers.get('origin');
    if (!origin || !(any || origins.includes(origin))) return handler(req);
    const allow = { 'Access-Control-Allow-Origin': any ? '*' : origin, Vary: 'Origin' };
    if (req.method === 'OPTIONS' && req.headers.has('access-control-request-method')) {
      return new Response(null, {
        status: 204,
        headers: {
          ...allow,
          'Access-Control-Allow-Methods': METHODS,
          'Access-Control-Allow-Headers': req.headers.get('access-control-request-headers') ?? '',
          'Access-Control-Max-Age': '600',
        },
      });
    }
    const res = await handler(req);
    const headers = new Headers(res.headers);
    for (const [k, v] of Object.entries(allow)) headers.set(k, v);
    headers.set('Access-Control-Expose-Headers', EXPOSED);
    return new Response(res.body, { status: res.status, statusText: res.statusText, headers });
  };
}
