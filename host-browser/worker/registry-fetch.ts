// The worker's fetch as the registry client needs it in a browser:
// - browsers send streamed request bodies only over HTTP/2 or QUIC (Chromium fails the fetch with
//   ERR_H2_OR_QUIC_REQUIRED otherwise) and registries on loopback speak HTTP/1.1, so a streamed
//   upload is read into a Blob first and sent whole;
// - a browser hides why a request failed ("Failed to fetch"); the usual reason for a registry that
//   is up is that it does not allow the page's origin (CORS), so the error says so.
import type { Fetch } from '../../core/host.ts';

function origin(): string {
  return (globalThis as { location?: { origin?: string } }).location?.origin ?? 'this page';
}

export function registryFetch(fetch: Fetch): Fetch {
  return async (input, init) => {
    let req = init;
    if (init?.body instanceof ReadableStream) {
      const body = await new Response(init.body).blob();
      const { duplex: _, ...rest } = init as RequestInit & { duplex?: string };
      req = { ...rest, body };
    }
    try {
      return await fetch(input, req);
    } catch (e) {
      if (e instanceof TypeError && !init?.signal?.aborted) {
        // no `cause`: error texts are built from the innermost cause, which would drop the hint
        throw new TypeError(`${e.message} (the registry is down, or it does not allow ${origin()} with CORS)`);
      }
      throw e;
    }
  };
}
