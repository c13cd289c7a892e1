// The legacy build request as the docker CLI sends it (client.ImageBuild with BuilderV1): the options
// as query parameters in Go's order (keys sorted), values left out when they are the default,
// maps as JSON with sorted keys, and every stored login in X-Registry-Config.
import { encodeRegistryConfig, type RegistryAuth } from '../../auth/registry-auth-header.ts';
import type { Credentials } from '../../auth/credentials.ts';
import type { Query } from '../api-client.ts';
import { sortKeys } from '../run/config.ts';

export interface BuildRequestOptions {
  tags: string[];
  /** The Dockerfile's path inside the context; '' lets the daemon use `Dockerfile`. */
  dockerfile: string;
  /** `--build-arg`: null for a name given without a value that the environment does not have. */
  buildArgs: Record<string, string | null>;
  labels: Record<string, string>;
  target: string;
  noCache: boolean;
  pull: boolean;
  quiet: boolean;
  rm: boolean;
  forceRm: boolean;
  networkMode: string;
  cacheFrom: string[];
  platform: string;
  shmSize: number;
  memory: number;
  memorySwap: number;
  cpuShares: number;
  cpuPeriod: number;
  cpuQuota: number;
  cpusetCpus: string;
  cpusetMems: string;
  cgroupParent: string;
  isolation: string;
  extraHosts: string[];
  ulimits: Array<{ Name: string; Hard: number; Soft: number }>;
  securityOpt: string[];
  squash: boolean;
}

export function defaultBuildRequestOptions(): BuildRequestOptions {
  return {
    tags: [], dockerfile: '', buildArgs: {}, labels: {}, target: '', noCache: false, pull: false, quiet: false, rm: true,
    forceRm: false, networkMode: '', cacheFrom: [], platform: '', shmSize: 0, memory: 0, memorySwap: 0, cpuShares: 0,
    cpuPeriod: 0, cpuQuota: 0, cpusetCpus: '', cpusetMems: '', cgroupParent: '', isolation: '', extraHosts: [], ulimits: [],
    securityOpt: [], squash: false,
  };
}


/** The query of POST /build. */
export function buildQuery(o: BuildRequestOptions): Query {
  const q: Record<string, string | string[]> = {};
  if (o.tags.length) q.t = o.tags;
  if (o.securityOpt.length) q.securityopt = o.securityOpt;
  if (o.extraHosts.length) q.extrahosts = o.extraHosts;
  if (o.quiet) q.q = '1';
  if (o.noCache) q.nocache = '1';
  if (!o.rm) q.rm = '0';
  if (o.forceRm) q.forcerm = '1';
  if (o.pull) q.pull = '1';
  if (o.squash) q.squash = '1';
  if (o.isolation && o.isolation !== 'default') q.isolation = o.isolation;
  if (o.cpusetCpus) q.cpusetcpus = o.cpusetCpus;
  if (o.networkMode && o.networkMode !== 'default') q.networkmode = o.networkMode;
  if (o.cpusetMems) q.cpusetmems = o.cpusetMems;
  if (o.cpuShares) q.cpushares = String(o.cpuShares);
  if (o.cpuQuota) q.cpuquota = String(o.cpuQuota);
  if (o.cpuPeriod) q.cpuperiod = String(o.cpuPeriod);
  if (o.memory) q.memory = String(o.memory);
  if (o.memorySwap) q.memswap = String(o.memorySwap);
  if (o.cgroupParent) q.cgroupparent = o.cgroupParent;
  if (o.shmSize) q.shmsize = String(o.shmSize);
  if (o.dockerfile) q.dockerfile = o.dockerfile;
  if (o.target) q.target = o.target;
  if (o.ulimits.length) q.ulimits = JSON.stringify(o.ulimits);
  if (Object.keys(o.buildArgs).length) q.buildargs = JSON.stringify(sortKeys(o.buildArgs));
  if (Object.keys(o.labels).length) q.labels = JSON.stringify(sortKeys(o.labels));
  if (o.cacheFrom.length) q.cachefrom = JSON.stringify(o.cacheFrom);
  if (o.platform) q.platform = o.platform.toLowerCase();
  q.version = '1';
  return sortKeys(q);
}

/**
 * X-Registry-Config: `{ key: AuthConfig }` for every stored login (GetAllCredentials), each with its key
 * as serveraddress, keys sorted as Go marshals the map.
 */
export function registryConfigHeader(logins: Record<string, Credentials>): string {
  const auths: Record<string, RegistryAuth> = {};
  for (const key of Object.keys(logins).sort()) auths[key] = { ...logins[key], serveraddress: key };
  return encodeRegistryConfig(auths);
}

/** The proxy settings of the client config, for build args (configfile.ParseProxyConfig). */
export interface ProxyConfig {
  httpProxy?: string;
  httpsProxy?: string;
  noProxy?: string;
  ftpProxy?: string;
  allProxy?: string;
}

const PROXY_ARGS: Array<[keyof ProxyConfig, string]> = [
  ['httpProxy', 'HTTP_PROXY'], ['httpsProxy', 'HTTPS_PROXY'], ['noProxy', 'NO_PROXY'], ['ftpProxy', 'FTP_PROXY'], ['allProxy', 'ALL_PROXY'],
];

/**
 * Adds the proxies configured for `daemonHost` (else the `default` entry) as build args, upper and lower
 * case each, where the user did not set that name.
 */
export function withProxyArgs(args: Record<string, string | null>, proxies: Record<string, ProxyConfig> | undefined, daemonHost: string): Record<string, string | null> {
  const config = proxies?.[daemonHost] ?? proxies?.default ?? {};
  const out = { ...args };
  for (const [field, name] of PROXY_ARGS) {
    const value = config[field];
    if (typeof value !== 'string' || value === '') continue;
    if (!(name in out)) out[name] = value;
    if (!(name.toLowerCase() in out)) out[name.toLowerCase()] = value;
  }
  return out;
}
