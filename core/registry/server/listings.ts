// Listings: tags of a repository, the catalog of repositories (both paginated with `n` and `last`,
// and a `Link: <...>; rel="next"` header when more follow), and the OCI referrers of a manifest.
import { isDigest } from '../../digest.ts';
import { MediaType } from '../../image/media-types.ts';
import type { ServerContext } from './context.ts';
import { SpecError, specErrors } from './spec-error.ts';

function page(all: string[], url: URL, path: string): { items: string[]; link?: string } {
  const nParam = url.searchParams.get('n');
  const last = url.searchParams.get('last');
  let items = last !== null ? all.filter((x) => x > last) : all;
  if (nParam === null || nParam === '') return { items };
  const n = Number(nParam);
  if (!Number.isInteger(n) || n < 0) throw new SpecError(400, 'UNSUPPORTED', 'invalid number of results requested', `n=${nParam}`);
  const more = items.length > n;
  items = items.slice(0, n);
  if (!more || !items.length) return { items };
  const q = new URLSearchParams({ n: String(n), last: items[items.length - 1]! });
  return { items, link: `<${path}?${q}>; rel="next"` };
}

function json(body: unknown, link?: string): Response {
  const headers: Record<string, string> = { 'Content-Type': 'application/json; charset=utf-8' };
  if (link) headers.Link = link;
  return new Response(JSON.stringify(body), { status: 200, headers });
}

export async function listTags(ctx: ServerContext, name: string, url: URL): Promise<Response> {
  if (!(await ctx.repos.repoExists(name))) throw specErrors.nameUnknown(name);
  const tags = (await ctx.repos.tags(name)).map((t) => t.tag);
  const { items, link } = page(tags, url, `/v2/${name}/tags/list`);
  return json({ name, tags: items }, link);
}

export async function catalog(ctx: ServerContext, url: URL): Promise<Response> {
  const { items, link } = page(await ctx.repos.repos(), url, '/v2/_catalog');
  return json({ repositories: items }, link);
}

export async function referrers(ctx: ServerContext, name: string, digest: string, url: URL): Promise<Response> {
  if (!isDigest(digest)) throw new SpecError(400, 'DIGEST_INVALID', 'provided digest did not match uploaded content', `invalid digest ${digest}`);
  const artifactType = url.searchParams.get('artifactType');
  let manifests = await ctx.repos.referrers(name, digest);
  if (artifactType) manifests = manifests.filter((m) => m.artifactType === artifactType);
  const headers: Record<string, string> = { 'Content-Type': MediaType.OCIIndex };
  if (artifactType) headers['OCI-Filters-Applied'] = 'artifactType';
  return new Response(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OCIIndex, manifests }), { status: 200, headers });
}
