// /v2/<name>/blobs/uploads/: POST opens an upload (or mounts a blob from another repository, or
// takes a whole blob at once with ?digest=), PATCH appends (with Content-Range checked against
// what is there), PUT ?digest= closes it — the bytes are verified and moved into the content store
// — GET reports progress and DELETE cancels.
import { isDigest, parseDigest } from '../../digest.ts';
import { BerthError } from '../../errors.ts';
import { type ServerContext, discardBody, emptyStream } from './context.ts';
import { SpecError, specErrors } from './spec-error.ts';

function uploadHeaders(name: string, id: string, size: number, bodyless = true): Record<string, string> {
  const h: Record<string, string> = {
    Location: `/v2/${name}/blobs/uploads/${id}`,
    Range: `0-${Math.max(size - 1, 0)}`,
    'Docker-Upload-UUID': id,
  };
  if (bodyless) h['Content-Length'] = '0';
  return h;
}

function blobCreated(name: string, digest: string): Response {
  return new Response(null, {
    status: 201,
    headers: { Location: `/v2/${name}/blobs/${digest}`, 'Docker-Content-Digest': digest, 'Content-Length': '0' },
  });
}

function requireDigest(d: string | null): string {
  if (!d || !isDigest(d)) throw new SpecError(400, 'DIGEST_INVALID', 'provided digest did not match uploaded content', `invalid or missing digest ${JSON.stringify(d)}`);
  return d;
}

/** Moves verified content into the store and links it; a mismatch is DIGEST_INVALID and stores nothing. */
async function commit(ctx: ServerContext, name: string, digest: string, size: number | undefined, open: () => Promise<ReadableStream<Uint8Array>>): Promise<void> {
  const present = await ctx.blobs.info(digest);
  try {
    if (present) {
      // The store skips sources for blobs it has, but the client must still have sent the right bytes.
      const { algorithm } = parseDigest(digest);
      const h = ctx.hash(algorithm);
      let n = 0;
      const reader = (await open()).getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        h.update(value);
        n += value.byteLength;
      }
      const actual = `${algorithm}:${h.digest()}`;
      if (actual !== digest) throw new BerthError('digest_mismatch', `uploaded content has digest ${actual}`);
      if (size !== undefined && n !== size) throw new BerthError('digest_mismatch', `uploaded ${n} bytes, expected ${size}`);
    } else {
      await ctx.blobs.write(size !== undefined ? { digest, size } : { digest }, open);
    }
  } catch (e) {
    if (e instanceof BerthError && e.code === 'digest_mismatch') throw specErrors.digestInvalid(e.message);
    throw e;
  }
  const info = await ctx.blobs.info(digest);
  await ctx.repos.linkBlob(name, digest, info?.size ?? size ?? 0);
  await ctx.repos.touchRepo(name);
}

export async function startUpload(ctx: ServerContext, name: string, req: Request, url: URL, canMount: boolean): Promise<Response> {
  const mount = url.searchParams.get('mount');
  const from = url.searchParams.get('from');
  if (mount && from && isDigest(mount) && canMount) {
    if ((await ctx.repos.blob(from, mount)) && (await ctx.blobs.info(mount))) {
      await discardBody(req);
      const info = await ctx.blobs.info(mount);
      await ctx.repos.linkBlob(name, mount, info!.size);
      await ctx.repos.touchRepo(name);
      return blobCreated(name, mount);
    }
  }
  const digestParam = url.searchParams.get('digest');
  if (digestParam !== null) {
    // Monolithic upload in a single POST.
    const digest = requireDigest(digestParam);
    const body = req.body;
    const length = req.headers.get('content-length');
    await commit(ctx, name, digest, length !== null ? Number(length) : undefined, async () => body ?? emptyStream());
    return blobCreated(name, digest);
  }
  await discardBody(req);
  const id = crypto.randomUUID();
  await ctx.uploads.create(id);
  await ctx.repos.putUpload(id, { repo: name, startedAt: new Date().toISOString() });
  return new Response(null, { status: 202, headers: uploadHeaders(name, id, 0) });
}

