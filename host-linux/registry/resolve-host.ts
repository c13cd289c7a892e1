// The host resolver core's registry config asks for: every address of a name, as Go's
// net.LookupIP gives dockerd (/etc/hosts first, then DNS, through getaddrinfo).
import { lookup } from 'node:dns/promises';
import type { HostResolver } from '../../core/config/registry-config.ts';

export const resolveHost: HostResolver = async (hostname) => (await lookup(hostname, { all: true })).map((a) => a.address);
