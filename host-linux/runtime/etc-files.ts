// The container's /etc/hosts and /etc/resolv.conf texts with the host's files read in: core
// (hosts-file.ts, container-resolv-conf.ts) builds them from the record and the network facts.
import { readFile } from 'node:fs/promises';
import type { ContainerRecord } from '../../core/engine/containers/types.ts';
import { containerHosts, type ContainerHostsFacts } from '../../core/container/hosts-file.ts';
import { containerResolvConf, type ContainerResolvConf } from '../../core/network/dns/container-resolv-conf.ts';
import { onlySystemdResolvedStub } from '../../core/container/resolv-conf.ts';

// Before a default bridge exists (its gateway unknown), `host-gateway` stays the host's loopback as it was.
const NO_BRIDGE_GATEWAY = '127.0.0.1';

export async function hostsFile(rec: ContainerRecord, facts: Omit<ContainerHostsFacts, 'hostHosts'> = {}): Promise<string> {
  const hostHosts = rec.HostConfig.NetworkMode === 'host' ? await readFile('/etc/hosts', 'utf8').catch(() => undefined) : undefined;
  return containerHosts(rec, { ...facts, hostGateway: facts.hostGateway ?? NO_BRIDGE_GATEWAY, hostHosts });
}

/** The host's resolv.conf as dockerd reads it: systemd-resolved's upstream file when /etc/resolv.conf names only its stub. */
export async function hostResolvConf(): Promise<string> {
  const text = await readFile('/etc/resolv.conf', 'utf8').catch(() => '');
  if (!onlySystemdResolvedStub(text)) return text;
  return readFile('/run/systemd/resolve/resolv.conf', 'utf8').catch(() => text);
}

/** `embeddedDns`: the gateway of the container's first user-defined network (its DNS server's address). */
export async function containerResolv(rec: ContainerRecord, embeddedDns?: string): Promise<ContainerResolvConf> {
  return containerResolvConf(rec, { hostResolvConf: await hostResolvConf(), embeddedDns });
}

export async function resolvConf(rec: ContainerRecord, embeddedDns?: string): Promise<string> {
  return (await containerResolv(rec, embeddedDns)).text;
}
