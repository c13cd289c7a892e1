// The container's /etc/hostname, /etc/hosts and /etc/resolv.conf as dockerd writes them for the
// networks berth has now (none, host, and the default without a bridge yet).
import { readFile } from 'node:fs/promises';
import type { ContainerRecord } from '../../core/engine/containers/types.ts';

const DEFAULT_HOSTS = [
  '127.0.0.1\tlocalhost',
  '::1\tlocalhost ip6-localhost ip6-loopback',
  'fe00::0\tip6-localnet',
  'ff00::0\tip6-mcastprefix',
  'ff02::1\tip6-allnodes',
  'ff02::2\tip6-allrouters',
];

export async function hostsFile(rec: ContainerRecord): Promise<string> {
  const extra = ((rec.HostConfig.ExtraHosts as string[] | null) ?? []).map((h) => {
    const i = h.lastIndexOf(':');
    const name = h.slice(0, h.indexOf(':') >= 0 ? h.indexOf(':') : h.length);
    const ip = h.slice(h.indexOf(':') + 1);
    return i < 0 ? '' : `${ip === 'host-gateway' ? '127.0.0.1' : ip}\t${name}`;
  }).filter(Boolean);
  if (rec.HostConfig.NetworkMode === 'host') {
    const host = await readFile('/etc/hosts', 'utf8').catch(() => DEFAULT_HOSTS.join('\n') + '\n');
    return host + (extra.length ? extra.join('\n') + '\n' : '');
  }
  return [...DEFAULT_HOSTS, ...extra].join('\n') + '\n';
}

/**
 * dockerd's resolv.conf: the host's, minus loopback name servers a container cannot reach (then
 * Google's public ones if none remain), or the --dns/--dns-search/--dns-option values.
 */
export async function resolvConf(rec: ContainerRecord): Promise<string> {
  const host = await readFile('/etc/resolv.conf', 'utf8').catch(() => '');
  if (rec.HostConfig.NetworkMode === 'host') return host;
  const lines = host.split('\n');
  const dns = (rec.HostConfig.Dns as string[] | null) ?? [];
  const search = (rec.HostConfig.DnsSearch as string[] | null) ?? [];
  const options = (rec.HostConfig.DnsOptions as string[] | null) ?? [];
  let servers = dns.length ? dns : lines.map((l) => /^\s*nameserver\s+(\S+)/.exec(l)?.[1]).filter((s): s is string => !!s && !/^127\./.test(s) && s !== '::1');
  if (!servers.length) servers = ['8.8.8.8', '8.8.4.4', '2001:4860:4860::8888', '2001:4860:4860::8844'];
  const searchLine = search.length ? `search ${search.join(' ')}` : lines.find((l) => /^\s*search\s/.test(l));
  const optionsLine = options.length ? `options ${options.join(' ')}` : lines.find((l) => /^\s*options\s/.test(l));
  return [...(searchLine ? [searchLine.trim()] : []), ...servers.map((s) => `nameserver ${s}`), ...(optionsLine ? [optionsLine.trim()] : [])].join('\n') + '\n';
}
