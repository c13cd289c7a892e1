// GET /containers/{id}/json
import type { ContainerService } from './service.ts';
import { inspectView } from './record.ts';

export async function inspectContainer(svc: ContainerService, ref: string, size: boolean): Promise<Record<string, unknown>> {
  const c = svc.get(ref);
  const extra: Record<string, unknown> = {};
  if (size) {
    const s = await svc.runtime.size(c.rec).catch(() => ({ rw: 0, rootFs: 0 }));
    extra.SizeRw = s.rw;
    extra.SizeRootFs = s.rootFs;
  }
  const view = inspectView(c.rec, extra);
  if (c.removing) (view.State as Record<string, unknown>) = { ...c.rec.State, Status: 'removing' };
  return view;
}
