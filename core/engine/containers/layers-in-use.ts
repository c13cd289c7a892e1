// Image garbage collection must not take layers from under containers: `rmi -f` of an image a
// stopped container was created from deletes the image (as dockerd does), but the container's
// rootfs is still mounted from those layers at its next start. The snapshotter the image service
// sweeps with is wrapped so that removing a layer any container (running or not) uses is skipped.
import type { Snapshotter } from '../../snapshot/snapshotter.ts';

/** `snapshotter` with a `remove` that leaves alone every diffID `inUse` claims. */
export function guardSnapshotter(snapshotter: Snapshotter, inUse: (diffID: string) => boolean): Snapshotter {
  const guarded = async (diffID: string): Promise<void> => {
    if (inUse(diffID)) return;
    await snapshotter.remove(diffID);
  };
  return new Proxy(snapshotter, {
    get(target, prop) {
      if (prop === 'remove') return guarded;
      const v = Reflect.get(target, prop, target) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}
