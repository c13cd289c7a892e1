// HostConfig checks and defaults as dockerd applies them at `POST /containers/create`: the values
// it refuses (400, with its texts) and the defaults it stores (what inspect then shows).
import { BerthError } from '../errors.ts';
import { normalizeCapabilities } from '../runtime-spec/capabilities.ts';
import { userMounts } from '../runtime-spec/mounts.ts';
import { validateUlimits } from '../runtime-spec/rlimits.ts';
import { parseSecurityOpts } from '../runtime-spec/security-opts.ts';
import { DEFAULT_MASKED_PATHS, DEFAULT_READONLY_PATHS } from '../runtime-spec/spec.ts';
import type { HostConfig } from '../engine/containers/types.ts';

export const RESTART_POLICIES = ['', 'no', 'always', 'unless-stopped', 'on-failure'];
const MIN_MEMORY = 6 * 1024 * 1024;

const bad = (msg: string) => new BerthError('invalid_argument', msg);

export function validateRestartPolicy(hc: Pick<HostConfig, 'RestartPolicy' | 'AutoRemove'>): void {
  const p = hc.RestartPolicy;
  const name = p?.Name ?? '';
  const count = p?.MaximumRetryCount ?? 0;
  if (!RESTART_POLICIES.includes(name)) throw bad(`invalid restart policy '${name}'`);
  if (name === 'on-failure') {
    if (count < 0) throw bad('maximum retry count cannot be negative');
  } else if (count !== 0) {
    throw bad(`maximum retry count cannot be used with restart policy '${name}'`);
  }
  if (hc.AutoRemove && name !== '' && name !== 'no') throw bad("can't create 'AutoRemove' container with restart policy");
}

const validMode = (mode: string | undefined, names: string[], container: boolean) =>
  !mode || names.includes(mode) || (container && /^container:.+/.test(mode));

/**
 * Everything dockerd refuses in a HostConfig before it creates anything, in its order and words.
 * `ncpu` is the host's CPU count (for `--cpus`).
 */
export function validateHostConfig(hc: HostConfig, host: { ncpu: number }): void {
  validateRestartPolicy(hc);
  if ((hc.ShmSize ?? 0) < 0) throw bad('SHM size can not be less than 0');
  const oom = hc.OomScoreAdj ?? 0;
  if (oom < -1000 || oom > 1000) throw bad(`Invalid value ${oom}, range for oom score adj is [-1000, 1000]`);
  const memory = hc.Memory ?? 0;
  const swap = hc.MemorySwap ?? 0;
  const reservation = hc.MemoryReservation ?? 0;
  if (memory !== 0 && memory < MIN_MEMORY) throw bad('Minimum memory limit allowed is 6MB');
  if (memory > 0 && swap > 0 && swap < memory) throw bad('Minimum memoryswap limit should be larger than memory limit, see usage');
  if (memory === 0 && swap > 0) throw bad('You should always set the Memory limit when using Memoryswap limit, see usage');
  const swappiness = hc.MemorySwappiness;
  if (swappiness !== undefined && swappiness !== null && swappiness !== -1 && (swappiness < 0 || swappiness > 100)) {
    throw bad(`Invalid value: ${swappiness}, valid memory swappiness range is 0-100`);
  }
  if (reservation !== 0 && reservation < MIN_MEMORY) throw bad('Minimum memory reservation allowed is 6MB');
  if (memory > 0 && reservation > 0 && memory < reservation) throw bad('Minimum memory limit can not be less than memory reservation limit, see usage');
  const nano = hc.NanoCpus ?? 0;
  if (nano > 0 && (hc.CpuPeriod ?? 0) > 0) throw bad('Conflicting options: Nano CPUs and CPU Period cannot both be set');
  if (nano > 0 && (hc.CpuQuota ?? 0) > 0) throw bad('Conflicting options: Nano CPUs and CPU Quota cannot both be set');
  if (nano < 0 || nano > host.ncpu * 1e9) {
    throw bad(`Range of CPUs is from 0.01 to ${host.ncpu.toFixed(2)}, as there are only ${host.ncpu} CPUs available`);
  }
  const period = hc.CpuPeriod ?? 0;
  if (period !== 0 && (period < 1000 || period > 1_000_000)) throw bad('CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)');
  const quota = hc.CpuQuota ?? 0;
  if (quota > 0 && quota < 1000) throw bad('CPU cfs quota can not be less than 1ms (i.e. 1000)');
  if ((hc.CpuShares ?? 0) < 0) throw bad('invalid CPU shares: must not be negative');
  const blkio = hc.BlkioWeight ?? 0;
  if (blkio > 0 && (blkio < 10 || blkio > 1000)) throw bad('Range of blkio weight is from 10 to 1000');
  validateBlkioDevices(hc);
  for (const [field, list] of [['CapAdd', hc.CapAdd], ['CapDrop', hc.CapDrop]] as const) {
    try { normalizeCapabilities(list); } catch (e) { throw bad(`invalid ${field}: ${(e as Error).message}`); }
  }
  parseSecurityOpts(hc.SecurityOpt);
  validateUlimits(hc.Ulimits);
  if (!validMode(hc.IpcMode, ['none', 'private', 'shareable', 'host'], true)) throw bad(`invalid IPC mode: ${hc.IpcMode}`);
  if (!validMode(hc.PidMode, ['host'], true)) throw bad(`invalid PID mode: ${hc.PidMode}`);
  if (!validMode(hc.UTSMode, ['host'], false)) throw bad(`invalid UTS mode: ${hc.UTSMode}`);
  if (!validMode(hc.CgroupnsMode, ['host', 'private'], false)) throw bad(`invalid cgroup namespace mode: ${hc.CgroupnsMode}`);
  userMounts(hc);
}

