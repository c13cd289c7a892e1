// Resolves a seccomp profile for one container as moby's setupSeccomp does: the native
// architecture and its sub-architectures from archMap, and only the rules whose includes hold
// (all listed caps in the bounding set, arch listed, kernel at least minKernel) and whose excludes
// do not (no listed cap present, arch not listed, kernel below minKernel).
import type { Seccomp, Syscall } from './types.ts';
import type { ProfileCondition, SeccompProfile } from './seccomp-default.ts';

/** OCI/Go architecture names (`GOARCH`) to Docker's profile names and libseccomp's SCMP_ARCH_*. */
const ARCHES: Record<string, { profile: string; scmp: string }> = {
  amd64: { profile: 'amd64', scmp: 'SCMP_ARCH_X86_64' },
  '386': { profile: 'x86', scmp: 'SCMP_ARCH_X86' },
  arm64: { profile: 'arm64', scmp: 'SCMP_ARCH_AARCH64' },
  arm: { profile: 'arm', scmp: 'SCMP_ARCH_ARM' },
  mips64: { profile: 'mips64', scmp: 'SCMP_ARCH_MIPS64' },
  mips64le: { profile: 'mipsel64', scmp: 'SCMP_ARCH_MIPSEL64' },
  mipsle: { profile: 'mipsel', scmp: 'SCMP_ARCH_MIPSEL' },
  ppc64: { profile: 'ppc64', scmp: 'SCMP_ARCH_PPC64' },
  ppc64le: { profile: 'ppc64le', scmp: 'SCMP_ARCH_PPC64LE' },
  riscv64: { profile: 'riscv64', scmp: 'SCMP_ARCH_RISCV64' },
  s390x: { profile: 's390x', scmp: 'SCMP_ARCH_S390X' },
};

/** Node's `process.arch` / uname machine names to GOARCH. */
export function goArch(arch: string): string {
  const map: Record<string, string> = { x64: 'amd64', x86_64: 'amd64', ia32: '386', i386: '386', i686: '386', x86: '386', aarch64: 'arm64', armv7l: 'arm' };
  return map[arch] ?? arch;
}

/** `a.b.c` kernel releases compared numerically; suffixes such as `-generic` ignored. */
export function kernelAtLeast(kernel: string, min: string): boolean {
  const parse = (v: string) => (v.match(/^(\d+)(?:\.(\d+))?(?:\.(\d+))?/) ?? []).slice(1, 4).map((n) => Number(n ?? 0));
  const a = parse(kernel);
  const b = parse(min);
  if (a.length === 0) return false;
  for (let i = 0; i < 3; i++) if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0);
  return true;
}

export interface SeccompContext {
  /** GOARCH of the container's platform (amd64, arm64, ...). */
  arch: string;
  /** The container's bounding capabilities, CAP_ form. */
  capabilities: string[];
  /** The host's kernel release (`uname -r`). */
  kernel: string;
}

export function resolveSeccomp(profile: SeccompProfile, ctx: SeccompContext): Seccomp {
  const arch = ARCHES[goArch(ctx.arch)];
  const caps = new Set(ctx.capabilities);
  const out: Seccomp = { defaultAction: profile.defaultAction };
  if (profile.defaultErrnoRet !== undefined) out.defaultErrnoRet = profile.defaultErrnoRet;
  const entry = arch && profile.archMap.find((a) => a.architecture === arch.scmp);
  if (profile.architectures?.length) out.architectures = [...profile.architectures];
  else if (entry) out.architectures = [entry.architecture, ...entry.subArchitectures];
  const archName = arch?.profile ?? ctx.arch;
  const excluded = (c: ProfileCondition | undefined) => !!c && (
    (c.arches?.length ? c.arches.includes(archName) : false)
    || (c.caps?.some((cap) => caps.has(cap)) ?? false)
    || (c.minKernel ? kernelAtLeast(ctx.kernel, c.minKernel) : false));
  const included = (c: ProfileCondition | undefined) => !c || (
    (c.arches?.length ? c.arches.includes(archName) : true)
    && (c.caps?.every((cap) => caps.has(cap)) ?? true)
    && (c.minKernel ? kernelAtLeast(ctx.kernel, c.minKernel) : true));
  out.syscalls = profile.syscalls.filter((r) => !excluded(r.excludes) && included(r.includes)).map((r) => {
    const s: Syscall = { names: [...r.names], action: r.action };
    if (r.errnoRet !== undefined) s.errnoRet = r.errnoRet;
    if (r.args?.length) s.args = r.args.map((a) => ({ ...a }));
    return s;
  });
  return out;
}
