// The RegistryConfig block /info reports (`docker info` prints "Insecure Registries" and
// "Registry Mirrors" from it).
import type { RegistryConfig } from '../config/registry-config.ts';

const LOOPBACK_CIDRS = ['::1/128', '127.0.0.0/8'];

function isCidr(s: string): boolean {
  return /^[0-9a-fA-F:.]+\/\d{1,3}$/.test(s);
}

export function registryInfo(config: RegistryConfig): Record<string, unknown> {
  const mirrors = [...config.mirrors];
  const indexConfigs: Record<string, unknown> = {
    'docker.io': { Name: 'docker.io', Mirrors: mirrors, Secure: true, Official: true },
  };
  for (const r of config.insecure.filter((x) => !isCidr(x))) {
    indexConfigs[r] = { Name: r, Mirrors: [], Secure: false, Official: false };
  }
  return {
    AllowNondistributableArtifactsCIDRs: null,
    AllowNondistributableArtifactsHostnames: null,
    InsecureRegistryCIDRs: [...LOOPBACK_CIDRS, ...config.insecure.filter(isCidr)],
    IndexConfigs: indexConfigs,
    Mirrors: mirrors,
  };
}
