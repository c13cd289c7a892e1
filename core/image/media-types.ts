// Media types of Docker Image Manifest V2 schema 2 and the OCI image spec.
export const MediaType = {
  OCIManifest: 'application/vnd.oci.image.manifest.v1+json',
  OCIIndex: 'application/vnd.oci.image.index.v1+json',
  OCIConfig: 'application/vnd.oci.image.config.v1+json',
  OCILayer: 'application/vnd.oci.image.layer.v1.tar',
  OCILayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  OCILayerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  OCIEmpty: 'application/vnd.oci.empty.v1+json',
  DockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  DockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  DockerConfig: 'application/vnd.docker.container.image.v1+json',
  DockerLayer: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  DockerForeignLayer: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
  /** Docker's schema 1 is deprecated; recognised only to refuse it with a clear message. */
  DockerManifestV1: 'application/vnd.docker.distribution.manifest.v1+json',
  DockerManifestV1Signed: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
  WasmLayer: 'application/wasm',
} as const;

export function isIndexMediaType(mt: string | undefined): boolean {
  return mt === MediaType.OCIIndex || mt === MediaType.DockerManifestList;
}

export function isManifestMediaType(mt: string | undefined): boolean {
  return mt === MediaType.OCIManifest || mt === MediaType.DockerManifest;
}

/** Everything a registry may answer for a manifest request, in order of preference. */
export const MANIFEST_ACCEPT = [
  MediaType.OCIIndex, MediaType.DockerManifestList, MediaType.OCIManifest, MediaType.DockerManifest,
];
