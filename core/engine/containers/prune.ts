// POST /containers/prune: every stopped container, narrowed by `until` and `label`.
import { BerthError } from '../../errors.ts';
import type { Filters } from '../../api/query.ts';
import type { ContainerService } from './service.ts';

/** `until` as dockerd reads it: a unix timestamp, an RFC 3339 time or a duration before now. */
export function untilMs(v: string, now: number): number {
  if (/^\d+(\.\d+)?$/.test(v)) return Number(v) * 1000;
  const d = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(v);
  if (d) return now - Number(d[1]) * ({ ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as Record<string, number>)[d[2]!]!;
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw new BerthError('invalid_argument', `failed to parse value as time or duration: "${v}"`);
  return t;
}

export async function pruneContainers(svc: ContainerService, filters: Filters): Promise<{ ContainersDeleted: string[] | null; SpaceReclaimed: number }> {
  for (const k of filters.keys()) if (!['until', 'label', 'label!'].includes(k)) throw new BerthError('invalid_argument', `invalid filter '${k}'`);
  const now = svc.now().getTime();
  const until = (filters.get('until') ?? []).map((v) => untilMs(v, now));
  const match = (labels: Record<string, string>, e: string) => {
    const i = e.indexOf('=');
    return i < 0 ? e in labels : labels[e.slice(0, i)] === e.slice(i + 1);
  };
  const deleted: string[] = [];
  let reclaimed = 0;
  for (const c of [...svc.containers.values()]) {
    if (c.running || c.removing) continue;
    if (until.length && !until.every((t) => Date.parse(c.rec.Created) < t)) continue;
    const labels = c.rec.Config.Labels ?? {};
    if (!(filters.get('label') ?? []).every((e) => match(labels, e))) continue;
    if ((filters.get('label!') ?? []).some((e) => match(labels, e))) continue;
    const size = await svc.runtime.size(c.rec).catch(() => ({ rw: 0, rootFs: 0 }));
    try {
      await svc.destroy(c);
      deleted.push(c.id);
      reclaimed += size.rw;
    } catch (e) {
      svc.log('warn', `prune: ${(e as Error).message}`);
    }
  }
  svc.opts.events.publish('container', 'prune', '', { reclaimed: String(reclaimed) });
  return { ContainersDeleted: deleted.length ? deleted : null, SpaceReclaimed: reclaimed };
}
