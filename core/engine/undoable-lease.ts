// An image operation that writes blobs before any image reaches them (pull, load, commit, the
// built-in images): under an undoable lease, so gc keeps off those blobs meanwhile and a failure
// takes the ones it brought in back out, leaving the content store as it was.
import type { ImageStore } from '../metadata/image-store.ts';

export async function undoably<T>(store: ImageStore, write: () => Promise<T>): Promise<T> {
  const lease = await store.lease({ undoable: true });
  let out: T;
  try {
    out = await write();
  } catch (e) {
    await lease.abandon();
    throw e;
  }
  lease.release();
  return out;
}
