// Errors as dockerd answers them: the status from the error's kind, body `{"message": ...}`.
// API versions before 1.24 got plain text; berth's floor is 1.24, so every answer is JSON.
import { BerthError } from '../errors.ts';
import { errorText } from '../system-error.ts';

export function errorResponse(e: unknown, version?: string): Response {
  const status = e instanceof BerthError ? e.status : 500;
  const message = errorText(e);
  // dockerd's MakeErrorHandler: versions <= 1.23 (e.g. a rejected /v1.12/) get text/plain.
  if (version && /^1\.(\d|1\d|2[0-3])$/.test(version)) {
    return new Response(message + '\n', { status, headers: { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff' } });
  }
  return Response.json({ message }, { status });
}

export function jsonResponse(body: unknown, status = 200): Response {
  return Response.json(body, { status });
}

export function noContent(status = 204): Response {
  return new Response(null, { status });
}
