// Image references, parsed and normalized the way Docker does (distribution/reference's
// ParseNormalizedNamed and friends), with Docker's exact error texts, since users and scripts
// see them and the docker CLI prints the same ones client-side.
import { BerthError } from '../errors.ts';
import {
  ANCHORED_NAME_RE, DOMAIN_RE, IDENTIFIER_RE, NAME_TOTAL_LENGTH_MAX, PATH_RE, REFERENCE_RE, TAG_RE,
} from './grammar.ts';

export interface Reference {
  /** Registry host, with port when given: `docker.io`, `127.0.0.1:5000`, `[::1]:5000`. */
  domain: string;
  /** Repository path inside the registry: `library/busybox`, `a/b/c`. */
  path: string;
  tag?: string;
  digest?: string;
}

export const DEFAULT_DOMAIN = 'docker.io';
export const DEFAULT_TAG = 'latest';
const LEGACY_DEFAULT_DOMAIN = 'index.docker.io';
const OFFICIAL_REPO_PREFIX = 'library/';
const LOCALHOST = 'localhost';

function invalid(message: string): BerthError {
  return new BerthError('invalid_reference', message);
}

// go-digest's Parse + Validate, whose messages Docker passes through unchanged.
const DIGEST_HEX_LENGTH: Record<string, number> = { sha256: 64, sha384: 96, sha512: 128 };
const DIGEST_ANCHORED_RE = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

/** Validates a digest as Docker does, throwing `invalid checksum digest format` and the like. */
export function validateDigest(d: string): void {
  const i = d.indexOf(':');
  if (i <= 0 || i + 1 === d.length) throw invalid('invalid checksum digest format');
  const algorithm = d.slice(0, i);
  const encoded = d.slice(i + 1);
  const length = DIGEST_HEX_LENGTH[algorithm];
  if (length === undefined) {
    if (!DIGEST_ANCHORED_RE.test(d)) throw invalid('invalid checksum digest format');
    throw invalid('unsupported digest algorithm');
  }
  if (encoded.length !== length) throw invalid('invalid checksum digest length');
  if (!/^[a-f0-9]+$/.test(encoded)) throw invalid('invalid checksum digest format');
}

/** distribution/reference's Parse: no normalization, domain split only when one is written. */
function parseRaw(s: string): { domain: string; path: string; tag?: string; digest?: string } {
  const m = REFERENCE_RE.exec(s);
  if (!m) {
    if (s === '') throw invalid('repository name must have at least one component');
    if (REFERENCE_RE.test(s.toLowerCase())) throw invalid('repository name must be lowercase');
    throw invalid('invalid reference format');
  }
  const [, name, tag, digest] = m as unknown as [string, string, string | undefined, string | undefined];
  const nm = ANCHORED_NAME_RE.exec(name);
  const domain = nm?.[1] ?? '';
  const path = nm?.[2] ?? name;
  if (path.length > NAME_TOTAL_LENGTH_MAX) {
    throw invalid(`repository name must not be more than ${NAME_TOTAL_LENGTH_MAX} characters`);
  }
  if (digest !== undefined) validateDigest(digest);
  const ref: { domain: string; path: string; tag?: string; digest?: string } = { domain, path };
  if (tag !== undefined) ref.tag = tag;
  if (digest !== undefined) ref.digest = digest;
  return ref;
}

// A first component counts as a registry host only when it looks like one: it has a dot or a
// port, is `localhost`, or has uppercase letters (which a repository path may not).
function splitDockerDomain(s: string): [domain: string, remainder: string] {
  const i = s.indexOf('/');
  let domain: string;
  let remainder: string;
  const first = i === -1 ? '' : s.slice(0, i);
  if (i === -1 || (!/[.:]/.test(first) && first !== LOCALHOST && first.toLowerCase() === first)) {
    domain = DEFAULT_DOMAIN;
    remainder = s;
  } else {
    domain = first;
    remainder = s.slice(i + 1);
  }
  if (domain === LEGACY_DEFAULT_DOMAIN) domain = DEFAULT_DOMAIN;
  if (domain === DEFAULT_DOMAIN && !remainder.includes('/')) remainder = OFFICIAL_REPO_PREFIX + remainder;
  return [domain, remainder];
}

/**
 * Parses what a user typed (`busybox`, `user/x:1`, `127.0.0.1:5000/a/b@sha256:...`) into its
 * normalized form: `docker.io` for Docker Hub and `library/` for official images. Adds no tag;
 * see withDefaultTag.
 */
export function parseReference(s: string): Reference {
  if (IDENTIFIER_RE.test(s)) {
    throw invalid(`invalid repository name (${s}), cannot specify 64-byte hexadecimal strings`);
  }
  const [domain, remainder] = splitDockerDomain(s);
  const colon = remainder.indexOf(':');
  const remote = colon > -1 ? remainder.slice(0, colon) : remainder;
  if (remote.toLowerCase() !== remote) {
    throw invalid(`invalid reference format: repository name (${remote}) must be lowercase`);
  }
  return parseRaw(`${domain}/${remainder}`);
}

