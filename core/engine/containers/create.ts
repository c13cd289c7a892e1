// POST /containers/create: resolve the image, validate, record, prepare the container's files.
import { BerthError } from '../../errors.ts';
import type { ContainerService } from './service.ts';
import type { CreateBody } from './types.ts';
import { Container } from './container.ts';
import { newRecord } from './record.ts';
import { generateId, generateName, normalizeName } from './names.ts';

export async function createContainer(svc: ContainerService, body: CreateBody, name?: string): Promise<{ Id: string; Warnings: string[] }> {
  if (!body || typeof body !== 'object') throw new BerthError('invalid_argument', 'Config cannot be empty in order to create a container');
  if (!body.Image) throw new BerthError('invalid_argument', 'No image specified: the create body needs "Image"');
  const fullName = name ? normalizeName(name) : generateName((n) => svc.names.has(n));
  const conflict = svc.nameConflict(fullName);
  if (conflict) throw conflict;
  const image = await svc.opts.images.resolve(body.Image);
  const imageConfig = await svc.opts.images.config(image.id);
  const id = generateId();
  const rec = newRecord({ id, name: fullName, body, image: { id: image.id, config: imageConfig }, now: svc.now() });
  // Reserve the name before any await, so two concurrent creates cannot both take it.
  const again = svc.nameConflict(fullName);
  if (again) throw again;
  const c = new Container(rec);
  svc.add(c);
  try {
    Object.assign(rec, await svc.runtime.prepare(rec, { id: image.id, config: imageConfig, diffIDs: imageConfig.rootfs.diff_ids }));
    await svc.save(c);
  } catch (e) {
    svc.containers.delete(id);
    svc.names.delete(fullName);
    await svc.runtime.remove(rec).catch(() => {});
    throw e;
  }
  svc.event(c, 'create');
  const warnings: string[] = [];
  return { Id: id, Warnings: warnings };
}
