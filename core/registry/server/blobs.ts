// /v2/<name>/blobs/<digest>: GET (with Range), HEAD, DELETE. A repository only serves blobs it
// links to. Deleting unlinks; the content store's own garbage collection owns the bytes.
import { isDigest } from '../../digest.ts';
import type { ServerContext } from './context.ts';
import { SpecError, specErrors } from './spec-error.ts';

function checkDigest(digest: string): void {
  if (!isDigest(digest)) throw new SpecError(400, 'DIGEST_INVALID', 'provided digest did not match uploaded content', `invalid digest ${digest}`);
}

/** `bytes=a-b`, `bytes=a-`, `bytes=-n` against `size`; undefined for none, 'unsatisfiable' for a bad one. */
export function parseRange(header: string | null, size: number): { start: number; end: number } | undefined | 'unsatisfiable' {
  if (!header) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return 'unsatisfiable';
  let start: number;
  let end: number;
  if (m[1] === '') {
    const n = Number(m[2]);
    if (n === 0) return 'unsatisfiable';
    start = Math.max(0, size - n);
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (start >= size || start > end) return 'unsatisfiable';
  return { start, end };
}

/** The bytes [start, end] of a stream. */
function slice(stream: ReadableStream<Uint8Array>, start: number, end: number): ReadableStream<Uint8Array> {
  const reader = stream.getReader();
  let pos = 0;
  return new ReadableStream<Uint8Array>({
    async pull(c) {
      for (;;) {
        if (pos > end) { c.close(); await reader.cancel().catch(() => {}); return; }
        const { done, value } = await reader.read();
        if (done) { c.close(); return; }
        const chunkStart = pos;
        pos += value.byteLength;
        const from = Math.max(start - chunkStart, 0);
        const to = Math.min(end + 1 - chunkStart, value.byteLength);
        if (to > from) { c.enqueue(value.subarray(from, to)); return; }
      }
    },
    cancel(reason) { return reader.cancel(reason); },
  });
}

export async function getBlob(ctx: ServerContext, name: string, digest: string, req: Request, head: boolean): Promise<Response> {
  checkDigest(digest);
  if (!(await ctx.repos.blob(name, digest))) throw specErrors.blobUnknown(digest);
  const info = await ctx.blobs.info(digest);
  if (!info) throw specErrors.blobUnknown(digest);
  const headers: Record<string, string> = {
    'Content-Type': 'application/octet-stream', 'Docker-Content-Digest': digest, 'Accept-Ranges': 'bytes',
    ETag: `"${digest}"`, 'Cache-Control': 'max-age=31536000',
  };
  const range = head ? undefined : parseRange(req.headers.get('range'), info.size);
  if (range === 'unsatisfiable') {
    return new Response(null, { status: 416, headers: { ...headers, 'Content-Range': `bytes */${info.size}` } });
  }
  if (head) return new Response(null, { status: 200, headers: { ...headers, 'Content-Length': String(info.size) } });
  const stream = await ctx.blobs.read(digest);
  if (!range) return new Response(stream, { status: 200, headers: { ...headers, 'Content-Length': String(info.size) } });
  return new Response(slice(stream, range.start, range.end), {
    status: 206,
    headers: { ...headers, 'Content-Length': String(range.end - range.start + 1), 'Content-Range': `bytes ${range.start}-${range.end}/${info.size}` },
  });
}

export async function deleteBlob(ctx: ServerContext, name: string, digest: string): Promise<Response> {
  checkDigest(digest);
  if (!(await ctx.repos.blob(name, digest))) throw specErrors.blobUnknown(digest);
  await ctx.repos.unlinkBlob(name, digest);
  return new Response(null, { status: 202, headers: { 'Content-Length': '0', 'Docker-Content-Digest': digest } });
}
