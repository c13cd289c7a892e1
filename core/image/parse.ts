// Turning untrusted manifest and config bytes (from a registry, an archive, a client) into typed
// values, or a clear error naming the field that is wrong. Everything downstream relies on the
// shape checked here, so nothing is trusted by cast alone.
import { BerthError, type ErrorCode } from '../errors.ts';
import { parseDigest } from '../digest.ts';
import { MediaType, isIndexMediaType, isManifestMediaType } from './media-types.ts';
import type { ContainerConfig, Descriptor, ImageConfig, Index, Manifest, Platform } from './types.ts';

export type ParsedManifest =
  | { kind: 'manifest'; mediaType: string; manifest: Manifest }
  | { kind: 'index'; mediaType: string; index: Index };

const SCHEMA1_TYPES = new Set<string>([MediaType.DockerManifestV1, MediaType.DockerManifestV1Signed, 'application/json; charset=utf-8+prettyjws']);
// Content types that say nothing about which manifest this is; registries send them for OCI
// content stored without a mediaType field.
const GENERIC_TYPES = new Set(['', 'application/json', 'application/octet-stream', 'text/plain', 'binary/octet-stream']);

const SCHEMA1_MESSAGE = 'Docker Image manifest version 2, schema 1 manifests are not supported; push the image again with a current client';

type Json = Record<string, unknown>;

function at(field: string, key: string): string {
  return field === '' ? key : `${field}.${key}`;
}

class Checker {
  constructor(readonly code: ErrorCode, readonly what: string) {}
  fail(message: string): never {
    throw new BerthError(this.code, `invalid ${this.what}: ${message}`);
  }
  object(v: unknown, field: string): Json {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) this.fail(`${field} must be a JSON object`);
    return v as Json;
  }
  string(v: unknown, field: string, nonEmpty = false): string {
    if (typeof v !== 'string') this.fail(`${field} must be a string`);
    if (nonEmpty && v === '') this.fail(`${field} must not be empty`);
    return v;
  }
  optString(o: Json, key: string, field: string): void {
    if (o[key] !== undefined) this.string(o[key], at(field, key));
  }
  array(v: unknown, message: string): unknown[] {
    if (!Array.isArray(v)) this.fail(message);
    return v;
  }
  stringArray(v: unknown, field: string): string[] {
    if (!Array.isArray(v)) this.fail(`${field} must be an array of strings`);
    v.forEach((s, i) => this.string(s, `${field}[${i}]`));
    return v as string[];
  }
  optStringArray(o: Json, key: string, field: string, nullable = false): void {
    const v = o[key];
    if (v === undefined || (nullable && v === null)) return;
    this.stringArray(v, at(field, key));
  }
  stringMap(v: unknown, field: string): Record<string, string> {
    const o = this.object(v, field);
    for (const [k, s] of Object.entries(o)) this.string(s, `${field}[${JSON.stringify(k)}]`);
    return o as Record<string, string>;
  }
  optStringMap(o: Json, key: string, field: string): void {
    const v = o[key];
    if (v !== undefined && v !== null) this.stringMap(v, at(field, key));
  }
  optObjectSet(o: Json, key: string, field: string): void {
    // ExposedPorts and Volumes are sets encoded as {"80/tcp": {}}.
    const v = o[key];
    if (v === undefined || v === null) return;
    const set = this.object(v, at(field, key));
    for (const [k, e] of Object.entries(set)) this.object(e, `${at(field, key)}[${JSON.stringify(k)}]`);
  }
  digest(v: unknown, field: string): string {
    const s = this.string(v, field, true);
    try {
      parseDigest(s);
    } catch (e) {
      this.fail(`${field}: ${(e as Error).message}`);
    }
    return s;
  }
  size(v: unknown, field: string): number {
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
      this.fail(`${field} must be a non-negative integer, got ${JSON.stringify(v)}`);
    }
    return v;
  }
  json(bytes: Uint8Array): Json {
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      this.fail('not valid UTF-8');
    }
    let v: unknown;
    try {
      v = JSON.parse(text);
    } catch (e) {
      this.fail(`not valid JSON (${(e as Error).message})`);
    }
    return this.object(v, 'document');
  }
}

