// GET /containers/json: newest first, running only unless `all`, dockerd's filters.
import { BerthError } from '../../errors.ts';
import type { Filters } from '../../api/query.ts';
import type { ContainerService } from './service.ts';
import type { Container } from './container.ts';
import { statusString } from './duration.ts';
import { matchesPortFilter, portFilterKeys } from '../../network/port-filters.ts';
import { portSummaries } from '../../network/port-mappings.ts';

const KEYS = ['id', 'name', 'label', 'label!', 'status', 'ancestor', 'exited', 'before', 'since', 'health', 'volume', 'network', 'publish', 'expose', 'is-task'];
const STATUSES = ['created', 'restarting', 'running', 'removing', 'paused', 'exited', 'dead'];

export interface ListOptions { all: boolean; limit: number; size: boolean; filters: Filters }

function stateOf(c: Container): string {
  const s = c.rec.State;
  if (c.removing) return 'removing';
  if (s.Running) return s.Paused ? 'paused' : s.Restarting ? 'restarting' : 'running';
  if (s.Dead) return 'dead';
  return s.Status === 'created' ? 'created' : 'exited';
}

function labelMatch(labels: Record<string, string>, expr: string): boolean {
  const i = expr.indexOf('=');
  if (i < 0) return expr in labels;
  return labels[expr.slice(0, i)] === expr.slice(i + 1);
}

export async function listContainers(svc: ContainerService, opts: ListOptions): Promise<Record<string, unknown>[]> {
  const f = opts.filters;
  for (const k of f.keys()) if (!KEYS.includes(k)) throw new BerthError('invalid_argument', `invalid filter '${k}'`);
  for (const v of f.get('status') ?? []) if (!STATUSES.includes(v)) throw new BerthError('invalid_argument', `invalid filter 'status=${v}'`);
  const exited = (f.get('exited') ?? []).map((v) => {
    if (!/^-?\d+$/.test(v)) throw new BerthError('invalid_argument', `invalid filter 'exited=${v}'`);
    return Number(v);
  });
  const createdOf = (ref: string) => Date.parse(svc.get(ref).rec.Created);
  const before = (f.get('before') ?? []).map(createdOf);
  const since = (f.get('since') ?? []).map(createdOf);
  const ancestors: string[] = [];
  for (const a of f.get('ancestor') ?? []) {
    try { ancestors.push((await svc.opts.images.resolve(a)).id); } catch { ancestors.push(a); }
  }
  const names = (f.get('name') ?? []).map((n) => { try { return new RegExp(n); } catch { throw new BerthError('invalid_argument', `invalid filter 'name=${n}': not a regular expression`); } });
  const publish = portFilterKeys('publish', f.get('publish') ?? []);
  const expose = portFilterKeys('expose', f.get('expose') ?? []);
  const all = opts.all || opts.limit > 0 || f.has('status') || f.has('exited') || f.has('before') || f.has('since');
  const now = svc.now();
  let list = [...svc.containers.values()].sort((a, b) => Date.parse(b.rec.Created) - Date.parse(a.rec.Created) || (a.id < b.id ? -1 : 1));
  list = list.filter((c) => {
    const r = c.rec;
    if (!all && !r.State.Running) return false;
    const ids = f.get('id');
    if (ids && !ids.some((p) => r.Id.startsWith(p))) return false;
    if (names.length && !names.some((re) => re.test(r.Name))) return false;
    const labels = r.Config.Labels ?? {};
    if (!(f.get('label') ?? []).every((e) => labelMatch(labels, e))) return false;
    if ((f.get('label!') ?? []).some((e) => labelMatch(labels, e))) return false;
    const st = f.get('status');
    if (st && !st.includes(stateOf(c))) return false;
    if (exited.length && (stateOf(c) !== 'exited' || !exited.includes(r.State.ExitCode))) return false;
    const created = Date.parse(r.Created);
    if (before.length && !before.every((t) => created < t)) return false;
    if (since.length && !since.every((t) => created > t)) return false;
    if (ancestors.length && !ancestors.some((a) => r.Image === a || r.Config.Image === a || r.Image.startsWith(`sha256:${a}`))) return false;
    const nets = f.get('network');
    if (nets && !nets.some((n) => Object.keys((r.NetworkSettings.Networks as Record<string, unknown>) ?? {}).includes(n))) return false;
    if (!matchesPortFilter('publish', publish, r) || !matchesPortFilter('expose', expose, r)) return false;
    if (f.has('is-task') && (f.get('is-task') ?? []).includes('true')) return false;
    return true;
  });
  if (opts.limit > 0) list = list.slice(0, opts.limit);
  const out: Record<string, unknown>[] = [];
  // dockerd's refreshImage: a reference that is gone or now names another image shows as the ID.
  const current = new Map<string, Promise<string | undefined>>();
  const imageOf = async (ref: string, id: string): Promise<string> => {
    if (!ref || ref === id) return id;
    if (!current.has(ref)) current.set(ref, svc.opts.images.resolve(ref).then((rec) => rec.id, () => undefined));
    return (await current.get(ref)) === id ? ref : id;
  };
  for (const c of list) {
    const r = c.rec;
    const item: Record<string, unknown> = {
      Id: r.Id,
      Names: [r.Name],
      Image: await imageOf(r.Config.Image ?? '', r.Image),
      ImageID: r.Image,
      Command: [r.Path, ...r.Args].join(' '),
      Created: Math.floor(Date.parse(r.Created) / 1000),
      Ports: portSummaries(r.NetworkSettings.Ports as Parameters<typeof portSummaries>[0]),
      Labels: r.Config.Labels ?? {},
      State: stateOf(c),
      Status: statusString(r.State, now, c.removing),
      HostConfig: { NetworkMode: r.HostConfig.NetworkMode ?? 'default' },
      NetworkSettings: { Networks: r.NetworkSettings.Networks ?? {} },
      Mounts: r.Mounts,
    };
    if (opts.size) {
      const s = await svc.runtime.size(r).catch(() => ({ rw: 0, rootFs: 0 }));
      item.SizeRw = s.rw;
      item.SizeRootFs = s.rootFs;
    }
    out.push(item);
  }
  return out;
}
