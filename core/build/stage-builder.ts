// One build stage, instruction by instruction, as dockerd's legacy builder dispatches them: each step
// probes the cache (a child of the current image made by the same step) and otherwise makes the step's
// image — config-only steps without a container, COPY/ADD straight from their sources, RUN in a
// container that is committed. Every step's image is stored whole under an undoable lease, so a failure
// leaves the images of the steps before it (the cache) and nothing half-written.
import { BerthError } from '../errors.ts';
import type { ContainerConfig, Descriptor, HistoryEntry, ImageConfig } from '../image/types.ts';
import { shortId } from '../digest.ts';
import { undoably } from '../engine/undoable-lease.ts';
import type { Mount } from '../engine/containers/types.ts';
import type { AddInstruction, CopyInstruction, Instruction, RunInstruction, Stage } from './dockerfile/instructions.ts';
import { expandHeredoc, expandWord, expandWords } from './dockerfile/expansion.ts';
import { parseHeredoc } from './dockerfile/heredoc.ts';
import { chompHeredocContent } from './dockerfile/parser.ts';
import { parseRunMount, type RunMount } from './dockerfile/run-mount.ts';
import { StageConfig, buildTriggersMessage } from './stage-config.ts';
import { planCopy, type CopyPlan, type DestStat } from './copy/plan.ts';
import { copyChecksum } from './copy/checksum.ts';
import { writeCopyLayer } from './copy/layer.ts';
import { findCachedStep, findInCacheSources } from './build-cache.ts';
import { loadBuildImage, storeStepLayer, writeStepImage, type BuildImage } from './image-writer.ts';
import { runInContainer } from './run-container.ts';
import type { BuildContext } from './context/build-context.ts';
import type { RootfsView } from './build-host.ts';
import type { BuildSession } from './build-session.ts';
import type { BuildArgs } from './build-args.ts';

/** Where a stage writes its part of the build's output. */
export interface StageOutput {
  stream(text: string): void;
}

export class StageBuilder {
  private image!: BuildImage;
  private config!: StageConfig;
  private step: number;

  constructor(
    private readonly session: BuildSession,
    private readonly stage: Stage,
    private readonly index: number,
    /** The number of this stage's FROM in the build's `Step N/M`. */
    firstStep: number,
    private readonly out: StageOutput,
    private readonly buildArgs: BuildArgs,
  ) {
    this.step = firstStep;
  }

  /** Builds the stage; resolves with its final image. */
  async build(commands: readonly Instruction[]): Promise<BuildImage> {
    await this.from();
    const triggers = this.config.takeOnBuildTriggers();
    if (triggers.length) {
      this.out.stream(buildTriggersMessage(triggers.length));
      for (const trigger of triggers) await this.dispatch(trigger, false);
    }
    for (const instruction of commands) await this.dispatch(instruction, true);
    if (!this.image.id) await this.commitConfigOnly(this.image.config); // FROM scratch alone: an empty image
    this.buildArgs.mergeReferenced(this.config.buildArgs);
    return this.image;
  }

  private header(original: string): void {
    this.out.stream(`Step ${this.step++}/${this.session.totalSteps} : ${original}`);
    this.out.stream('\n');
  }

  private async from(): Promise<void> {
    const s = this.session;
    this.header(this.stage.original);
    const name = expandWord(this.stage.baseName, this.buildArgs.allMeta(), { escapeToken: s.escapeToken, at: `${s.file}:${this.stage.location.startLine}` });
    if (name === '') throw new BerthError('invalid_argument', `${s.file}:${this.stage.location.startLine}: base name (${this.stage.baseName}) should not be blank`);
    this.checkPlatform(this.stage.platform);
    this.image = await s.baseImage(name, this.index, this.out);
    this.config = new StageConfig(this.image.config.config, { buildArgs: this.buildArgs, escapeToken: s.escapeToken, file: s.file });
    // dockerd prints an empty ID for scratch.
    this.out.stream(` ---> ${this.image.id ? shortId(this.image.id) : ''}\n`);
  }

  /** `FROM --platform`: berth runs the host's platform only (no emulation), so another is refused up front. */
  private checkPlatform(written: string): void {
    if (!written) return;
    const s = this.session;
    const wanted = expandWord(written, this.buildArgs.allMeta(), { escapeToken: s.escapeToken }).toLowerCase();
    const p = s.services.platform;
    const [os, arch, variant] = wanted.split('/');
    if (os === p.os && (arch === undefined || arch === p.architecture) && (variant === undefined || variant === (p.variant ?? ''))) return;
    throw new BerthError('unsupported', `${s.file}:${this.stage.location.startLine}: FROM --platform=${wanted}: berth builds for ${p.os}/${p.architecture} only (it does not emulate other platforms)`);
  }