function checkPlatform(c: Checker, v: unknown, field: string): Platform {
  const p = c.object(v, field);
  c.string(p.architecture, `${field}.architecture`, true);
  c.string(p.os, `${field}.os`, true);
  c.optString(p, 'os.version', field);
  c.optString(p, 'variant', field);
  c.optStringArray(p, 'os.features', field);
  c.optStringArray(p, 'features', field);
  return p as unknown as Platform;
}

function checkDescriptor(c: Checker, v: unknown, field: string): Descriptor {
  const d = c.object(v, field);
  c.string(d.mediaType, `${field}.mediaType`, true);
  c.digest(d.digest, `${field}.digest`);
  c.size(d.size, `${field}.size`);
  c.optStringArray(d, 'urls', field);
  c.optStringMap(d, 'annotations', field);
  c.optString(d, 'artifactType', field);
  if (d.platform !== undefined) checkPlatform(c, d.platform, `${field}.platform`);
  return d as unknown as Descriptor;
}

function mediaTypeOfContentType(contentType: string | undefined): string {
  if (!contentType) return '';
  const t = contentType.trim().toLowerCase();
  // Schema 1 signed manifests use a parameter-looking suffix that is part of the type.
  if (SCHEMA1_TYPES.has(t)) return t;
  return t.split(';')[0]!.trim();
}

function detectMediaType(doc: Json, contentType: string | undefined): string {
  if (typeof doc.mediaType === 'string' && doc.mediaType !== '') return doc.mediaType;
  const fromHeader = mediaTypeOfContentType(contentType);
  if (!GENERIC_TYPES.has(fromHeader)) return fromHeader;
  if (doc.schemaVersion === 1) return MediaType.DockerManifestV1;
  if (doc.manifests !== undefined) return MediaType.OCIIndex;
  if (doc.config !== undefined || doc.layers !== undefined) return MediaType.OCIManifest;
  return '';
}

/**
 * Parses a manifest or index, telling which it is from the JSON `mediaType` field, then the
 * Content-Type the registry sent, then the document's shape (OCI allows omitting mediaType).
 */
export function parseManifestBytes(bytes: Uint8Array, contentType?: string): ParsedManifest {
  const c = new Checker('invalid_manifest', 'manifest');
  const doc = c.json(bytes);
  const mediaType = detectMediaType(doc, contentType);
  if (SCHEMA1_TYPES.has(mediaType) || doc.schemaVersion === 1) {
    throw new BerthError('invalid_manifest', `unsupported manifest format: ${SCHEMA1_MESSAGE}`);
  }
  if (!isManifestMediaType(mediaType) && !isIndexMediaType(mediaType)) {
    c.fail(mediaType === ''
      ? 'cannot tell whether this is an image manifest or an index: it has no mediaType, config, layers or manifests'
      : `unsupported manifest media type ${JSON.stringify(mediaType)}`);
  }
  if (doc.schemaVersion !== 2) c.fail(`schemaVersion must be 2, got ${JSON.stringify(doc.schemaVersion)}`);
  c.optString(doc, 'artifactType', '');
  c.optStringMap(doc, 'annotations', '');
  if (doc.subject !== undefined) checkDescriptor(c, doc.subject, 'subject');

  if (isIndexMediaType(mediaType)) {
    if (doc.manifests === undefined) c.fail('an index must list manifests');
    c.array(doc.manifests, 'manifests must be an array').forEach((d, i) => checkDescriptor(c, d, `manifests[${i}]`));
    if (doc.config !== undefined || doc.layers !== undefined) {
      c.fail(`a document of type ${mediaType} must not have config or layers`);
    }
    return { kind: 'index', mediaType, index: doc as unknown as Index };
  }
  if (doc.config === undefined) c.fail('an image manifest must have a config descriptor');
  checkDescriptor(c, doc.config, 'config');
  if (doc.layers === undefined) c.fail('an image manifest must have layers');
  c.array(doc.layers, 'layers must be an array').forEach((d, i) => checkDescriptor(c, d, `layers[${i}]`));
  if (doc.manifests !== undefined) c.fail(`a document of type ${mediaType} must not have manifests`);
  return { kind: 'manifest', mediaType, manifest: doc as unknown as Manifest };
}

