// OCI whiteouts (image-spec layer.md): a layer deletes a path of the layers below it with an empty
// file named `.wh.<name>` beside it, and hides everything below a directory with `.wh..wh..opq`
// inside it. Names starting `.wh..wh.` are otherwise reserved (aufs kept its metadata there).
// Linux stores them differently once unpacked for overlayfs: a 0/0 character device for a deleted
// path, and the xattr trusted.overlay.opaque=y on an opaque directory.

export const WHITEOUT_PREFIX = '.wh.';
export const WHITEOUT_META_PREFIX = '.wh..wh.';
export const WHITEOUT_OPAQUE = '.wh..wh..opq';

/** overlayfs' form: what an unpacked layer holds in place of the OCI files. */
export const OVERLAY_OPAQUE_XATTR = 'trusted.overlay.opaque';
export const OVERLAY_WHITEOUT_DEVICE = { major: 0, minor: 0 } as const;

export type Whiteout =
  /** Not a whiteout: an ordinary entry. */
  | { kind: 'none' }
  /** Deletes `target` (file or whole directory tree) of the lower layers. */
  | { kind: 'whiteout'; dir: string; name: string; target: string }
  /** Hides all lower-layer content of `dir`; this layer's own entries in it stay. */
  | { kind: 'opaque'; dir: string }
  /** Reserved `.wh..wh.*` name with no meaning for OCI: skipped. */
  | { kind: 'meta'; dir: string; name: string };

/**
 * Classifies a layer entry by its (normalized, relative, '/'-separated) path. `dir` is '' for the
 * layer root.
 */
export function classifyWhiteout(path: string): Whiteout {
  const slash = path.lastIndexOf('/');
  const base = slash >= 0 ? path.slice(slash + 1) : path;
  if (!base.startsWith(WHITEOUT_PREFIX)) return { kind: 'none' };
  const dir = slash >= 0 ? path.slice(0, slash) : '';
  if (base === WHITEOUT_OPAQUE) return { kind: 'opaque', dir };
  if (base.startsWith(WHITEOUT_META_PREFIX)) return { kind: 'meta', dir, name: base };
  const name = base.slice(WHITEOUT_PREFIX.length);
  return { kind: 'whiteout', dir, name, target: dir ? `${dir}/${name}` : name };
}

/** The entry path that deletes `path` in a layer (for writing layers from a diff). */
export function whiteoutPath(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash >= 0 ? `${path.slice(0, slash)}/${WHITEOUT_PREFIX}${path.slice(slash + 1)}` : `${WHITEOUT_PREFIX}${path}`;
}

/** The entry path that makes `dir` opaque. */
export function opaquePath(dir: string): string {
  return dir ? `${dir}/${WHITEOUT_OPAQUE}` : WHITEOUT_OPAQUE;
}

function isWithin(path: string, dir: string): boolean {
  return dir === '' || path === dir || path.startsWith(`${dir}/`);
}

/**
 * The rules for applying a layer on top of lower ones, on a set of paths: the model that the
 * on-disk appliers follow and that tests check them against. Whiteouts act only on lower paths,
 * never on paths the same layer adds, whatever their order in the tar. A path whose parent is gone
 * is gone too.
 */
export function applyLayerToPaths(lower: Iterable<string>, layer: Iterable<string>): Set<string> {
  const result = new Set(lower);
  const added: string[] = [];
  const deleted: string[] = [];
  const opaque: string[] = [];
  for (const path of layer) {
    const w = classifyWhiteout(path);
    if (w.kind === 'whiteout') deleted.push(w.target);
    else if (w.kind === 'opaque') opaque.push(w.dir);
    else if (w.kind === 'none') added.push(path);
  }
  for (const p of [...result]) {
    if (deleted.some((d) => isWithin(p, d)) || opaque.some((d) => p !== d && isWithin(p, d))) result.delete(p);
  }
  for (const p of added) {
    result.add(p);
    // Implicit parents, as an extractor creates them.
    for (let i = p.indexOf('/'); i > 0; i = p.indexOf('/', i + 1)) result.add(p.slice(0, i));
  }
  return result;
}