  private async dispatch(instruction: Instruction, counted: boolean): Promise<void> {
    this.session.checkCancelled();
    if (counted) this.header(instruction.original);
    switch (instruction.kind) {
      case 'run': return this.run(instruction);
      case 'copy': case 'add': return this.copy(instruction);
      default: return this.configStep(instruction);
    }
  }

  private async configStep(instruction: Exclude<Instruction, RunInstruction | CopyInstruction | AddInstruction>): Promise<void> {
    const step = this.config.apply(instruction);
    if (step.note) this.out.stream(step.note);
    const probe: ContainerConfig = { ...this.config.config, Cmd: step.cmd };
    if (await this.fromCache(probe)) return;
    await this.commit(probe, step.history, step.makeDirectory ? await this.directoryLayer(step.makeDirectory) : undefined);
  }

  private async run(instruction: RunInstruction): Promise<void> {
    const s = this.session;
    const env = this.config.environment();
    const at = { escapeToken: s.escapeToken, at: `${s.file}:${instruction.location.startLine}` };
    const mounts = instruction.mountSpecs.map((spec) => parseRunMount(spec, (w) => expandWord(w, env, at)));
    const step = this.config.runStep(withHeredocScript(instruction));
    const flags = [...instruction.mountSpecs.map((m) => `--mount=${m}`), ...(instruction.network !== 'default' ? [`--network=${instruction.network}`] : [])];
    const probe: ContainerConfig & { BerthRunFlags?: string[] } = { ...this.config.config, Cmd: step.savedCmd, Entrypoint: null };
    if (flags.length) probe.BerthRunFlags = flags;
    if (await this.fromCache(probe)) return;
    if (!this.image.id) await this.commitConfigOnly(this.image.config);

    const releases: (() => Promise<void>)[] = [];
    try {
      const hostMounts: Mount[] = [];
      const tmpfs: Record<string, string> = {};
      for (const m of mounts) await this.runMount(m, hostMounts, tmpfs, releases);
      const script = await this.shebangScript(instruction, hostMounts, releases);
      const result = await runInContainer(s.containers, {
        imageId: this.image.id,
        config: this.config.config,
        cmd: script ?? step.cmd,
        env: step.env,
        networkMode: instruction.network === 'default' ? s.networkMode : instruction.network,
        mounts: hostMounts,
        tmpfs,
        ...(s.options.shmSize ? { shmSize: s.options.shmSize } : {}),
        ...(s.sourceDateEpoch !== undefined ? { sourceDateEpoch: s.sourceDateEpoch } : {}),
      }, {
        started: (id) => this.out.stream(` ---> Running in ${shortId(id)}\n`),
        write: (text) => this.out.stream(text),
      }, s.signal);
      this.out.stream(`Removing intermediate container ${shortId(result.containerId)}\n`);
      await this.commit(probe, step.history, result.layer);
    } finally {
      for (const r of releases) await r().catch(() => {});
    }
  }

  private async runMount(m: RunMount, mounts: Mount[], tmpfs: Record<string, string>, releases: (() => Promise<void>)[]): Promise<void> {
    const s = this.session;
    const target = m.target.startsWith('/') ? m.target : `${this.config.config.WorkingDir || '/'}/${m.target}`.replace(/\/+/g, '/');
    switch (m.type) {
      case 'tmpfs':
        tmpfs[target] = m.sizeLimit ? `size=${m.sizeLimit}` : '';
        return;
      case 'cache': {
        if (!s.host.cacheDirectory) throw new BerthError('unsupported', 'RUN --mount=type=cache is not supported on this host');
        const dir = await s.host.cacheDirectory(m.cacheId || target);
        releases.push(async () => dir.release());
        mounts.push({ Type: 'bind', Source: dir.path, Target: target, ReadOnly: m.readOnly });
        return;
      }
      case 'bind': {
        let source: string | undefined;
        const path = m.source.replace(/^\/+/, '') || '.';
        if (m.from) {
          const view = await s.rootfsOf(m.from, this.out);
          releases.push(() => view.close());
          if (view.hostPath) source = `${view.hostPath}/${path}`;
        } else {
          source = s.host.contextHostPath?.(s.context, path);
          if (source && !(await s.context.lstat(path))) throw new BerthError('invalid_argument', `failed to compute cache key: "/${path}" not found`);
        }
        if (!source) throw new BerthError('unsupported', 'RUN --mount=type=bind is not supported on this host');
        mounts.push({ Type: 'bind', Source: source, Target: target, ReadOnly: m.readOnly });
        return;
      }
      default:
        throw new BerthError('unsupported', `RUN --mount=type=${m.type} needs a BuildKit session, which the /build API does not have: pass files through the build context instead`);
    }
  }

