// The built-in images as an OCI image layout directory (build/images), read-only: index.json
// names them, blobs are verified as they are read.
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { HashFactory } from '../../core/host.ts';
import type { Index } from '../../core/image/types.ts';
import { digestBytes, parseDigest, verifyingStream } from '../../core/digest.ts';
import { BerthError } from '../../core/errors.ts';
import { builtinList, type BuiltinImages } from '../../core/engine/builtin-images.ts';

export function builtinLayout(dir: string, hash: HashFactory): BuiltinImages {
  const blobPath = (digest: string) => {
    const { algorithm, hex } = parseDigest(digest);
    return join(dir, 'blobs', algorithm, hex);
  };
  const missing = (digest: string, cause: unknown) =>
    new BerthError('not_found', `built-in image blob ${digest} is missing from ${dir}; run scripts/setup.sh again`, { cause });
  const corrupt = (digest: string, actual: string) =>
    new BerthError('digest_mismatch', `built-in image blob ${digest} in ${dir} is corrupt (its digest is ${actual}); run scripts/setup.sh again`);
  return {
    list: builtinList(() => readFile(join(dir, 'index.json'), 'utf8').then((t) => JSON.parse(t) as Index)),
    blobs: {
      async info(digest: string) {
        try {
          return { digest, size: (await stat(blobPath(digest))).size };
        } catch {
          return undefined;
        }
      },
      async readBytes(digest: string) {
        let bytes: Uint8Array;
        try {
          bytes = new Uint8Array(await readFile(blobPath(digest)));
        } catch (e) {
          throw missing(digest, e);
        }
        const actual = digestBytes(hash, bytes, parseDigest(digest).algorithm);
        if (actual !== digest) throw corrupt(digest, actual);
        return bytes;
      },
      async read(digest: string) {
        const stream = Readable.toWeb(createReadStream(blobPath(digest))) as ReadableStream<Uint8Array>;
        return stream.pipeThrough(verifyingStream(hash, digest));
      },
    },
  };
}
