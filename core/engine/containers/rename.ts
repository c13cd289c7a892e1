// POST /containers/{id}/rename?name=
import { BerthError } from '../../errors.ts';
import type { ContainerService } from './service.ts';
import { normalizeName } from './names.ts';

export async function renameContainer(svc: ContainerService, ref: string, newName: string): Promise<void> {
  if (!newName) throw new BerthError('invalid_argument', 'Neither old nor new names may be empty');
  const c = svc.get(ref);
  const name = normalizeName(newName);
  const old = c.rec.Name;
  if (name === old) throw new BerthError('invalid_argument', 'Renaming a container with the same name as its current name');
  const conflict = svc.nameConflict(name);
  if (conflict) throw new BerthError('conflict', `Error when allocating new name: ${conflict.message}`);
  svc.names.delete(old);
  svc.names.set(name, c.id);
  c.rec.Name = name;
  try {
    await svc.save(c);
  } catch (e) {
    svc.names.delete(name);
    svc.names.set(old, c.id);
    c.rec.Name = old;
    throw e;
  }
  svc.event(c, 'rename', { oldName: old });
}
