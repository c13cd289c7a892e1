// Browsers send streamed request bodies only over HTTP/2 or QUIC (Chromium fails the fetch with
// ERR_H2_OR_QUIC_REQUIRED otherwise), and registries on loopback speak HTTP/1.1. The registry
// client streams blob uploads, so here a streamed body is read into a Blob first and sent whole.
import type { Fetch } from '../../core/host.ts';

export function bufferedUploadFetch(fetch: Fetch): Fetch {
  return async (input, init) => {
    if (!(init?.body instanceof ReadableStream)) return fetch(input, init);
    const body = await new Response(init.body).blob();
    const { duplex: _, ...rest } = init as RequestInit & { duplex?: string };
    return fetch(input, { ...rest, body });
  };
}