async function requireUpload(ctx: ServerContext, name: string, id: string): Promise<number> {
  const state = await ctx.repos.upload(id);
  const size = await ctx.uploads.size(id);
  if (!state || state.repo !== name || size === undefined) throw specErrors.uploadUnknown(id);
  return size;
}

/** Appends the request body, checking Content-Range (`start-end`, inclusive) against the upload's size. */
async function append(ctx: ServerContext, name: string, id: string, req: Request, size: number): Promise<number> {
  const range = req.headers.get('content-range');
  const length = req.headers.get('content-length');
  if (range !== null) {
    const m = /^(?:bytes[ =])?(\d+)-(\d+)(?:\/(?:\d+|\*))?$/.exec(range.trim());
    if (!m) throw new SpecError(400, 'BLOB_UPLOAD_INVALID', 'blob upload invalid', `malformed Content-Range ${JSON.stringify(range)}`);
    const start = Number(m[1]);
    const end = Number(m[2]);
    if (start !== size || end < start) {
      await discardBody(req);
      throw new SpecError(416, 'BLOB_UPLOAD_INVALID', 'blob upload invalid',
        `Content-Range ${range} does not continue the upload, which has ${size} bytes`, uploadHeaders(name, id, size, false));
    }
    if (length !== null && Number(length) !== end - start + 1) {
      await discardBody(req);
      throw specErrors.sizeInvalid(`Content-Range ${range} is ${end - start + 1} bytes but Content-Length is ${length}`);
    }
  }
  if (!req.body) return size;
  let newSize: number;
  try {
    newSize = await ctx.uploads.append(id, size, req.body);
  } catch (e) {
    if (e instanceof BerthError && e.code === 'conflict') throw new SpecError(416, 'BLOB_UPLOAD_INVALID', 'blob upload invalid', e.message, uploadHeaders(name, id, size, false));
    throw e;
  }
  if (range !== null && newSize !== Number(/(\d+)-(\d+)/.exec(range)![2]) + 1) {
    throw specErrors.sizeInvalid(`Content-Range ${range} promised more bytes than the request carried`);
  }
  return newSize;
}

export async function patchUpload(ctx: ServerContext, name: string, id: string, req: Request): Promise<Response> {
  return ctx.lock(`upload:${id}`, async () => {
    const size = await requireUpload(ctx, name, id);
    const newSize = await append(ctx, name, id, req, size);
    return new Response(null, { status: 202, headers: uploadHeaders(name, id, newSize) });
  });
}

export async function finishUpload(ctx: ServerContext, name: string, id: string, req: Request, url: URL): Promise<Response> {
  return ctx.lock(`upload:${id}`, async () => {
    const size = await requireUpload(ctx, name, id);
    const digest = requireDigest(url.searchParams.get('digest'));
    const total = await append(ctx, name, id, req, size);
    try {
      await commit(ctx, name, digest, total, () => ctx.uploads.read(id));
    } finally {
      // A failed verification ends the upload too: the client starts over, as with distribution.
      await ctx.uploads.delete(id);
      await ctx.repos.deleteUpload(id);
    }
    return blobCreated(name, digest);
  });
}

export async function uploadStatus(ctx: ServerContext, name: string, id: string): Promise<Response> {
  const size = await requireUpload(ctx, name, id);
  return new Response(null, { status: 204, headers: uploadHeaders(name, id, size) });
}

export async function cancelUpload(ctx: ServerContext, name: string, id: string): Promise<Response> {
  return ctx.lock(`upload:${id}`, async () => {
    await requireUpload(ctx, name, id);
    await ctx.uploads.delete(id);
    await ctx.repos.deleteUpload(id);
    return new Response(null, { status: 204 });
  });
}