/** Either a full image ID (`<64 hex>` or `sha256:<64 hex>`) or a normalized name, as Docker's ParseAnyReference. */
export type AnyReference = { kind: 'id'; id: string } | { kind: 'name'; ref: Reference };

export function parseAnyReference(s: string): AnyReference {
  if (IDENTIFIER_RE.test(s)) return { kind: 'id', id: `sha256:${s}` };
  try { validateDigest(s); return { kind: 'id', id: s }; } catch { /* not a digest: a name */ }
  return { kind: 'name', ref: parseReference(s) };
}

/** Adds `latest` when the reference has neither a tag nor a digest (what `docker pull x` does). */
export function withDefaultTag(r: Reference): Reference {
  if (r.tag !== undefined || r.digest !== undefined) return r;
  return { ...r, tag: DEFAULT_TAG };
}

/** True when the reference names a repository only, without tag or digest. */
export function isNameOnly(r: Reference): boolean {
  return r.tag === undefined && r.digest === undefined;
}

/** A copy with `tag` set (a digest is kept), validated like Docker's WithTag (`invalid tag format`). */
export function withTag(r: Reference, tag: string): Reference {
  if (!TAG_RE.test(tag)) throw invalid('invalid tag format');
  return { ...r, tag };
}

/** A copy with `digest` set (and the tag kept), validated like Docker's WithDigest. */
export function withDigest(r: Reference, digest: string): Reference {
  validateDigest(digest);
  return { ...r, digest };
}

/** Only the repository: tag and digest dropped. */
export function repositoryOf(r: Reference): Reference {
  return { domain: r.domain, path: r.path };
}

export function isValidTag(tag: string): boolean {
  return TAG_RE.test(tag);
}

export function isDockerHub(domain: string): boolean {
  return domain === DEFAULT_DOMAIN || domain === LEGACY_DEFAULT_DOMAIN || domain === 'registry-1.docker.io';
}

/** The host an HTTP client talks to for a domain: Docker Hub's API lives on registry-1.docker.io. */
export function registryEndpointHost(domain: string): string {
  return isDockerHub(domain) ? 'registry-1.docker.io' : domain;
}

/** `docker.io/library/busybox`. */
export function fullName(r: Reference): string {
  return `${r.domain}/${r.path}`;
}

/** The full normalized form with tag and digest: `docker.io/library/busybox:latest`. */
export function referenceString(r: Reference): string {
  return fullName(r) + suffix(r);
}

/** What Docker shows users: `busybox`, `user/x`, `127.0.0.1:5000/a`. */
export function familiarName(r: Reference): string {
  if (r.domain !== DEFAULT_DOMAIN) return fullName(r);
  if (r.path.startsWith(OFFICIAL_REPO_PREFIX)) {
    const rest = r.path.slice(OFFICIAL_REPO_PREFIX.length);
    // Only a single component after library/ is an official image; nested ones keep the prefix.
    if (!rest.includes('/')) return rest;
  }
  return r.path;
}

/** familiarName with tag and digest: `busybox:latest`, `busybox@sha256:...`. */
export function familiarString(r: Reference): string {
  return familiarName(r) + suffix(r);
}

function suffix(r: Reference): string {
  return (r.tag !== undefined ? `:${r.tag}` : '') + (r.digest !== undefined ? `@${r.digest}` : '');
}

/** Whether `domain` is a syntactically valid registry host[:port]. */
export function isValidDomain(domain: string): boolean {
  return DOMAIN_RE.test(domain);
}

/** Whether `path` is a syntactically valid repository path (`library/busybox`). */
export function isValidPath(path: string): boolean {
  return PATH_RE.test(path) && path.length <= NAME_TOTAL_LENGTH_MAX;
}

const TRUNCATED_ID_RE = /^(?:sha256:)?([a-f0-9]{4,64})$/;

/**
 * Whether `s` should also be looked up as an image ID (full or a unique prefix of at least 4
 * hex digits, with or without `sha256:`), as Docker's image store does. A short hex string is also
 * a valid name (`abc` is `docker.io/library/abc`): Docker tries the name first, then the ID prefix.
 * A full 64-hex string is only ever an ID.
 */
export function isImageIdPrefix(s: string): boolean {
  return TRUNCATED_ID_RE.test(s);
}

/** The hex part of an ID or ID prefix (`sha256:` dropped), or undefined when `s` is not one. */
export function imageIdPrefixHex(s: string): string | undefined {
  return TRUNCATED_ID_RE.exec(s)?.[1];
}
