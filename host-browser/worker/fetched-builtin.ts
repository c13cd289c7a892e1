// The built-in images (an OCI image layout: build/images) served as static files next to the
// worker and read over fetch, so a fresh browser has busybox, hello-world and hello-wasm offline.
import type { HashFactory, Fetch } from '../../core/host.ts';
import type { Index } from '../../core/image/types.ts';
import { digestBytes, parseDigest, verifyingStream } from '../../core/digest.ts';
import { BerthError } from '../../core/errors.ts';
import { builtinList, type BuiltinImages } from '../../core/engine/builtin-images.ts';

/** `base` is the layout's URL (ending in `/`): `index.json` and `blobs/<algorithm>/<hex>` under it. */
export function fetchedBuiltinImages(base: string, fetch: Fetch, hash: HashFactory): BuiltinImages {
  const blobUrl = (digest: string) => {
    const { algorithm, hex } = parseDigest(digest);
    return new URL(`blobs/${algorithm}/${hex}`, base).href;
  };
  const get = async (digest: string, method = 'GET') => {
    let res: Response;
    try {
      res = await fetch(blobUrl(digest), { method });
    } catch (e) {
      throw new BerthError('not_found', `built-in image blob ${digest} could not be fetched from ${base}: ${(e as Error).message}`, { cause: e });
    }
    if (!res.ok) throw new BerthError('not_found', `built-in image blob ${digest} is missing from ${base} (HTTP ${res.status}); rebuild the browser bundle`);
    return res;
  };
  return {
    list: builtinList(async () => {
      const r = await fetch(new URL('index.json', base).href);
      if (!r.ok) throw new Error(`HTTP ${r.status}`);
      return await r.json() as Index;
    }),
    blobs: {
      async info(digest) {
        try {
          const res = await get(digest, 'HEAD');
          const length = res.headers.get('content-length');
          // a precompressed copy's length is not the blob's: count the bytes instead
          if (length !== null && !res.headers.get('content-encoding')) return { digest, size: Number(length) };
          return { digest, size: (await (await get(digest)).arrayBuffer()).byteLength };
        } catch {
          return undefined;
        }
      },
      async readBytes(digest) {
        const bytes = new Uint8Array(await (await get(digest)).arrayBuffer());
        const actual = digestBytes(hash, bytes, parseDigest(digest).algorithm);
        if (actual !== digest) throw new BerthError('digest_mismatch', `built-in image blob ${digest} at ${base} is corrupt (its digest is ${actual}); rebuild the browser bundle`);
        return bytes;
      },
      async read(digest) {
        const res = await get(digest);
        return res.body!.pipeThrough(verifyingStream(hash, digest));
      },
    },
  };
}
