// One platform's image (config + manifest) and the multi-platform index over several of them, as the OCI image
// spec lays them out.
import { MediaType } from '../../core/image/media-types.ts';
import type { ContainerConfig, Descriptor, HistoryEntry, ImageConfig, Index, Manifest, Platform } from '../../core/image/types.ts';
import type { LayerBlob } from './layer.ts';
import type { OciLayout } from './oci-layout.ts';

export interface PlatformImageSpec {
  platform: Platform;
  created: Date;
  /** Base layer first; each layer gets a history entry saying how it was made. */
  layers: { blob: LayerBlob; createdBy: string }[];
  config: ContainerConfig;
  /** History entries for config-only steps (CMD, ENV...), appended after the layers as empty layers. */
  configSteps?: string[];
}

export async function writePlatformImage(layout: OciLayout, spec: PlatformImageSpec): Promise<Descriptor> {
  const created = spec.created.toISOString().replace(/\.000Z$/, 'Z');
  const history: HistoryEntry[] = [
    ...spec.layers.map((l) => ({ created, created_by: l.createdBy })),
    ...(spec.configSteps ?? []).map((step) => ({ created, created_by: step, empty_layer: true })),
  ];
  const config: ImageConfig = {
    created,
    architecture: spec.platform.architecture,
    os: spec.platform.os,
    ...(spec.platform.variant ? { variant: spec.platform.variant } : {}),
    config: spec.config,
    rootfs: { type: 'layers', diff_ids: spec.layers.map((l) => l.blob.diffID) },
    history,
  };
  const configDescriptor = await layout.writeJson(config, MediaType.OCIConfig);
  for (const l of spec.layers) await layout.writeBlob(l.blob.data, l.blob.descriptor.mediaType);
  const manifest: Manifest = {
    schemaVersion: 2,
    mediaType: MediaType.OCIManifest,
    config: configDescriptor,
    layers: spec.layers.map((l) => l.blob.descriptor),
  };
  const descriptor = await layout.writeJson(manifest, MediaType.OCIManifest);
  return { ...descriptor, platform: spec.platform };
}

export async function writeImageIndex(layout: OciLayout, manifests: Descriptor[]): Promise<Descriptor> {
  const index: Index = { schemaVersion: 2, mediaType: MediaType.OCIIndex, manifests };
  return layout.writeJson(index, MediaType.OCIIndex);
}