  /** A heredoc script starting with `#!` runs as a file, as BuildKit runs it (from /dev/pipes). */
  private async shebangScript(instruction: RunInstruction, mounts: Mount[], releases: (() => Promise<void>)[]): Promise<string[] | undefined> {
    const file = instruction.files[0];
    if (!file || !instruction.prependShell || !parseHeredoc(instruction.cmdLine[0] ?? '') || !file.data.startsWith('#!')) return undefined;
    const host = this.session.host;
    if (!host.scriptFile) throw new BerthError('unsupported', 'a RUN heredoc with a #! line is not supported on this host');
    const script = await host.scriptFile(file.chomp ? chompHeredocContent(file.data) : file.data);
    releases.push(() => script.release());
    const target = `/dev/pipes/${file.name}`;
    mounts.push({ Type: 'bind', Source: script.path, Target: target, ReadOnly: true });
    return [target];
  }

  private async copy(instruction: CopyInstruction | AddInstruction): Promise<void> {
    const s = this.session;
    const env = this.config.environment();
    const opts = { escapeToken: s.escapeToken, at: `${s.file}:${instruction.location.startLine}` };
    const word = (w: string) => expandWord(w, env, opts);
    const expanded = {
      ...instruction,
      sources: instruction.sources.flatMap((src) => expandWords(src, env, opts)),
      dest: word(instruction.dest),
      chown: word(instruction.chown),
      chmod: word(instruction.chmod),
      sourceContents: instruction.sourceContents.map((f) => (f.expand ? { ...f, data: expandHeredoc(f.data, env, opts) } : f)),
    } as CopyInstruction | AddInstruction;
    const from = expanded.kind === 'copy' ? expanded.from : '';
    const views: RootfsView[] = [];
    try {
      let context: BuildContext = s.context;
      if (from) {
        const view = await s.rootfsOf(from, this.out);
        views.push(view);
        context = view.context;
      }
      const here = await s.host.openRootfs(this.image.config.rootfs.diff_ids, this.image.layers);
      views.push(here);
      const plan = await planCopy(expanded, {
        context,
        workdir: this.config.config.WorkingDir || '/',
        hash: s.hash,
        codecs: s.codecs,
        ...(s.host.fetch ? { fetch: s.host.fetch } : {}),
        readEtc: (name) => readText(here.context, `etc/${name}`),
        lookupDest: (path) => destStat(here.context, path),
        preserveOwnership: !!from && expanded.chown === '',
        ...(s.sourceDateEpoch !== undefined ? { sourceDateEpoch: s.sourceDateEpoch } : {}),
        now: s.stepTime(),
      });
      const checksum = await copyChecksum(plan, s.hash);
      const kind = await sourceKind(expanded, context);
      const cmd = [...this.config.shell(), `#(nop) ${expanded.kind.toUpperCase()} ${kind}:${checksum.slice(7)} in ${expanded.dest} `];
      const probe: ContainerConfig = { ...this.config.config, Cmd: cmd };
      if (await this.fromCache(probe)) return;
      const layer = await this.layerOf(plan);
      const history: HistoryEntry = { ...(this.config.maintainer ? { author: this.config.maintainer } : {}), created_by: cmd.join(' ') };
      await this.commit(probe, history, layer);
    } finally {
      for (const v of views) await v.close().catch(() => {});
    }
  }

  private async layerOf(plan: CopyPlan): Promise<Descriptor | undefined> {
    if (plan.entries.length === 0) return undefined;
    return storeStepLayer(this.session.imageDeps, writeCopyLayer(plan));
  }

  /** WORKDIR's directory (and missing parents, root-owned 0755) as a layer, or nothing when it exists. */
  private async directoryLayer(dir: string): Promise<Descriptor | undefined> {
    const view = await this.session.host.openRootfs(this.image.config.rootfs.diff_ids, this.image.layers);
    try {
      const parts = dir.split('/').filter(Boolean);
      const missing: string[] = [];
      for (let i = 1; i <= parts.length; i++) {
        const path = parts.slice(0, i).join('/');
        const st = await destStat(view.context, `/${path}`);
        if (st && st.type === 'symlink') return undefined; // dockerd's MkdirAll follows it: nothing to add here
        if (!st) missing.push(path);
      }
      if (!missing.length) return undefined;
      const mtime = this.session.stepTime();
      const plan: CopyPlan = {
        entries: missing.map((path) => ({ path, type: 'directory', mode: 0o755, uid: 0, gid: 0, size: 0, mtime, linkname: '', devmajor: 0, devminor: 0, content: { kind: 'none' } })),
        context: view.context, codecs: undefined, sourceDateEpoch: this.session.sourceDateEpoch,
      };
      return await this.layerOf(plan);
    } finally {
      await view.close().catch(() => {});
    }
  }

