// POST /containers/create: resolve the image, validate, record, prepare the container's files.
import { BerthError } from '../../errors.ts';
import type { ContainerService } from './service.ts';
import type { CreateBody, HostConfig } from './types.ts';
import { Container } from './container.ts';
import { newRecord } from './record.ts';
import { generateId, generateName, normalizeName } from './names.ts';
import { adaptHostConfig, validateHostConfig } from '../../container/host-config.ts';
import { containerMountPoints, volumeNames } from '../volumes/container-mounts.ts';

/**
 * dockerd's verifyContainerSettings, before the image is looked up: the HostConfig checks (400 with
 * its texts), then the host's cgroups (limits it cannot enforce dropped, with its warnings).
 */
export function verifyHostConfig(svc: ContainerService, body: CreateBody): { hostConfig: HostConfig; warnings: string[] } {
  const host = svc.runtime.host;
  const given: HostConfig = body.HostConfig ?? {};
  validateHostConfig(given, { ncpu: host?.ncpu ?? Number.MAX_SAFE_INTEGER });
  let hostConfig = adaptHostConfig(given, { cgroupVersion: host?.cgroupVersion ?? 1 });
  const warnings: string[] = [];
  svc.runtime.checkMounts?.(hostConfig);
  if (svc.runtime.validateResources) {
    const v = svc.runtime.validateResources(hostConfig, {});
    hostConfig = v.hostConfig;
    warnings.push(...v.warnings);
  }
  return { hostConfig, warnings };
}

export async function createContainer(svc: ContainerService, body: CreateBody, name?: string): Promise<{ Id: string; Warnings: string[] }> {
  if (!body || typeof body !== 'object') throw new BerthError('invalid_argument', 'Config cannot be empty in order to create a container');
  if (!body.Image) throw new BerthError('invalid_argument', 'No image specified: the create body needs "Image"');
  const fullName = name ? normalizeName(name) : generateName((n) => svc.names.has(n));
  const conflict = svc.nameConflict(fullName);
  if (conflict) throw conflict;
  const { hostConfig, warnings } = verifyHostConfig(svc, body);
  const image = await svc.opts.images.resolve(body.Image);
  const imageConfig = await svc.opts.images.config(image.id);
  const id = generateId();
  const rec = newRecord({
    id, name: fullName, body: { ...body, HostConfig: hostConfig }, image: { id: image.id, config: imageConfig }, now: svc.now(),
    ...(svc.runtime.host?.hostname ? { hostHostname: svc.runtime.host.hostname } : {}),
  });
  // Every network named exists and takes the endpoint options given (dockerd's 404 and 400s).
  const networks = svc.opts.networks?.endpointsAtCreate(hostConfig, body.NetworkingConfig);
  if (networks) (rec.NetworkSettings as { Networks: unknown }).Networks = networks;
  // Reserve the name before any await, so two concurrent creates cannot both take it.
  const again = svc.nameConflict(fullName);
  if (again) throw again;
  const c = new Container(rec);
  svc.add(c);
  try {
    await containerMountPoints(hostConfig, rec.Config.Volumes as Record<string, unknown> | undefined, svc.opts.volumes, (ref) => svc.get(ref).rec.Mounts ?? [], rec.Mounts);
    Object.assign(rec, await svc.runtime.prepare(rec, { id: image.id, config: imageConfig, diffIDs: imageConfig.rootfs.diff_ids }));
    await svc.save(c);
  } catch (e) {
    svc.containers.delete(id);
    svc.names.delete(fullName);
    await svc.opts.volumes?.removeAnonymous(volumeNames(rec.Mounts)).catch(() => {});
    await svc.runtime.remove(rec).catch(() => {});
    throw e;
  }
  svc.event(c, 'create');
  return { Id: id, Warnings: warnings };
}
