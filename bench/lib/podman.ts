// podman as the benchmarks run it: its own root, run root and tmp dir under the benchmark's work dir, runc, cgroupfs
// and file events (no systemd here), and explicit rlimits. Only ever with `--network none`: podman's own networks
// write host firewall rules.
import { join } from 'node:path';
import { unmountUnder } from './mounts.ts';
import { run } from './process.ts';

export interface Podman {
  /** Global flags that go before the subcommand. */
  global: string[];
  /** `run` flags: podman's default rlimits for root are above this machine's hard limits (no CAP_SYS_RESOURCE), and
   * even nproc at the hard limit fails in runc's init here: explicit, modest limits. */
  ulimits: string[];
  /** Removes its containers and storage, and the parent cgroup its cgroupfs manager leaves behind. */
  cleanUp(): Promise<void>;
}

/** A podman with its state under `dir`, the image archive `saved` (a `docker save` tar) loaded. */
export async function preparePodman(dir: string, saved: string): Promise<Podman> {
  const global = ['--root', join(dir, 'root'), '--runroot', join(dir, 'run'), '--tmpdir', join(dir, 'tmp'),
    '--runtime', 'runc', '--cgroup-manager', 'cgroupfs', '--events-backend', 'file'];
  const podman: Podman = {
    global,
    ulimits: ['--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=1024:1024'],
    cleanUp: async () => {
      await run('podman', [...global, 'rm', '-af']).catch(() => '');
      await run('podman', [...global, 'system', 'reset', '-f']).catch(() => '');
      await unmountUnder(dir);
      // rmdir only removes the cgroup when it is empty.
      await run('sh', ['-c', 'find /sys/fs/cgroup -depth -type d -path "*/libpod_parent*" -exec rmdir {} + 2>/dev/null; true']);
    },
  };
  await run('podman', [...global, 'load', '-q', '-i', saved]);
  return podman;
}
