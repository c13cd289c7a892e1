// A container's interface on a bridge network: a veth pair from the bridge into the network
// namespace of the container's init (created, not yet started), made in one native call so that
// networking adds little to a container's start.
import { closeSync, fstatSync, openSync, statSync } from 'node:fs';
import type { EndpointSpec } from '../../core/engine/networks/host.ts';
import { BerthError } from '../../core/errors.ts';
import { native } from '../native/index.ts';
import { findLink } from './bridge.ts';

/** An fd of the network namespace of `pid`, or undefined when the process is gone. */
function openNetns(pid: number): number | undefined {
  try {
    return openSync(`/proc/${pid}/ns/net`, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ESRCH') return undefined;
    throw e;
  }
}

/**
 * Connects the network namespace of `pid` to the endpoint's bridge network (see
 * netlinkJoinEndpoint). `netns` (tests): where the bridge is, instead of the daemon's namespace.
 */
export async function joinEndpoint(pid: number, ep: EndpointSpec, netns: number | null = null): Promise<void> {
  const container = openNetns(pid);
  if (container === undefined) {
    throw new BerthError('conflict', `cannot connect to network ${ep.network.name}: the container's process ${pid} has exited`);
  }
  try {
    // A container's interface in the host's own namespace would be an eth0 on the host.
    const own = netns === null ? statSync('/proc/thread-self/ns/net') : fstatSync(netns);
    const theirs = fstatSync(container);
    if (theirs.ino === own.ino && theirs.dev === own.dev) {
      throw new BerthError('conflict', `cannot connect to network ${ep.network.name}: the process ${pid} is in the host's network namespace, not a container's`);
    }
    native().netlinkJoinEndpoint(netns, ep.network.bridge, ep.hostIfname, container, ep.ifname, ep.macAddress, ep.network.mtu,
      ep.address, ep.defaultRoute ? ep.network.gateway : null);
  } finally {
    closeSync(container);
  }
}

/**
 * Deletes the container's interface; idempotent, also once the process is gone. Through the host
 * end, named for the endpoint in the daemon's namespace (deleting either end deletes the pair): the
 * container's `ifname` may by now name another interface (the network connected again, or `pid`
 * reused by another process).
 */
export async function leaveEndpoint(pid: number, ep: EndpointSpec, netns: number | null = null): Promise<void> {
  const host = findLink(ep.hostIfname, netns);
  // Never another device that happens to bear the name.
  if (!host || host.kind !== 'veth') return;
  try {
    native().netlinkDeleteLink(netns, ep.hostIfname);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENODEV') throw e;
  }
}