/**
 * The HostConfig dockerd stores: its defaults filled in (NetworkMode `default`, restart `no`,
 * IpcMode `private`, CgroupnsMode by cgroup version, 64 MB /dev/shm, swap twice the memory limit,
 * Docker's masked and read-only paths unless privileged, json-file logs, runc).
 */
export function adaptHostConfig(hc: HostConfig | null | undefined, host: { cgroupVersion: 1 | 2 }): HostConfig {
  const out: HostConfig = { ...(hc ?? {}) };
  out.NetworkMode ||= 'default';
  out.RestartPolicy = { Name: out.RestartPolicy?.Name || 'no', MaximumRetryCount: out.RestartPolicy?.MaximumRetryCount ?? 0 };
  out.LogConfig = out.LogConfig?.Type ? { Type: out.LogConfig.Type, Config: out.LogConfig.Config ?? {} } : { Type: 'json-file', Config: {} };
  out.IpcMode ||= 'private';
  out.CgroupnsMode ||= host.cgroupVersion === 2 ? 'private' : 'host';
  out.ShmSize ||= 64 * 1024 * 1024;
  if ((out.Memory ?? 0) > 0 && !out.MemorySwap) out.MemorySwap = out.Memory! * 2;
  out.Runtime ||= 'runc';
  out.ConsoleSize ??= [0, 0];
  if (out.CapAdd?.length) out.CapAdd = normalizeCapabilities(out.CapAdd);
  if (out.CapDrop?.length) out.CapDrop = normalizeCapabilities(out.CapDrop);
  if (!out.Privileged) {
    out.MaskedPaths ??= [...DEFAULT_MASKED_PATHS];
    out.ReadonlyPaths ??= [...DEFAULT_READONLY_PATHS];
  }
  if (out.PidsLimit !== undefined && out.PidsLimit !== null && out.PidsLimit <= 0) out.PidsLimit = null;
  return out;
}

/**
 * The per-device block I/O lists as dockerd's JSON decoding takes them: Rate a uint64, Weight a
 * uint16 (the same texts for a number out of range); the paths are resolved when the container starts.
 */
function validateBlkioDevices(hc: HostConfig): void {
  const lists = [['BlkioDeviceReadBps', 'Rate', 'uint64'], ['BlkioDeviceWriteBps', 'Rate', 'uint64'], ['BlkioDeviceReadIOps', 'Rate', 'uint64'],
    ['BlkioDeviceWriteIOps', 'Rate', 'uint64'], ['BlkioWeightDevice', 'Weight', 'uint16']] as const;
  for (const [field, key, type] of lists) {
    for (const d of (hc[field] ?? []) as unknown as Record<string, unknown>[]) {
      const v = d?.[key];
      const max = type === 'uint16' ? 0xffff : Number.MAX_SAFE_INTEGER;
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > max) {
        throw bad(`json: cannot unmarshal ${typeof v === 'number' ? `number ${v}` : typeof v} into Go struct field ${key === 'Rate' ? 'ThrottleDevice' : 'WeightDevice'}.HostConfig.${field}.${key} of type ${type}`);
      }
      if (typeof d.Path !== 'string' || !d.Path) throw bad(`invalid ${field}: a device needs a Path`);
    }
  }
}
