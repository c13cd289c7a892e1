// docker's opts.ValidateThrottleBpsDevice, ValidateThrottleIOpsDevice and ValidateWeightDevice:
// `--device-read-bps /dev/sda:1mb`, `--device-write-iops /dev/sda:100`, `--blkio-weight-device
// /dev/sda:500`, with the CLI's error texts. The daemon resolves the path to major:minor.
import { ramInBytes } from '../units.ts';

export interface ThrottleDevice { Path: string; Rate: number }
export interface WeightDevice { Path: string; Weight: number }

/** `path:value` with a /dev/ path, or the CLI's format errors. */
function split(val: string): [path: string, value: string] {
  const i = val.indexOf(':');
  if (i <= 0) throw new Error(`bad format: ${val}`);
  const path = val.slice(0, i);
  if (!path.startsWith('/dev/')) throw new Error(`bad format for device path: ${val}`);
  return [path, val.slice(i + 1)];
}

export function parseThrottleBps(val: string): ThrottleDevice {
  const [Path, v] = split(val);
  let rate: number;
  try { rate = ramInBytes(v); } catch { rate = -1; }
  if (rate < 0) {
    throw new Error(`invalid rate for device: ${val}. The correct format is <device-path>:<number>[<unit>]. Number must be a positive integer. Unit is optional and can be kb, mb, or gb`);
  }
  return { Path, Rate: rate };
}

export function parseThrottleIops(val: string): ThrottleDevice {
  const [Path, v] = split(val);
  if (!/^\d+$/.test(v) || BigInt(v) > 0xffffffffffffffffn) {
    throw new Error(`invalid rate for device: ${val}. The correct format is <device-path>:<number>. Number must be a positive integer`);
  }
  return { Path, Rate: Number(v) };
}

export function parseWeightDevice(val: string): WeightDevice {
  const [Path, v] = split(val);
  const weight = /^\d+$/.test(v) ? Number(v) : NaN;
  if (!(weight <= 0xffff) || (weight > 0 && (weight < 10 || weight > 1000))) throw new Error(`invalid weight for device: ${val}`);
  return { Path, Weight: weight };
}
