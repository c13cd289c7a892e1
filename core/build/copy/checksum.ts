// The content checksum a COPY/ADD step's cache key carries (BuildKit's idea of a content-based cache
// key): one digest over every entry of the plan in its fixed order — path, type, mode, owner, size, link
// target and the digest of the bytes. mtimes are left out on purpose, so touching a file without changing
// it still hits the cache, as it does in Docker.
import type { HashFactory } from '../../host.ts';
import { digestBytes, type Digest } from '../../digest.ts';
import type { CopyPlan, PlanEntry } from './plan.ts';

export async function copyChecksum(plan: CopyPlan, hash: HashFactory): Promise<Digest> {
  const total = hash('sha256');
  const utf8 = new TextEncoder();
  for (const entry of plan.entries) {
    const fields = [
      entry.path, entry.type, entry.mode.toString(8), String(entry.uid), String(entry.gid), String(entry.size),
      entry.linkname, String(entry.devmajor), String(entry.devminor), await contentDigest(plan, entry, hash),
    ];
    // NUL cannot occur in a path, so no two different entries give the same record.
    total.update(utf8.encode(fields.join('\0') + '\n'));
  }
  return `sha256:${total.digest()}`;
}

async function contentDigest(plan: CopyPlan, entry: PlanEntry, hash: HashFactory): Promise<string> {
  const { content } = entry;
  if (content.kind === 'none') return '';
  if (content.kind === 'bytes') return digestBytes(hash, content.data);
  // An archive is keyed by its bytes as they are in the context, compressed or not.
  const h = hash('sha256');
  const reader = (await plan.context.read(content.path)).getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    h.update(value);
  }
  return `sha256:${h.digest()}`;
}
