// Tar entries for a root filesystem, built so that the same inputs always give the same bytes: owner 0:0,
// one fixed mtime, no user or group names, and a stable order in which every directory comes before what it
// holds and every hard link after the file it points to (extractors resolve links as they read).
import type { TarEntry } from 'modern-tar';

export interface RootfsEntries {
  /** Adds a directory (and any missing parents, 0755). */
  dir(path: string, mode?: number): void;
  /** Adds a regular file (and its missing parents). */
  file(path: string, data: Uint8Array | string, mode?: number): void;
  /** Adds a hard link `path` to the already added file `target`. */
  link(path: string, target: string): void;
  /** Adds a symbolic link. */
  symlink(path: string, target: string): void;
  /** The entries in their stable order. */
  entries(): TarEntry[];
}

type Node =
  | { kind: 'directory'; mode: number }
  | { kind: 'file'; mode: number; data: Uint8Array }
  | { kind: 'link'; target: string }
  | { kind: 'symlink'; target: string };

const KIND_ORDER = { directory: 0, file: 1, link: 2, symlink: 3 } as const;

function clean(path: string): string {
  const p = path.replace(/^\/+/, '').replace(/\/+$/, '');
  if (!p || p.split('/').some((s) => s === '' || s === '.' || s === '..')) {
    throw new Error(`rootfs entry path ${JSON.stringify(path)} is not a plain relative path`);
  }
  return p;
}

export function rootfsEntries(mtime: Date): RootfsEntries {
  const nodes = new Map<string, Node>();
  const encoder = new TextEncoder();

  function put(path: string, node: Node): void {
    const p = clean(path);
    const parts = p.split('/');
    for (let i = 1; i < parts.length; i++) {
      const parent = parts.slice(0, i).join('/');
      const existing = nodes.get(parent);
      if (!existing) nodes.set(parent, { kind: 'directory', mode: 0o755 });
      else if (existing.kind !== 'directory') throw new Error(`rootfs entry ${p}: parent ${parent} is not a directory`);
    }
    const existing = nodes.get(p);
    if (existing && !(existing.kind === 'directory' && node.kind === 'directory')) {
      throw new Error(`rootfs entry ${p} added twice`);
    }
    nodes.set(p, node);
  }

  return {
    dir(path, mode = 0o755) { put(path, { kind: 'directory', mode }); },
    file(path, data, mode = 0o644) {
      put(path, { kind: 'file', mode, data: typeof data === 'string' ? encoder.encode(data) : data });
    },
    link(path, target) {
      const t = clean(target);
      if (nodes.get(t)?.kind !== 'file') throw new Error(`hard link ${path} -> ${target}: target is not a file added before`);
      put(path, { kind: 'link', target: t });
    },
    symlink(path, target) { put(path, { kind: 'symlink', target }); },
    entries() {
      const sorted = [...nodes.entries()].sort(([pa, a], [pb, b]) =>
        KIND_ORDER[a.kind] - KIND_ORDER[b.kind] || (pa < pb ? -1 : pa > pb ? 1 : 0));
      return sorted.map(([path, node]): TarEntry => {
        const base = { uid: 0, gid: 0, uname: '', gname: '', mtime };
        switch (node.kind) {
          case 'directory':
            return { header: { ...base, name: `${path}/`, type: 'directory', mode: node.mode, size: 0 } };
          case 'file':
            return { header: { ...base, name: path, type: 'file', mode: node.mode, size: node.data.byteLength }, body: node.data };
          case 'link': {
            const mode = (nodes.get(node.target) as { mode: number }).mode;
            return { header: { ...base, name: path, type: 'link', linkname: node.target, mode, size: 0 } };
          }
          case 'symlink':
            return { header: { ...base, name: path, type: 'symlink', linkname: node.target, mode: 0o777, size: 0 } };
        }
      });
    },
  };
}
