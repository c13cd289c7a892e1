// The registry's repositories kept in a MetadataStore beside the engine's own keys: which
// repositories exist, their tags, and which manifests and blobs each one links to (content lives
// once in the BlobStore; a repository only sees what it links, as in distribution).
import type { MetadataStore } from '../../metadata/kv.ts';

const enc = new TextEncoder();
const dec = new TextDecoder();

// Repository names never contain ':' or '@', so these prefixes cannot run into another repository's keys.
const REPO = 'registry/repo/';
const TAG = 'registry/tag/';
const MANIFEST = 'registry/manifest/';
const BLOB = 'registry/blob/';
const REFERRER = 'registry/referrer/';
const UPLOAD = 'registry/upload/';

export interface UploadState { repo: string; startedAt: string }

export class RepoStore {
  constructor(private readonly meta: MetadataStore) {}

  async touchRepo(repo: string): Promise<void> {
    if (!(await this.meta.get(REPO + repo))) await this.meta.put(REPO + repo, enc.encode('{}'));
  }

  async repoExists(repo: string): Promise<boolean> {
    return (await this.meta.get(REPO + repo)) !== undefined;
  }

  async repos(): Promise<string[]> {
    return (await this.meta.keys(REPO)).map((k) => k.slice(REPO.length)).sort();
  }

  async tag(repo: string, tag: string): Promise<string | undefined> {
    const v = await this.meta.get(`${TAG}${repo}:${tag}`);
    return v && dec.decode(v);
  }

  async setTag(repo: string, tag: string, digest: string): Promise<void> {
    await this.meta.put(`${TAG}${repo}:${tag}`, enc.encode(digest));
  }

  async deleteTag(repo: string, tag: string): Promise<void> {
    await this.meta.delete(`${TAG}${repo}:${tag}`);
  }

  /** Tags of a repository with the digests they point to, sorted by tag. */
  async tags(repo: string): Promise<{ tag: string; digest: string }[]> {
    const prefix = `${TAG}${repo}:`;
    const out: { tag: string; digest: string }[] = [];
    for (const k of await this.meta.keys(prefix)) {
      const v = await this.meta.get(k);
      if (v) out.push({ tag: k.slice(prefix.length), digest: dec.decode(v) });
    }
    return out.sort((a, b) => (a.tag < b.tag ? -1 : a.tag > b.tag ? 1 : 0));
  }

  /** The media type of a manifest the repository links to. */
  async manifest(repo: string, digest: string): Promise<string | undefined> {
    const v = await this.meta.get(`${MANIFEST}${repo}@${digest}`);
    return v && dec.decode(v);
  }

  async linkManifest(repo: string, digest: string, mediaType: string): Promise<void> {
    await this.meta.put(`${MANIFEST}${repo}@${digest}`, enc.encode(mediaType));
  }

  async unlinkManifest(repo: string, digest: string): Promise<void> {
    await this.meta.delete(`${MANIFEST}${repo}@${digest}`);
  }

  async blob(repo: string, digest: string): Promise<boolean> {
    return (await this.meta.get(`${BLOB}${repo}@${digest}`)) !== undefined;
  }

  async linkBlob(repo: string, digest: string, size: number): Promise<void> {
    await this.meta.put(`${BLOB}${repo}@${digest}`, enc.encode(String(size)));
  }

  async unlinkBlob(repo: string, digest: string): Promise<void> {
    await this.meta.delete(`${BLOB}${repo}@${digest}`);
  }

  async addReferrer(repo: string, subject: string, descriptor: { digest: string } & Record<string, unknown>): Promise<void> {
    await this.meta.put(`${REFERRER}${repo}@${subject}@${descriptor.digest}`, enc.encode(JSON.stringify(descriptor)));
  }

  async removeReferrer(repo: string, subject: string, digest: string): Promise<void> {
    await this.meta.delete(`${REFERRER}${repo}@${subject}@${digest}`);
  }

  async referrers(repo: string, subject: string): Promise<Record<string, unknown>[]> {
    const out: Record<string, unknown>[] = [];
    for (const k of await this.meta.keys(`${REFERRER}${repo}@${subject}@`)) {
      const v = await this.meta.get(k);
      if (v) out.push(JSON.parse(dec.decode(v)) as Record<string, unknown>);
    }
    return out;
  }

  async upload(id: string): Promise<UploadState | undefined> {
    const v = await this.meta.get(UPLOAD + id);
    return v && (JSON.parse(dec.decode(v)) as UploadState);
  }

  async putUpload(id: string, state: UploadState): Promise<void> {
    await this.meta.put(UPLOAD + id, enc.encode(JSON.stringify(state)));
  }

  async deleteUpload(id: string): Promise<void> {
    await this.meta.delete(UPLOAD + id);
  }

  async uploads(): Promise<{ id: string; state: UploadState }[]> {
    const out: { id: string; state: UploadState }[] = [];
    for (const k of await this.meta.keys(UPLOAD)) {
      const state = await this.upload(k.slice(UPLOAD.length));
      if (state) out.push({ id: k.slice(UPLOAD.length), state });
    }
    return out;
  }
}
