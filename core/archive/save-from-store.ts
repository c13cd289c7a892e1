// `docker save NAME...` over the image store: which images and tags go into the archive, chosen
// as moby's tarexporter does (a bare repository name takes all its tags; an ID or a digest
// reference takes the image without tags).
import type { Codecs, HashFactory } from '../host.ts';
import type { ImageStore } from '../metadata/image-store.ts';
import { LocalImage } from '../image/local-image.ts';
import { isNameOnly, parseAnyReference, parseReference, fullName } from '../reference/reference.ts';
import { writeImageArchive, type ArchiveImage } from './image-archive-write.ts';

export async function saveFromStore(store: ImageStore, names: string[], codecs: Codecs, hash: HashFactory): Promise<ReadableStream<Uint8Array>> {
  const chosen = new Map<string, string[]>();
  const add = (id: string, tag?: string) => {
    const tags = chosen.get(id) ?? [];
    if (tag !== undefined && !tags.includes(tag)) tags.push(tag);
    chosen.set(id, tags);
  };
  for (const name of names) {
    const any = parseAnyReference(name);
    if (any.kind === 'id') { add((await store.resolve(name)).id); continue; }
    if (isNameOnly(any.ref)) {
      const repo = fullName(any.ref);
      const all = (await store.list()).flatMap((r) => r.repoTags.filter((t) => fullName(parseReference(t)) === repo).map((t) => [r.id, t] as const));
      if (all.length === 0) add((await store.resolve(name)).id);
      for (const [id, t] of all) add(id, t);
      continue;
    }
    const rec = await store.resolve(name);
    if (any.ref.digest !== undefined) add(rec.id);
    else add(rec.id, `${fullName(any.ref)}:${any.ref.tag}`);
  }
  const images: ArchiveImage[] = [];
  for (const [id, repoTags] of chosen) {
    const rec = (await store.get(id))!;
    images.push({ image: await LocalImage.open(store.blobs, rec.manifest, { codecs, hash }), repoTags });
  }
  return writeImageArchive(images, { codecs, hash });
}
