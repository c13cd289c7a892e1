// The images berth carries with it (busybox, hello-world, hello-wasm), kept as an OCI image
// layout: imported into the store at start-up and used when Docker Hub cannot be reached.
import type { Descriptor } from '../image/types.ts';
import { parseReference, referenceString, withDefaultTag, type Reference } from '../reference/reference.ts';
import type { ManifestSource } from './resolve-image.ts';

export const REF_NAME_ANNOTATION = 'org.opencontainers.image.ref.name';

export interface BuiltinImages {
  /** Entries of the layout's index.json that name an image, by full reference (`docker.io/library/busybox:latest`). */
  list(): Promise<{ ref: string; descriptor: Descriptor }[]>;
  source: ManifestSource;
}

/** The built-in entry for `ref`, if berth carries it. */
export async function findBuiltin(builtin: BuiltinImages | undefined, ref: Reference): Promise<{ ref: string; descriptor: Descriptor } | undefined> {
  if (!builtin) return undefined;
  const want = referenceString(withDefaultTag(ref));
  for (const entry of await builtin.list()) {
    let full: string;
    try { full = referenceString(withDefaultTag(parseReference(entry.ref))); } catch { continue; }
    if (full === want || (ref.digest && entry.descriptor.digest === ref.digest && full.startsWith(`${ref.domain}/${ref.path}:`))) return entry;
  }
  return undefined;
}
