// /v2/<name>/manifests/<reference>: GET and HEAD by tag or digest, PUT (validated: every blob
// and child manifest it names must be in the repository), DELETE by digest (and by tag).
import { digestBytes, isDigest, parseDigest } from '../../digest.ts';
import { isValidTag } from '../../reference/reference.ts';
import { type ServerContext, readBody } from './context.ts';
import { checkManifest } from './manifest-check.ts';
import { SpecError, specErrors } from './spec-error.ts';

export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

async function resolve(ctx: ServerContext, name: string, reference: string): Promise<{ digest: string; mediaType: string }> {
  checkReferenceShape(reference);
  let digest = reference;
  if (!isDigest(reference)) {
    if (!isValidTag(reference)) throw specErrors.tagInvalid(reference);
    const d = await ctx.repos.tag(name, reference);
    if (!d) throw specErrors.manifestUnknown(reference);
    digest = d;
  }
  const mediaType = await ctx.repos.manifest(name, digest);
  if (!mediaType) throw specErrors.manifestUnknown(reference);
  return { digest, mediaType };
}

export async function getManifest(ctx: ServerContext, name: string, reference: string, head: boolean): Promise<Response> {
  const { digest, mediaType } = await resolve(ctx, name, reference);
  const info = await ctx.blobs.info(digest);
  if (!info) throw specErrors.manifestUnknown(reference);
  const headers = {
    'Content-Type': mediaType, 'Docker-Content-Digest': digest, 'Content-Length': String(info.size), ETag: `"${digest}"`,
  };
  if (head) return new Response(null, { status: 200, headers });
  return new Response((await ctx.blobs.readBytes(digest)) as BodyInit, { status: 200, headers });
}

export async function putManifest(ctx: ServerContext, name: string, reference: string, req: Request): Promise<Response> {
  checkReferenceShape(reference);
  const byDigest = isDigest(reference);
  if (!byDigest && !isValidTag(reference)) throw specErrors.tagInvalid(reference);
  const bytes = await readBody(req, MAX_MANIFEST_BYTES, 'manifest');
  const algorithm = byDigest ? parseDigest(reference).algorithm : 'sha256';
  const digest = digestBytes(ctx.hash, bytes, algorithm);
  if (byDigest && digest !== reference) throw specErrors.digestInvalid(`manifest digest is ${digest}, not ${reference}`);
  const checked = checkManifest(bytes, req.headers.get('content-type'));

  for (const b of checked.blobs) {
    if (!(await ctx.repos.blob(name, b)) || !(await ctx.blobs.info(b))) throw specErrors.manifestBlobUnknown(b);
  }
  for (const m of checked.manifests) {
    if (!(await ctx.repos.manifest(name, m)) || !(await ctx.blobs.info(m))) throw specErrors.manifestBlobUnknown(m);
  }
  await ctx.blobs.write({ digest, size: bytes.byteLength }, bytes);
  await ctx.repos.linkManifest(name, digest, checked.mediaType);
  if (checked.subject) {
    await ctx.repos.addReferrer(name, checked.subject, {
      mediaType: checked.mediaType, digest, size: bytes.byteLength,
      ...(checked.artifactType ? { artifactType: checked.artifactType } : {}),
      ...(checked.annotations ? { annotations: checked.annotations } : {}),
    });
  }
  if (!byDigest) await ctx.lock(`tag:${name}`, () => ctx.repos.setTag(name, reference, digest));
  await ctx.repos.touchRepo(name);
  const headers: Record<string, string> = {
    Location: `/v2/${name}/manifests/${digest}`, 'Docker-Content-Digest': digest, 'Content-Length': '0',
  };
  if (checked.subject) headers['OCI-Subject'] = checked.subject;
  return new Response(null, { status: 201, headers });
}

export async function deleteManifest(ctx: ServerContext, name: string, reference: string): Promise<Response> {
  checkReferenceShape(reference);
  if (!isDigest(reference)) {
    // Deleting a tag (distribution spec 1.1) leaves the manifest in place.
    if (!isValidTag(reference)) throw specErrors.tagInvalid(reference);
    if (!(await ctx.repos.tag(name, reference))) throw specErrors.manifestUnknown(reference);
    await ctx.lock(`tag:${name}`, () => ctx.repos.deleteTag(name, reference));
    return new Response(null, { status: 202 });
  }
  const mediaType = await ctx.repos.manifest(name, reference);
  if (!mediaType) throw specErrors.manifestUnknown(reference);
  await ctx.lock(`tag:${name}`, async () => {
    for (const t of await ctx.repos.tags(name)) if (t.digest === reference) await ctx.repos.deleteTag(name, t.tag);
  });
  try {
    const bytes = await ctx.blobs.readBytes(reference);
    const subject = (JSON.parse(new TextDecoder().decode(bytes)) as { subject?: { digest?: string } }).subject?.digest;
    if (subject) await ctx.repos.removeReferrer(name, subject, reference);
  } catch { /* a manifest we cannot read has no referrer entry worth keeping */ }
  await ctx.repos.unlinkManifest(name, reference);
  return new Response(null, { status: 202 });
}

function checkReferenceShape(reference: string): void {
  if (reference.includes(':') && !isDigest(reference)) {
    throw new SpecError(400, 'DIGEST_INVALID', 'provided digest did not match uploaded content', `invalid digest ${reference}`);
  }
}
