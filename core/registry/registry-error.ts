// Errors a registry answers with, as the distribution spec encodes them
// (`{"errors":[{"code":"MANIFEST_UNKNOWN","message":"...","detail":...}]}`), turned into
// BerthErrors that read the way Docker prints them (`manifest unknown: manifest unknown`).
import { BerthError, type ErrorCode } from '../errors.ts';

export interface RegistryErrorEntry {
  code: string;
  message?: string;
  detail?: unknown;
}

/** A failed registry request; `entries` keeps the registry's own codes for callers that branch on them. */
export class RegistryError extends BerthError {
  readonly entries: RegistryErrorEntry[];
  readonly httpStatus: number;
  constructor(code: ErrorCode, message: string, entries: RegistryErrorEntry[], httpStatus: number, options?: { cause?: unknown }) {
    super(code, message, options);
    this.entries = entries;
    this.httpStatus = httpStatus;
  }

  has(code: string): boolean {
    return this.entries.some((e) => e.code === code);
  }
}

// The spec's default messages, used when a registry answers a bare status without a JSON body.
const DEFAULT_MESSAGE: Record<string, string> = {
  BLOB_UNKNOWN: 'blob unknown to registry',
  BLOB_UPLOAD_INVALID: 'blob upload invalid',
  BLOB_UPLOAD_UNKNOWN: 'blob upload unknown to registry',
  DIGEST_INVALID: 'provided digest did not match uploaded content',
  MANIFEST_BLOB_UNKNOWN: 'blob unknown to registry',
  MANIFEST_INVALID: 'manifest invalid',
  MANIFEST_UNKNOWN: 'manifest unknown',
  NAME_INVALID: 'invalid repository name',
  NAME_UNKNOWN: 'repository name not known to registry',
  SIZE_INVALID: 'provided length did not match content length',
  UNAUTHORIZED: 'authentication required',
  DENIED: 'requested access to the resource is denied',
  UNSUPPORTED: 'The operation is unsupported.',
  TOOMANYREQUESTS: 'too many requests',
  RANGE_INVALID: 'invalid content range',
};

const BERTH_CODE: Record<string, ErrorCode> = {
  BLOB_UNKNOWN: 'not_found', MANIFEST_UNKNOWN: 'not_found', NAME_UNKNOWN: 'not_found', BLOB_UPLOAD_UNKNOWN: 'not_found',
  UNAUTHORIZED: 'unauthorized', DENIED: 'forbidden', UNSUPPORTED: 'unsupported', DIGEST_INVALID: 'digest_mismatch',
  NAME_INVALID: 'invalid_reference', MANIFEST_INVALID: 'invalid_manifest', TOOMANYREQUESTS: 'unavailable',
};

const HTTP_STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed',
  409: 'Conflict', 413: 'Request Entity Too Large', 416: 'Requested Range Not Satisfiable', 429: 'Too Many Requests',
  500: 'Internal Server Error', 502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout',
};

export function statusLine(status: number, statusText?: string): string {
  return `${status} ${statusText || HTTP_STATUS_TEXT[status] || ''}`.trim();
}

/** distribution's errcode text: `MANIFEST_UNKNOWN` -> `manifest unknown`, then `: message`. */
export function entryText(e: RegistryErrorEntry): string {
  const code = e.code.toLowerCase().replace(/_/g, ' ');
  const message = e.message ?? DEFAULT_MESSAGE[e.code] ?? code;
  return `${code}: ${message}`;
}

export function entriesText(entries: RegistryErrorEntry[]): string {
  if (entries.length === 1) return entryText(entries[0]!);
  // One line even for several errors: callers print a single line.
  return entries.map(entryText).join('; ');
}

/** The entries a response carries, synthesized from its status when the body has none. */
export function decodeErrorBody(status: number, body: string): RegistryErrorEntry[] {
  try {
    const parsed = JSON.parse(body) as { errors?: unknown; details?: unknown };
    if (Array.isArray(parsed.errors)) {
      const out = parsed.errors
        .filter((e): e is { code: unknown; message?: unknown; detail?: unknown } => !!e && typeof e === 'object')
        .map((e) => ({
          code: String(e.code ?? 'UNKNOWN').toUpperCase(),
          ...(typeof e.message === 'string' ? { message: e.message } : {}),
          ...(e.detail !== undefined ? { detail: e.detail } : {}),
        }));
      if (out.length) return out;
    }
    // Token servers (Docker Hub's auth) answer `{"details":"incorrect username or password"}`.
    if (typeof parsed.details === 'string' && status === 401) return [{ code: 'UNAUTHORIZED', message: parsed.details }];
  } catch { /* not JSON */ }
  if (status === 401) return [{ code: 'UNAUTHORIZED' }];
  if (status === 403) return [{ code: 'DENIED' }];
  if (status === 429) return [{ code: 'TOOMANYREQUESTS' }];
  return [];
}

export function berthCodeFor(status: number, entries: RegistryErrorEntry[]): ErrorCode {
  for (const e of entries) {
    const c = BERTH_CODE[e.code];
    if (c) return c;
  }
  if (status === 404) return 'not_found';
  if (status === 401) return 'unauthorized';
  if (status === 403) return 'forbidden';
  if (status === 408 || status === 504) return 'timeout';
  if (status === 503 || status === 429) return 'unavailable';
  return 'registry_error';
}

/**
 * Reads an unsuccessful response into a RegistryError. `message` is the whole text when given,
 * otherwise Docker's own: the entries' text, or `received unexpected HTTP status: 500 Internal Server Error`.
 */
export async function errorFromResponse(res: Response, context?: string): Promise<RegistryError> {
  let body = '';
  try { body = (await res.text()).slice(0, 64 * 1024); } catch { /* the body itself failed: status is enough */ }
  const entries = decodeErrorBody(res.status, body);
  const text = entries.length ? entriesText(entries) : `received unexpected HTTP status: ${statusLine(res.status, res.statusText)}`;
  return new RegistryError(berthCodeFor(res.status, entries), context ? `${context}: ${text}` : text, entries, res.status);
}
