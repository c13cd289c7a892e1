// Builds berth's built-in images (busybox, hello-world, hello-wasm) into an OCI image layout, reproducibly and
// offline apart from Debian's package archive. Run at set-up:
//   node --import tsx host-linux/builtin/make-images.ts --out build/images [--cache build/cache]
// SOURCE_DATE_EPOCH, when set, pins every timestamp; otherwise busybox takes its Debian package's build date and
// the others a fixed date, so the same inputs always give the same digests.
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import type { Descriptor } from '../../core/image/types.ts';
import { busyboxApplets, busyboxImage } from './busybox-image.ts';
import { debianPackage } from './debian-package.ts';
import { helloWasmImage } from './hello-wasm-image.ts';
import { helloWorldImage } from './hello-world-image.ts';
import { OciLayout } from './oci-layout.ts';
import { writeImageIndex, writePlatformImage, type PlatformImageSpec } from './platform-image.ts';
import { BUILTIN_REFS } from './refs.ts';

/** The date of hello-world and hello-wasm when SOURCE_DATE_EPOCH is not set: their sources' own. */
const DEFAULT_SOURCE_DATE = new Date('2026-01-01T00:00:00Z');

export interface MakeImagesOptions {
  out: string;
  /** Downloaded and unpacked .debs; default: `cache` beside `out`. */
  cache?: string;
  /** Pins every timestamp (seconds since the epoch, as SOURCE_DATE_EPOCH). */
  sourceDateEpoch?: number;
  log?: (line: string) => void;
}

export interface BuiltImage {
  ref: string;
  /** The image index the ref points to. */
  index: Descriptor;
  /** Its per-platform manifests (with `platform`). */
  manifests: Descriptor[];
}

export function sourceDateFromEnv(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const v = env.SOURCE_DATE_EPOCH;
  if (v === undefined || v === '') return undefined;
  if (!/^\d+$/.test(v)) throw new Error(`SOURCE_DATE_EPOCH must be a whole number of seconds, not ${JSON.stringify(v)}`);
  return Number(v);
}

export async function makeBuiltinImages(opts: MakeImagesOptions): Promise<BuiltImage[]> {
  const out = resolve(opts.out);
  const cache = resolve(opts.cache ?? join(dirname(out), 'cache'));
  const log = opts.log ?? (() => {});
  const pinned = opts.sourceDateEpoch !== undefined ? new Date(opts.sourceDateEpoch * 1000) : undefined;
  const layout = new OciLayout(out);
  await layout.init();

  const [bbAmd64, bb386] = await Promise.all([
    debianPackage('busybox-static', 'amd64', cache),
    debianPackage('busybox-static', 'i386', cache),
  ]);
  const applets = await busyboxApplets(join(bbAmd64.root, 'bin', 'busybox'));
  const helloDate = pinned ?? DEFAULT_SOURCE_DATE;

  const specs: { ref: string; platforms: PlatformImageSpec[] }[] = [
    {
      ref: BUILTIN_REFS.busybox,
      platforms: await Promise.all([
        busyboxImage(bbAmd64, applets, { os: 'linux', architecture: 'amd64' }, pinned),
        busyboxImage(bb386, applets, { os: 'linux', architecture: '386' }, pinned),
      ]),
    },
    {
      ref: BUILTIN_REFS.helloWorld,
      platforms: await Promise.all([helloWorldImage('amd64', helloDate), helloWorldImage('386', helloDate)]),
    },
    { ref: BUILTIN_REFS.helloWasm, platforms: [await helloWasmImage(helloDate)] },
  ];

  const built: BuiltImage[] = [];
  for (const { ref, platforms } of specs) {
    const manifests: Descriptor[] = [];
    for (const p of platforms) manifests.push(await writePlatformImage(layout, p));
    const index = await writeImageIndex(layout, manifests);
    built.push({ ref, index, manifests });
    for (const m of manifests) log(`${ref} ${m.platform!.os}/${m.platform!.architecture} ${m.digest}`);
  }
  await layout.setRefs(built.map((b) => ({ name: b.ref, descriptor: b.index })));
  await layout.collectGarbage();
  log(`wrote ${built.length} images to ${out}`);
  return built;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { out: { type: 'string' }, cache: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help || !values.out) {
    const usage = 'usage: make-images.ts --out DIR [--cache DIR]\nBuilds the built-in images (busybox, hello-world, hello-wasm) into an OCI layout at DIR.';
    (values.help ? console.log : console.error)(usage);
    process.exit(values.help ? 0 : 2);
  }
  const sourceDateEpoch = sourceDateFromEnv();
  await makeBuiltinImages({
    out: values.out,
    ...(values.cache ? { cache: values.cache } : {}),
    ...(sourceDateEpoch !== undefined ? { sourceDateEpoch } : {}),
    log: (l) => console.log(l),
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((e) => {
    console.error(`make-images: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  });
}
