// What a host does for the local volume driver: a directory per volume (`<data-root>/volumes/<name>/_data`
// on Linux), and the mount dockerd's local driver makes at first use when the volume has options.

export interface VolumeHost {
  /** Where the volume's data is (the `Mountpoint` of its JSON). */
  mountpoint(name: string): string;
  /** Makes the volume's directory; idempotent. */
  createDir(name: string): Promise<void>;
  /** Removes the volume's directory and everything in it (unmounting it first). */
  removeDir(name: string): Promise<void>;
  /** Bytes under the volume's directory (`system df -v`). */
  diskUsage(name: string): Promise<number>;
  /** Mounts `type`/`device`/`o` on the volume's directory unless mounted; hosts without it refuse such volumes. */
  mount?(name: string, opts: Record<string, string>): Promise<void>;
  /** Unmounts what `mount` mounted; idempotent. */
  unmount?(name: string): Promise<void>;
}
