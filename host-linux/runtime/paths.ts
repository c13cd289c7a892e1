// Where a container's files live (DESIGN.md): the daemon's under the data root, the shim's state
// under the exec root.
import { join } from 'node:path';

export interface RuntimePaths {
  dataRoot: string;
  execRoot: string;
}

export function containerPaths(p: RuntimePaths, id: string) {
  const dir = join(p.dataRoot, 'containers', id);
  const layer = join(p.dataRoot, 'overlay', id);
  return {
    dir,
    record: join(dir, 'config.v2.json'),
    hostConfig: join(dir, 'hostconfig.json'),
    log: join(dir, `${id}-json.log`),
    hostname: join(dir, 'hostname'),
    hosts: join(dir, 'hosts'),
    resolvConf: join(dir, 'resolv.conf'),
    bundle: join(dir, 'bundle'),
    spec: join(dir, 'bundle', 'config.json'),
    rootfs: join(dir, 'bundle', 'rootfs'),
    /** The writable layer and overlay's work dir: kept across restarts, for diff and commit. */
    upper: join(layer, 'diff'),
    work: join(layer, 'work'),
    layer,
    state: join(p.execRoot, 'containers', id),
    ctlSock: join(p.execRoot, 'containers', id, 'ctl.sock'),
    attachSock: join(p.execRoot, 'containers', id, 'attach.sock'),
    shimPid: join(p.execRoot, 'containers', id, 'shim.pid'),
    exitJson: join(p.execRoot, 'containers', id, 'exit.json'),
    /**
     * An exec's state dir. Not below the container's (as DESIGN.md first had it): socket paths are
     * limited to 107 bytes, and two 64-hex IDs under the exec root leave no room for `attach.sock`.
     */
    execState: (execId: string) => join(p.execRoot, 'exec', `${id.slice(0, 12)}-${execId.slice(0, 12)}`),
    execStates: join(p.execRoot, 'exec'),
  };
}

export type ContainerPaths = ReturnType<typeof containerPaths>;
