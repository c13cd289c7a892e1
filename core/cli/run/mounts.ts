// `--mount type=bind,source=/srv,target=/mnt,readonly` as docker's opts.MountOpt reads it into the
// API's Mount objects (fields in the Go struct's order, zero values left out).
import { ramInBytes } from '../units.ts';
import { readCsvRecord } from './csv.ts';

export interface ApiMount {
  Type: string;
  Source?: string;
  Target?: string;
  ReadOnly?: boolean;
  Consistency?: string;
  BindOptions?: { Propagation?: string; NonRecursive?: boolean; CreateMountpoint?: boolean; ReadOnlyNonRecursive?: boolean; ReadOnlyForceRecursive?: boolean };
  VolumeOptions?: { NoCopy?: boolean; Labels?: Record<string, string>; Subpath?: string; DriverConfig?: { Name?: string; Options?: Record<string, string> } };
  ImageOptions?: { Subpath?: string };
  TmpfsOptions?: { SizeBytes?: number; Mode?: number };
}

function parseBoolValue(key: string, value: string | undefined): boolean {
  if (value === undefined) return true;
  const v = value.toLowerCase();
  if (['1', 't', 'true'].includes(v)) return true;
  if (['0', 'f', 'false'].includes(v)) return false;
  throw new Error(`invalid value for ${key}: ${value}`);
}

/** Parses one --mount value; errors carry docker's texts (the caller adds the flag's name). */
export function parseMount(value: string): ApiMount {
  let type = 'volume';
  let source: string | undefined;
  let target: string | undefined;
  let readOnly: boolean | undefined;
  let consistency: string | undefined;
  const bind: NonNullable<ApiMount['BindOptions']> = {};
  const volume: NonNullable<ApiMount['VolumeOptions']> = {};
  const tmpfs: NonNullable<ApiMount['TmpfsOptions']> = {};
  const image: NonNullable<ApiMount['ImageOptions']> = {};
  const used = { bind: false, volume: false, tmpfs: false, image: false };
  for (const field of readCsvRecord(value)) {
    const eq = field.indexOf('=');
    const key = (eq >= 0 ? field.slice(0, eq) : field).toLowerCase();
    const val = eq >= 0 ? field.slice(eq + 1) : undefined;
    if (val === undefined && !['readonly', 'ro', 'volume-nocopy', 'bind-nonrecursive', 'bind-create-host-path'].includes(key)) {
      throw new Error(`invalid field '${field}' must be a key=value pair`);
    }
    switch (key) {
      case 'type': type = val!.toLowerCase(); break;
      case 'source': case 'src': source = val; break;
      case 'target': case 'dst': case 'destination': target = val; break;
      case 'readonly': case 'ro': readOnly = parseBoolValue(key, val); break;
      case 'consistency': consistency = val; break;
      case 'bind-propagation': bind.Propagation = val!.toLowerCase(); used.bind = true; break;
      case 'bind-nonrecursive': bind.NonRecursive = parseBoolValue(key, val); used.bind = true; break;
      case 'bind-create-host-path': bind.CreateMountpoint = parseBoolValue(key, val); used.bind = true; break;
      case 'volume-nocopy': volume.NoCopy = parseBoolValue(key, val); used.volume = true; break;
      case 'volume-subpath': volume.Subpath = val; used.volume = true; break;
      case 'volume-driver': (volume.DriverConfig ??= {}).Name = val; used.volume = true; break;
      case 'volume-label': {
        const [k, v = ''] = splitOnce(val!);
        (volume.Labels ??= {})[k] = v;
        used.volume = true;
        break;
      }
      case 'volume-opt': {
        const [k, v = ''] = splitOnce(val!);
        ((volume.DriverConfig ??= {}).Options ??= {})[k] = v;
        used.volume = true;
        break;
      }
      case 'tmpfs-size': {
        try { tmpfs.SizeBytes = ramInBytes(val!); } catch { throw new Error(`invalid value for ${key}: ${val}`); }
        used.tmpfs = true;
        break;
      }
      case 'tmpfs-mode': {
        if (!/^[0-7]+$/.test(val!)) throw new Error(`invalid value for ${key}: ${val}`);
        tmpfs.Mode = parseInt(val!, 8);
        used.tmpfs = true;
        break;
      }
      case 'image-subpath': image.Subpath = val; used.image = true; break;
      default: throw new Error(`unexpected key '${key}' in '${field}'`);
    }
  }
  if (!['bind', 'volume', 'tmpfs', 'npipe', 'cluster', 'image'].includes(type)) throw new Error(`invalid mount type: ${JSON.stringify(type)}`);
  if (!target) throw new Error('target is required');
  for (const kind of ['bind', 'volume', 'tmpfs', 'image'] as const) {
    if (used[kind] && type !== kind) throw new Error(`cannot mix '${kind}-*' options with mount type '${type}'`);
  }
  const m: ApiMount = { Type: type };
  if (source) m.Source = source;
  m.Target = target;
  if (readOnly) m.ReadOnly = true;
  if (consistency) m.Consistency = consistency;
  if (used.bind) m.BindOptions = bind;
  if (used.volume) m.VolumeOptions = volume;
  if (used.image) m.ImageOptions = image;
  if (used.tmpfs) m.TmpfsOptions = tmpfs;
  return m;
}

function splitOnce(s: string): [string, string | undefined] {
  const i = s.indexOf('=');
  return i < 0 ? [s, undefined] : [s.slice(0, i), s.slice(i + 1)];
}
