// What the stages of one build share: the services, the options, the step count, and the stages' results,
// so a stage that names another (FROM, COPY --from, RUN --mount from=) waits for it rather than building
// it twice. Base images come from the local store, pulled when missing or asked to (`--pull`).
import { BerthError, isNotFound } from '../errors.ts';
import type { Codecs, HashFactory } from '../host.ts';
import type { ImageConfig } from '../image/types.ts';
import type { ImageRecord } from '../metadata/image-store.ts';
import type { ImageService } from '../engine/image-service.ts';
import type { ImageDeps } from '../engine/store-image.ts';
import type { ContainerService } from '../engine/containers/service.ts';
import type { Credentials } from '../auth/credentials.ts';
import type { BuildContext } from './context/build-context.ts';
import type { BuildHost, RootfsView } from './build-host.ts';
import type { Stage } from './dockerfile/instructions.ts';
import type { EscapeToken } from './dockerfile/shell-lex.ts';
import type { StageOutput } from './stage-builder.ts';
import { parseReference } from '../reference/reference.ts';
import type { CacheSource } from './build-cache.ts';
import { loadBuildImage, type BuildImage } from './image-writer.ts';

export interface BuildOptions {
  /** The Dockerfile's path in the context. */
  dockerfile: string;
  tags: string[];
  /** `--build-arg`: null for a name the client found no value for. */
  buildArgs: Record<string, string | null>;
  labels: Record<string, string>;
  target: string;
  noCache: boolean;
  pull: boolean;
  quiet: boolean;
  /** The RUN containers' network: `bridge` unless given (`default` means that too). */
  networkMode: string;
  shmSize?: number;
  /** `--cache-from` images (local; one that is not is skipped, as dockerd skips it). */
  cacheFrom?: string[];
  /** Credentials for pulling base images, by registry (X-Registry-Config). */
  credentials?: (domain: string) => Credentials | undefined;
}

export interface BuildServices {
  containers: ContainerService;
  images: ImageService;
  host: BuildHost;
  /** The platform `FROM scratch` stages are for. */
  platform: { os: string; architecture: string; variant?: string };
  now?: () => Date;
}

export class BuildSession {
  totalSteps = 0;
  escapeToken: EscapeToken = '\\';
  readonly stageResults = new Map<number, Promise<BuildImage>>();
  cacheSources: CacheSource[] = [];
  /** Aborted when the client goes away or another stage failed. */
  signal: AbortSignal | undefined;
  /** Starts a needed stage (or joins it): set by the builder. */
  startStage!: (index: number) => Promise<BuildImage>;

  constructor(
    readonly services: BuildServices,
    readonly context: BuildContext,
    readonly options: BuildOptions,
    readonly file: string,
    readonly stages: readonly Stage[],
    readonly sourceDateEpoch: number | undefined,
  ) {}

  get containers(): ContainerService { return this.services.containers; }
  get images(): ImageService { return this.services.images; }
  get host(): BuildHost { return this.services.host; }
  get imageDeps(): ImageDeps { return this.services.images.opts; }
  get hash(): HashFactory { return this.imageDeps.hash; }
  get codecs(): Codecs { return this.imageDeps.codecs; }
  get networkMode(): string { return !this.options.networkMode || this.options.networkMode === 'default' ? 'bridge' : this.options.networkMode; }

  /** A step's `created` time: SOURCE_DATE_EPOCH when given, so the same inputs give the same image. */
  stepTime(): Date {
    if (this.sourceDateEpoch !== undefined) return new Date(this.sourceDateEpoch * 1000);
    return new Date(Math.floor((this.services.now ?? (() => new Date()))().getTime()));
  }

  checkCancelled(): void {
    if (this.signal?.aborted) throw new BerthError('invalid_argument', 'the build was cancelled');
  }

  /** Reads the --cache-from images. */
  async loadCacheSources(): Promise<void> {
    for (const name of this.options.cacheFrom ?? []) {
      const rec = await this.images.resolve(name).catch(() => undefined);
      if (!rec) continue;
      const image = await loadBuildImage(this.imageDeps, rec, await this.images.config(rec.id));
      this.cacheSources.push(image);
    }
  }

  /** The stage a name refers to (its `AS` name, or its index), when it is an earlier stage than `before`. */
  stageIndex(name: string, before = this.stages.length): number | undefined {
    const lower = name.toLowerCase();
    const byName = this.stages.findIndex((s, i) => i < before && s.name !== '' && s.name === lower);
    if (byName >= 0) return byName;
    if (/^\d+$/.test(name) && Number(name) < before) return Number(name);
    return undefined;
  }

  /** FROM's image: an earlier stage's result, scratch, or an image (pulled when missing, or with --pull). */
  async baseImage(name: string, stageIndex: number, out: StageOutput): Promise<BuildImage> {
    const stage = this.stageIndex(name, stageIndex);
    if (stage !== undefined) return this.startStage(stage);
    if (name.toLowerCase() === 'scratch') {
      const p = this.services.platform;
      const config: ImageConfig = { architecture: p.architecture, os: p.os, ...(p.variant ? { variant: p.variant } : {}), config: {}, rootfs: { type: 'layers', diff_ids: [] } };
      return { id: '', config, layers: [] };
    }
    return this.image(name, out);
  }

  /** The files of a stage or an image, for COPY --from and RUN --mount from=. */
  async rootfsOf(from: string, out: StageOutput): Promise<RootfsView> {
    const stage = this.stageIndex(from);
    const image = stage !== undefined ? await this.startStage(stage) : await this.image(from, out);
    return this.host.openRootfs(image.config.rootfs.diff_ids, image.layers);
  }

  private readonly pulled = new Map<string, Promise<ImageRecord>>();

  private async image(name: string, out: StageOutput): Promise<BuildImage> {
    let rec: ImageRecord | undefined;
    if (!this.options.pull) rec = await this.images.resolve(name).catch((e: unknown) => { if (isNotFound(e)) return undefined; throw e; });
    if (!rec) {
      let pull = this.pulled.get(name);
      if (!pull) {
        pull = this.pull(name, out);
        this.pulled.set(name, pull);
      }
      rec = await pull;
    }
    return loadBuildImage(this.imageDeps, rec, await this.images.config(rec.id));
  }

  private async pull(name: string, out: StageOutput): Promise<ImageRecord> {
    const domain = parseReference(name).domain;
    const credentials = this.options.credentials?.(domain);
    const rec = await this.images.pull({ fromImage: name, ...(credentials ? { credentials } : {}), ...(this.signal ? { signal: this.signal } : {}) }, (m) => {
      if (m.status && !m.progressDetail) out.stream(`${m.id ? `${m.id}: ` : ''}${m.status}\n`);
    });
    if (!rec) throw new BerthError('not_found', `pull access denied for ${name}, repository does not exist or may require 'docker login'`);
    return rec;
  }
}
