// The snapshotter as one pull or load sees it: it notes the layers that operation unpacked anew,
// so that when the operation fails those layers can go again (the image service removes them).
import type { SnapshotInfo, Snapshotter } from '../snapshot/snapshotter.ts';

export interface CreatedSnapshots {
  snapshotter: Snapshotter;
  /** diffIDs this operation unpacked that were not there before it asked. */
  created: Set<string>;
}

export function trackCreatedSnapshots(inner: Snapshotter): CreatedSnapshots {
  const created = new Set<string>();
  const prepare = async (diffID: string, open: () => Promise<ReadableStream<Uint8Array>>): Promise<SnapshotInfo> => {
    const had = await inner.has(diffID);
    const info = await inner.prepare(diffID, open);
    if (!had) created.add(diffID);
    return info;
  };
  const snapshotter = new Proxy(inner, {
    get(target, prop) {
      if (prop === 'prepare') return prepare;
      const v = Reflect.get(target, prop, target) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  return { snapshotter, created };
}
