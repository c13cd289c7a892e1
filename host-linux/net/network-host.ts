// The Linux network host: core's NetworkHost over the native netlink calls (bridges, veths,
// policy-routing isolation), the in-process userland proxy and the embedded DNS servers.
import { open } from 'node:fs/promises';
import type { NetworkHost } from '../../core/engine/networks/host.ts';
import { createBridgeNetwork, removeBridgeNetwork } from './bridge.ts';
import { joinEndpoint, leaveEndpoint } from './endpoint.ts';
import { hostRoutes } from './host-routes.ts';
import { isolateNetworks } from './isolation.ts';
import { startNetworkDns } from './network-dns.ts';
import { publishPorts } from './port-proxy.ts';

/**
 * Rewrites a file bind-mounted into a container in place: a rename would leave the container
 * looking at the old inode.
 */
async function rewriteInPlace(path: string, text: string): Promise<void> {
  const f = await open(path, 'r+');
  try {
    const bytes = Buffer.from(text);
    await f.truncate(0);
    await f.write(bytes, 0, bytes.length, 0);
  } finally {
    await f.close();
  }
}

export function linuxNetworkHost(): NetworkHost {
  return {
    hostRoutes: () => hostRoutes(),
    createNetwork: (spec) => createBridgeNetwork(spec),
    removeNetwork: (spec) => removeBridgeNetwork(spec),
    isolate: (specs) => isolateNetworks(specs),
    join: (pid, endpoint) => joinEndpoint(pid, endpoint),
    leave: (pid, endpoint) => leaveEndpoint(pid, endpoint),
    publishPorts,
    startDns: (network, options) => startNetworkDns(network, options),
    rewriteFile: rewriteInPlace,
  };
}
