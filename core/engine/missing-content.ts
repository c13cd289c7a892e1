// An image whose record is listed but one of whose blobs is gone: the blob store removes a blob
// that fails verification, and files can be removed by hand. The store only knows the digest; the
// user needs the image's name and the way out.
import { BerthError, isNotFound } from '../errors.ts';

const MISSING = / not found in the content store$/;

/** `e` named after the image(s) when it is a missing blob; otherwise `e` unchanged. */
export function missingContentError(e: unknown, images: string): unknown {
  if (!isNotFound(e) || !MISSING.test((e as Error).message)) return e;
  return new BerthError('not_found',
    `image ${images} is incomplete: ${(e as Error).message} (removed as corrupt, or by hand): pull or load the image again`,
    { cause: e });
}