  /** A cache hit becomes the stage's image: `Using cache`. */
  private async fromCache(probe: ContainerConfig): Promise<boolean> {
    const s = this.session;
    if (s.options.noCache) return false;
    const hit = await findCachedStep(s.imageDeps.store, (id) => s.images.config(id), this.image.id, probe);
    if (hit) {
      this.image = await loadBuildImage(s.imageDeps, hit, await s.images.config(hit.id));
    } else {
      const restored = s.cacheSources.length
        ? await undoably(s.imageDeps.store, () => findInCacheSources(s.imageDeps, s.cacheSources, this.image, probe))
        : undefined;
      if (!restored) return false;
      this.image = restored;
    }
    this.out.stream(' ---> Using cache\n');
    this.out.stream(` ---> ${shortId(this.image.id)}\n`);
    return true;
  }

  /** The step's image; a step without a layer is marked `empty_layer` in its history entry. */
  private async commit(probe: ContainerConfig, history: HistoryEntry, layer: Descriptor | undefined): Promise<void> {
    const s = this.session;
    const created = s.stepTime().toISOString().replace('.000Z', 'Z');
    const base = this.image.config;
    const config: ImageConfig = {
      architecture: base.architecture,
      os: base.os,
      ...(base.variant ? { variant: base.variant } : {}),
      ...(this.config.maintainer ? { author: this.config.maintainer } : {}),
      created,
      config: { ...this.config.config },
      container_config: probe,
      rootfs: { type: 'layers', diff_ids: layer ? [...base.rootfs.diff_ids, layer.digest] : [...base.rootfs.diff_ids] },
      history: [...(base.history ?? []), { created, ...history, ...(layer ? {} : { empty_layer: true }) }],
    };
    this.image = await undoably(s.imageDeps.store, () => writeStepImage(s.imageDeps, this.image, config, layer));
    this.out.stream(` ---> ${shortId(this.image.id)}\n`);
  }

  /** A scratch stage's first RUN needs an image to start from, and an empty stage is one. */
  private async commitConfigOnly(config: ImageConfig): Promise<void> {
    const s = this.session;
    this.image = await undoably(s.imageDeps.store, () => writeStepImage(s.imageDeps, this.image, { ...config, config: { ...this.config.config } }));
  }
}

/** BuildKit's RUN heredocs: `RUN <<EOF` runs the body with the shell; `RUN cmd <<EOF` gives the shell the whole text. */
function withHeredocScript(run: RunInstruction): RunInstruction {
  if (run.files.length === 0 || !run.prependShell || run.cmdLine.length !== 1) return run;
  const first = run.files[0]!;
  const data = (f: { data: string; chomp: boolean }) => (f.chomp ? chompHeredocContent(f.data) : f.data);
  if (parseHeredoc(run.cmdLine[0]!)) return { ...run, cmdLine: [data(first)] };
  let full = run.cmdLine[0]!;
  for (const file of run.files) full += `\n${file.data}${file.name}`;
  return { ...run, cmdLine: [full] };
}

/** What dockerd's COPY history calls its sources: `file:`, `dir:` or `multi:`. */
async function sourceKind(inst: CopyInstruction | AddInstruction, context: BuildContext): Promise<'file' | 'dir' | 'multi'> {
  if (inst.sources.length + inst.sourceContents.length > 1) return 'multi';
  const source = inst.sources[0];
  if (source === undefined || /^[a-z]+:\/\//i.test(source)) return 'file';
  try {
    return (await context.lstat(source.replace(/^\/+/, '') || '.'))?.type === 'directory' ? 'dir' : 'file';
  } catch {
    return 'file';
  }
}

async function readText(ctx: BuildContext, path: string): Promise<string | null> {
  const st = await ctx.lstat(path);
  if (!st || st.type !== 'file') return null;
  return new Response(await ctx.read(path)).text();
}

async function destStat(ctx: BuildContext, path: string): Promise<DestStat | undefined> {
  const st = await ctx.lstat(path.replace(/^\/+/, '') || '.');
  if (!st) return undefined;
  return { type: st.type, mode: st.mode, uid: st.uid, gid: st.gid, mtime: st.mtime, ...(st.type === 'symlink' ? { linkname: st.linkname } : {}) };
}
