// The distribution spec's error answers: a status and `{"errors":[{code, message, detail}]}`.
// Handlers throw SpecError; the router turns it into the Response.

export type SpecErrorCode =
  | 'BLOB_UNKNOWN' | 'BLOB_UPLOAD_INVALID' | 'BLOB_UPLOAD_UNKNOWN' | 'DIGEST_INVALID' | 'MANIFEST_BLOB_UNKNOWN'
  | 'MANIFEST_INVALID' | 'MANIFEST_UNKNOWN' | 'NAME_INVALID' | 'NAME_UNKNOWN' | 'SIZE_INVALID' | 'TAG_INVALID'
  | 'UNAUTHORIZED' | 'DENIED' | 'UNSUPPORTED' | 'RANGE_INVALID' | 'TOOMANYREQUESTS';

export class SpecError extends Error {
  constructor(
    readonly status: number,
    readonly code: SpecErrorCode,
    message: string,
    readonly detail?: unknown,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'SpecError';
  }
}

export function errorResponse(e: SpecError): Response {
  const entry: Record<string, unknown> = { code: e.code, message: e.message };
  if (e.detail !== undefined) entry.detail = e.detail;
  return new Response(JSON.stringify({ errors: [entry] }) + '\n', {
    status: e.status,
    headers: { 'Content-Type': 'application/json; charset=utf-8', ...e.headers },
  });
}

export const specErrors = {
  blobUnknown: (digest: string) => new SpecError(404, 'BLOB_UNKNOWN', 'blob unknown to registry', { digest }),
  uploadUnknown: (id: string) => new SpecError(404, 'BLOB_UPLOAD_UNKNOWN', 'blob upload unknown to registry', { uuid: id }),
  digestInvalid: (detail: string) => new SpecError(400, 'DIGEST_INVALID', 'provided digest did not match uploaded content', detail),
  manifestUnknown: (reference: string) => new SpecError(404, 'MANIFEST_UNKNOWN', 'manifest unknown', { reference }),
  manifestInvalid: (detail: string) => new SpecError(400, 'MANIFEST_INVALID', 'manifest invalid', detail),
  manifestBlobUnknown: (digest: string) => new SpecError(400, 'MANIFEST_BLOB_UNKNOWN', 'blob unknown to registry', { digest }),
  nameInvalid: (name: string, why: string) => new SpecError(400, 'NAME_INVALID', 'invalid repository name', `${name}: ${why}`),
  nameUnknown: (name: string) => new SpecError(404, 'NAME_UNKNOWN', 'repository name not known to registry', { name }),
  tagInvalid: (tag: string) => new SpecError(400, 'TAG_INVALID', 'manifest tag did not match URI', { tag }),
  sizeInvalid: (detail: string) => new SpecError(400, 'SIZE_INVALID', 'provided length did not match content length', detail),
  unsupported: (detail: string) => new SpecError(405, 'UNSUPPORTED', 'The operation is unsupported.', detail),
};
