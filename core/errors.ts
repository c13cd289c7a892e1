// One error type that carries a machine-readable code (mapped to HTTP status by the API) and a
// human message written the way Docker words it.

export type ErrorCode =
  | 'invalid_reference' | 'invalid_digest' | 'digest_mismatch' | 'invalid_argument' | 'invalid_manifest'
  | 'invalid_config' | 'invalid_layer' | 'unsafe_path' | 'not_found' | 'conflict' | 'unauthorized'
  | 'forbidden' | 'unavailable' | 'timeout' | 'registry_error' | 'unsupported' | 'internal';

const STATUS: Record<ErrorCode, number> = {
  invalid_reference: 400, invalid_digest: 400, digest_mismatch: 500, invalid_argument: 400,
  invalid_manifest: 500, invalid_config: 500, invalid_layer: 500, unsafe_path: 500, not_found: 404,
  conflict: 409, unauthorized: 401, forbidden: 403, unavailable: 503, timeout: 504,
  registry_error: 502, unsupported: 400, internal: 500,
};

export class BerthError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; status?: number }) {
    super(message, options?.cause !== undefined ? { cause: options.cause } : undefined);
    this.name = 'BerthError';
    this.code = code;
    this.status = options?.status ?? STATUS[code];
  }
}

export function isNotFound(e: unknown): boolean {
  return e instanceof BerthError && e.code === 'not_found';
}

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
