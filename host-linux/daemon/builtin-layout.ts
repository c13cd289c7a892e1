// The built-in images as an OCI image layout directory (build/images), read-only: index.json
// names them, blobs are verified as they are read.
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { HashFactory } from '../../core/host.ts';
import type { Descriptor, Index } from '../../core/image/types.ts';
import { digestBytes, parseDigest, verifyingStream } from '../../core/digest.ts';
import { BerthError } from '../../core/errors.ts';
import { REF_NAME_ANNOTATION, type BuiltinImages } from '../../core/engine/builtin-images.ts';

export function builtinLayout(dir: string, hash: HashFactory): BuiltinImages {
  const blobPath = (digest: string) => {
    const { algorithm, hex } = parseDigest(digest);
    return join(dir, 'blobs', algorithm, hex);
  };
  let index: Promise<Index> | undefined;
  return {
    async list() {
      index ??= readFile(join(dir, 'index.json'), 'utf8').then((t) => JSON.parse(t) as Index);
      let doc: Index;
      try { doc = await index; } catch { index = undefined; return []; }
      return (doc.manifests ?? [])
        .filter((d) => d.annotations?.[REF_NAME_ANNOTATION])
        .map((d) => ({ ref: d.annotations![REF_NAME_ANNOTATION]!, descriptor: d }));
    },
    source: {
      async manifest(desc: Descriptor) {
        const bytes = new Uint8Array(await readFile(blobPath(desc.digest)));
        const actual = digestBytes(hash, bytes, parseDigest(desc.digest).algorithm);
        if (actual !== desc.digest) throw new BerthError('digest_mismatch', `built-in image blob ${desc.digest} in ${dir} is corrupt (its digest is ${actual}); run scripts/setup.sh again`);
        return { bytes, mediaType: desc.mediaType };
      },
      async blob(desc: Descriptor) {
        const stream = Readable.toWeb(createReadStream(blobPath(desc.digest))) as ReadableStream<Uint8Array>;
        return stream.pipeThrough(verifyingStream(hash, desc.digest, desc.size));
      },
    },
  };
}
