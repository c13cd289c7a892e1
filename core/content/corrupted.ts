// The error for a stored blob whose bytes no longer match its digest (disk corruption, a tampered
// file). Stores remove such a blob before reporting it, so pulling the image again fetches it
// afresh instead of finding the broken copy "already present".
import { BerthError } from '../errors.ts';

export function corruptedBlobError(digest: string, actual: string): BerthError {
  return new BerthError('digest_mismatch',
    `blob ${digest} is corrupted in the content store (its content now hashes to ${actual}); ` +
    'it has been removed: pull or load the image again');
}
