// Bind mounts' host paths as dockerd treats them: `--mount type=bind` refuses a source that does not
// exist when the container is created; `-v /host:/ctr` makes a missing directory (and its parents,
// 0755) when the container starts.
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { BerthError } from '../../core/errors.ts';
import type { HostConfig } from '../../core/engine/containers/types.ts';
import { userMounts } from '../../core/runtime-spec/mounts.ts';

const binds = (hc: HostConfig) => userMounts(hc).filter((m) => m.Type === 'bind');

/** At create (after the specs parsed): dockerd's validateMountConfig's existence check. */
export function checkBindSources(hc: HostConfig): void {
  for (const m of binds(hc)) {
    if (!m.createHostPath && !existsSync(m.Source)) {
      throw new BerthError('invalid_argument', `invalid mount config for type "bind": bind source path does not exist: ${m.Source}`);
    }
  }
}

/** At start: the missing host directories of `-v` binds. */
export async function createBindSources(hc: HostConfig): Promise<void> {
  for (const m of binds(hc)) {
    if (m.createHostPath && !existsSync(m.Source)) await mkdir(m.Source, { recursive: true, mode: 0o755 });
  }
}