function checkContainerConfig(c: Checker, v: unknown, field: string): ContainerConfig {
  const o = c.object(v, field);
  c.optString(o, 'User', field);
  c.optString(o, 'WorkingDir', field);
  c.optString(o, 'StopSignal', field);
  c.optStringArray(o, 'Env', field, true);
  c.optStringArray(o, 'Entrypoint', field, true);
  c.optStringArray(o, 'Cmd', field, true);
  c.optStringArray(o, 'OnBuild', field, true);
  c.optStringArray(o, 'Shell', field, true);
  c.optStringMap(o, 'Labels', field);
  c.optObjectSet(o, 'ExposedPorts', field);
  c.optObjectSet(o, 'Volumes', field);
  if (o.Healthcheck !== undefined && o.Healthcheck !== null) {
    const h = c.object(o.Healthcheck, `${field}.Healthcheck`);
    c.optStringArray(h, 'Test', `${field}.Healthcheck`, true);
    for (const k of ['Interval', 'Timeout', 'StartPeriod', 'StartInterval', 'Retries']) {
      if (h[k] !== undefined) c.size(h[k], `${field}.Healthcheck.${k}`);
    }
  }
  return o as ContainerConfig;
}

/** Parses an image config (Docker's image JSON / OCI image config) and checks what berth relies on. */
export function parseImageConfig(bytes: Uint8Array): ImageConfig {
  const c = new Checker('invalid_config', 'image config');
  const doc = c.json(bytes);
  c.string(doc.architecture, 'architecture', true);
  c.string(doc.os, 'os', true);
  c.optString(doc, 'variant', '');
  c.optString(doc, 'os.version', '');
  c.optStringArray(doc, 'os.features', '');
  if (doc.created !== undefined) {
    const created = c.string(doc.created, 'created');
    if (Number.isNaN(Date.parse(created))) c.fail(`created is not an RFC 3339 time: ${JSON.stringify(created)}`);
  }
  if (doc.rootfs === undefined) c.fail('rootfs is missing');
  const rootfs = c.object(doc.rootfs, 'rootfs');
  if (rootfs.type !== 'layers') c.fail(`rootfs.type must be "layers", got ${JSON.stringify(rootfs.type)}`);
  // moby omits diff_ids for an image without layers (Go's omitempty).
  if (rootfs.diff_ids === undefined || rootfs.diff_ids === null) rootfs.diff_ids = [];
  c.array(rootfs.diff_ids, 'rootfs.diff_ids must be an array of digests').forEach((d, i) => c.digest(d, `rootfs.diff_ids[${i}]`));
  if (doc.config !== undefined && doc.config !== null) checkContainerConfig(c, doc.config, 'config');
  if (doc.container_config !== undefined && doc.container_config !== null) {
    checkContainerConfig(c, doc.container_config, 'container_config');
  }
  if (doc.history !== undefined && doc.history !== null) {
    c.array(doc.history, 'history must be an array').forEach((h, i) => {
      const e = c.object(h, `history[${i}]`);
      for (const k of ['created', 'created_by', 'author', 'comment']) c.optString(e, k, `history[${i}]`);
      if (e.empty_layer !== undefined && typeof e.empty_layer !== 'boolean') c.fail(`history[${i}].empty_layer must be a boolean`);
    });
  }
  return doc as unknown as ImageConfig;
}
