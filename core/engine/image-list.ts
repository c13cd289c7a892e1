// GET /images/json: the summaries `docker images` prints, with dockerd's filters (dangling, label,
// before, since, until, reference) and the `all` rule for intermediate images.
import type { ImageRecord, ImageStore } from '../metadata/image-store.ts';
import { familiarName, familiarString, parseReference } from '../reference/reference.ts';
import { BerthError } from '../errors.ts';
import { pathMatch } from './glob.ts';

export type ImageFilters = Map<string, string[]>;

export const IMAGE_LIST_FILTERS = ['dangling', 'label', 'before', 'since', 'until', 'reference'] as const;

export interface ImageSummary {
  Containers: number;
  Created: number;
  Id: string;
  Labels: Record<string, string> | null;
  ParentId: string;
  RepoDigests: string[];
  RepoTags: string[];
  SharedSize: number;
  Size: number;
  VirtualSize?: number;
}

export interface ListOptions {
  all?: boolean;
  filters?: ImageFilters;
  /** Labels of each image (from its config), looked up only when a label filter needs them or for output. */
  labels: (rec: ImageRecord) => Promise<Record<string, string> | null>;
  /** Number of containers using an image, when the caller counts them (system df); -1 otherwise. */
  containers?: (id: string) => number;
  sharedSize?: (rec: ImageRecord) => number;
  /** API versions before 1.44 also get VirtualSize. */
  virtualSize?: boolean;
  now?: () => Date;
}

export function unixSeconds(iso: string): number {
  const t = Date.parse(iso);
  return Number.isNaN(t) || t < 0 ? 0 : Math.floor(t / 1000);
}

function boolValue(filters: ImageFilters, key: string): boolean | undefined {
  const values = filters.get(key);
  if (!values?.length) return undefined;
  const v = values[values.length - 1]!.toLowerCase();
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw invalidFilterValue(key, values);
}

/** moby's invalidFilter error for a bad value: Go prints the value list as `[a b]`. */
export function invalidFilterValue(key: string, values: readonly string[]): BerthError {
  return new BerthError('invalid_argument', `invalid filter '${key}=[${values.join(' ')}]'`);
}

function parseUntil(v: string, now: Date): number {
  if (/^\d+(\.\d+)?$/.test(v)) return Number(v) * 1000;
  const d = /^(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)$/.exec(v);
  if (d) {
    const mult: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
    return now.getTime() - Number(d[1]) * mult[d[2]!]!;
  }
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw new BerthError('invalid_argument', `failed to parse value as time or duration: "${v}"`);
  return t;
}

function labelMatches(labels: Record<string, string> | null, expr: string): boolean {
  const i = expr.indexOf('=');
  if (!labels) return false;
  if (i < 0) return expr in labels;
  const key = expr.slice(0, i);
  return key in labels && labels[key] === expr.slice(i + 1);
}

export async function listImages(store: ImageStore, opts: ListOptions): Promise<ImageSummary[]> {
  const filters: ImageFilters = opts.filters ?? new Map();
  for (const key of filters.keys()) {
    if (!(IMAGE_LIST_FILTERS as readonly string[]).includes(key)) throw new BerthError('invalid_argument', `invalid filter '${key}'`);
  }
  const now = (opts.now ?? (() => new Date()))();
  const records = await store.list();
  const dangling = boolValue(filters, 'dangling');
  const resolveBound = async (key: string): Promise<number | undefined> => {
    const values = filters.get(key);
    if (!values?.length) return undefined;
    const rec = await store.resolve(values[values.length - 1]!);
    return Date.parse(rec.created);
  };
  const before = await resolveBound('before');
  const since = await resolveBound('since');
  const untilValues = filters.get('until');
  const until = untilValues?.length ? parseUntil(untilValues[untilValues.length - 1]!, now) : undefined;
  const references: string[] = filters.get('reference') ?? [];
  const labelFilters: string[] = filters.get('label') ?? [];
  const parents = new Set(records.map((r) => r.parent).filter((p): p is string => !!p));

  const out: ImageSummary[] = [];
  for (const rec of records) {
    const created = Date.parse(rec.created);
    if (before !== undefined && !(created < before)) continue;
    if (since !== undefined && !(created > since)) continue;
    if (until !== undefined && !(created < until)) continue;
    const isDangling = rec.repoTags.length === 0;
    if (dangling === true && !isDangling) continue;
    if (dangling === false && isDangling) continue;
    // Without `all`, intermediate images of local builds (untagged parents) are hidden.
    if (!opts.all && isDangling && parents.has(rec.id)) continue;
    let repoTags = rec.repoTags.map((r) => familiarString(parseReference(r)));
    let repoDigests = rec.repoDigests.map((r) => familiarString(parseReference(r)));
    if (references.length) {
      const match = (full: string) => {
        const ref = parseReference(full);
        return references.some((p) => pathMatch(p, familiarString(ref)) || pathMatch(p, familiarName(ref)));
      };
      const tags = rec.repoTags.filter(match);
      const digests = rec.repoDigests.filter(match);
      if (!tags.length && !digests.length) continue;
      repoTags = tags.map((r) => familiarString(parseReference(r)));
      repoDigests = digests.map((r) => familiarString(parseReference(r)));
    }
    const labels = await opts.labels(rec);
    if (labelFilters.length && !labelFilters.every((expr) => labelMatches(labels, expr))) continue;
    const summary: ImageSummary = {
      Containers: opts.containers ? opts.containers(rec.id) : -1,
      Created: unixSeconds(rec.created),
      Id: rec.id,
      Labels: labels,
      ParentId: rec.parent ?? '',
      RepoDigests: repoDigests,
      RepoTags: repoTags,
      SharedSize: opts.sharedSize ? opts.sharedSize(rec) : -1,
      Size: rec.size,
    };
    if (opts.virtualSize) summary.VirtualSize = rec.size;
    out.push(summary);
  }
  return out;
}
