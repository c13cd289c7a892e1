// `docker rmi` semantics (moby's daemon/images/image_delete.go): a reference given by name is
// untagged first and the image deleted only when its last reference goes; an ID deletes the image
// when it has at most one tag, or with force; conflicts use Docker's texts.
import { BerthError } from '../errors.ts';
import { shortId } from '../digest.ts';
import { familiarString, parseReference, type Reference } from '../reference/reference.ts';
import { normalizeReference, type ImageStore } from './image-store.ts';

export type ImageDeleteItem = { Untagged: string } | { Deleted: string };

export interface RemoveImageOptions {
  force?: boolean;
  noprune?: boolean;
  /** Whether a container uses the image; `running` decides whether force may override it. */
  inUse?: (id: string) => { running: boolean; containerId: string } | undefined;
  /** Told of each untag and delete, for the events stream. */
  onEvent?: (action: 'untag' | 'delete', id: string) => void;
}

function conflict(id: string, hard: boolean, message: string): BerthError {
  return new BerthError('conflict',
    `conflict: unable to delete ${shortId(id)} (${hard ? 'cannot be forced' : 'must be forced'}) - ${message}`);
}

function familiar(full: string): string {
  return familiarString(parseReference(full));
}

function isCanonical(full: string): boolean {
  return full.includes('@');
}

function repoName(full: string): string {
  const r: Reference = parseReference(full);
  return `${r.domain}/${r.path}`;
}

/** moby's isImageIDPrefix: the argument is (a prefix of) the ID, with or without `sha256:`. */
function isImageIdPrefix(id: string, s: string): boolean {
  if (id.startsWith(s)) return true;
  const i = id.indexOf(':');
  return i >= 0 && id.slice(i + 1).startsWith(s);
}

/** All references are in one repository and at most one of them is a tag. */
function isSingleReference(refs: string[]): boolean {
  if (refs.length <= 1) return refs.length === 1;
  let single: string | undefined;
  const names = new Set<string>();
  for (const r of refs) {
    if (isCanonical(r)) names.add(repoName(r));
    else if (single === undefined) { names.add(repoName(r)); single = r; } else return false;
  }
  single ??= refs[0]!;
  return names.size === 1 && names.has(repoName(single));
}

export async function removeImage(store: ImageStore, ref: string, opts: RemoveImageOptions = {}): Promise<ImageDeleteItem[]> {
  let force = opts.force ?? false;
  const prune = !(opts.noprune ?? false);
  const inUse = opts.inUse ?? (() => undefined);
  const emit = opts.onEvent ?? (() => {});
  const img = await store.resolve(ref);
  const id = img.id;
  const records: ImageDeleteItem[] = [];
  let repoRefs = await store.references(id);
  let removedRepositoryRef = false;

  if (!isImageIdPrefix(id, ref)) {
    const user = inUse(id);
    if (user && repoRefs.length === 1) {
      if (!force) {
        throw new BerthError('conflict',
          `conflict: unable to remove repository reference "${ref}" (must force) - container ${shortId(user.containerId)} is using its referenced image ${shortId(id)}`);
      }
      // Untag, but never delete an image a container uses.
      force = false;
    }
    const { key } = normalizeReference(ref);
    await store.untag(key);
    emit('untag', id);
    records.push({ Untagged: familiar(key) });
    repoRefs = await store.references(id);
    // Untagging the last tag of a repository also drops that repository's digest references.
    if (!isCanonical(key)) {
      const name = repoName(key);
      const tagLeft = repoRefs.some((r) => !isCanonical(r) && repoName(r) === name);
      if (!tagLeft) {
        const remaining: string[] = [];
        for (const r of repoRefs) {
          if (isCanonical(r) && repoName(r) === name) {
            await store.untag(r);
            records.push({ Untagged: familiar(r) });
          } else remaining.push(r);
        }
        repoRefs = remaining;
      }
    }
    if (repoRefs.length > 0) return records;
    removedRepositoryRef = true;
  } else if (isSingleReference(repoRefs)) {
    if ((await store.children(id)).length > 0) throw conflict(id, true, 'image has dependent child images');
    const user = inUse(id);
    if (user && (user.running || !force)) {
      throw conflict(id, user.running, `image is being used by ${user.running ? 'running' : 'stopped'} container ${shortId(user.containerId)}`);
    }
    for (const r of repoRefs) {
      await store.untag(r);
      emit('untag', id);
      records.push({ Untagged: familiar(r) });
    }
  }
  await deleteHelper(store, id, records, force, prune, removedRepositoryRef, inUse, emit);
  return records;
}

async function deleteHelper(
  store: ImageStore, id: string, records: ImageDeleteItem[], force: boolean, prune: boolean, quiet: boolean,
  inUse: NonNullable<RemoveImageOptions['inUse']>, emit: NonNullable<RemoveImageOptions['onEvent']>,
): Promise<void> {
  const found = await checkConflict(store, id, force, inUse);
  if (found) {
    const refs = await store.references(id);
    const dangling = refs.length === 0;
    // Quietly pruning a parent (or finishing an untag) stops at a conflict unless the user should know.
    if (quiet && (!dangling || found.used)) return;
    throw found.error;
  }
  const parent = (await store.get(id))?.parent;
  for (const r of await store.references(id)) {
    await store.untag(r);
    records.push({ Untagged: familiar(r) });
  }
  await store.remove(id);
  emit('delete', id);
  records.push({ Deleted: id });
  if (!prune || !parent || !(await store.get(parent))) return;
  await deleteHelper(store, parent, records, false, true, true, inUse, emit);
}

async function checkConflict(
  store: ImageStore, id: string, force: boolean, inUse: NonNullable<RemoveImageOptions['inUse']>,
): Promise<{ error: BerthError; used: boolean } | undefined> {
  if ((await store.children(id)).length > 0) return { error: conflict(id, true, 'image has dependent child images'), used: false };
  const user = inUse(id);
  if (user?.running) return { error: conflict(id, true, `image is being used by running container ${shortId(user.containerId)}`), used: true };
  if (force) return undefined;
  if ((await store.references(id)).length > 0) {
    return { error: conflict(id, false, 'image is referenced in multiple repositories'), used: false };
  }
  if (user) return { error: conflict(id, false, `image is being used by stopped container ${shortId(user.containerId)}`), used: true };
  return undefined;
}
