// A bridge network's Linux bridge in the daemon's namespace: made with its gateway address and a
// fixed MAC, or adopted when an earlier daemon left it (containers still running keep their links).
import { randomBytes } from 'node:crypto';
import type { BridgeNetworkSpec } from '../../core/engine/networks/host.ts';
import { BerthError } from '../../core/errors.ts';
import { native, type NetlinkLink } from '../native/index.ts';
import { gatewayCidr } from './subnet.ts';
import { removeNetworkIsolation } from './isolation.ts';

/** The link called `name` in `netns` (null: the daemon's namespace), or undefined. */
export function findLink(name: string, netns: number | null = null): NetlinkLink | undefined {
  try {
    return native().netlinkLink(netns, name);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENODEV') return undefined;
    throw e;
  }
}

/** A random locally administered unicast MAC. */
function randomMac(): string {
  const bytes = randomBytes(6);
  bytes[0] = (bytes[0]! & 0xfe) | 0x02;
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join(':');
}

/**
 * Makes the network's bridge, up, with the gateway address, or adopts the bridge of that name an
 * earlier daemon left. `netns` (tests): where, instead of the daemon's namespace.
 */
export async function createBridgeNetwork(spec: BridgeNetworkSpec, netns: number | null = null): Promise<void> {
  const nl = native();
  const address = gatewayCidr(spec);
  const bridge = findLink(spec.bridge, netns);
  if (bridge && bridge.kind !== 'bridge') {
    throw new BerthError('conflict', `cannot create network ${spec.name} (${spec.id.slice(0, 12)}): the host already has a ${bridge.kind || 'network'} device named ${spec.bridge}, which is not a bridge; remove it (ip link delete ${spec.bridge}) and try again`);
  }
  if (bridge && adoptBridge(spec, bridge, address, netns)) return;
  nl.netlinkCreateBridge(netns, spec.bridge, spec.mtu);
  try {
    // A bridge without a MAC of its own takes its lowest port's and changes it as containers come
    // and go, leaving stale ARP entries for the gateway in the containers (dockerd sets one too).
    nl.netlinkSetLinkAddress(netns, spec.bridge, randomMac());
    nl.netlinkAddAddress(netns, spec.bridge, address);
    nl.netlinkSetLinkUp(netns, spec.bridge, true);
  } catch (e) {
    // All or nothing: a half-made bridge would be adopted next time as if it were whole.
    try {
      nl.netlinkDeleteLink(netns, spec.bridge);
    } catch {
      // The first error says what went wrong.
    }
    throw e;
  }
}

/**
 * Brings a bridge an earlier daemon left back to the spec: its MTU, the gateway address, up. A
 * bridge without ports that carries another address (the default bridge's `--bip` changed) is
 * deleted instead, to be made anew: kept, the host would go on routing the old subnet. False then.
 */
function adoptBridge(spec: BridgeNetworkSpec, bridge: NetlinkLink, address: string, netns: number | null): boolean {
  const nl = native();
  const addresses = nl.netlinkListAddresses(netns).filter((a) => a.linkIndex === bridge.index).map((a) => a.address);
  if (addresses.some((a) => a !== address) && !nl.netlinkListLinks(netns).some((l) => l.master === bridge.index)) {
    nl.netlinkDeleteLink(netns, spec.bridge);
    return false;
  }
  if (spec.mtu && bridge.mtu !== spec.mtu) nl.netlinkSetLinkMtu(netns, spec.bridge, spec.mtu);
  if (!addresses.includes(address)) nl.netlinkAddAddress(netns, spec.bridge, address);
  if (!bridge.up) nl.netlinkSetLinkUp(netns, spec.bridge, true);
  return true;
}

/** Deletes the bridge (its veths' host ends fall off it) and its isolation rules and route; idempotent. */
export async function removeBridgeNetwork(spec: BridgeNetworkSpec, netns: number | null = null): Promise<void> {
  removeNetworkIsolation(spec, netns);
  const bridge = findLink(spec.bridge, netns);
  // Never another device that happens to bear the name.
  if (!bridge || bridge.kind !== 'bridge') return;
  try {
    native().netlinkDeleteLink(netns, spec.bridge);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENODEV') throw e;
  }
}
