// `docker build` with the legacy builder's API and output: the Dockerfile read from the context and
// parsed, the stages the target needs found, independent ones built at the same time (their output
// kept in stage order, as if built one after the other), the result tagged, and dockerd's JSON
// messages (`Step 1/5 : FROM busybox`, ` ---> Using cache`, `Successfully built ...`) along the way.
import { BerthError } from '../errors.ts';
import { shortId } from '../digest.ts';
import type { ProgressSink } from '../engine/json-message.ts';
import { familiarString, parseReference, referenceString, withDefaultTag, type Reference } from '../reference/reference.ts';
import { parseDockerfile } from './dockerfile/parser.ts';
import { parseInstructions, type Instruction, type LabelInstruction, type Stage } from './dockerfile/instructions.ts';
import type { EscapeToken } from './dockerfile/shell-lex.ts';
import { checkCopyFrom, expandWord } from './dockerfile/expansion.ts';
import { parseRunMount } from './dockerfile/run-mount.ts';
import { BuildArgs, declareMetaArgs } from './build-args.ts';
import type { BuildContext } from './context/build-context.ts';
import { BuildSession, type BuildOptions, type BuildServices } from './build-session.ts';
import { StageBuilder } from './stage-builder.ts';
import type { BuildImage } from './image-writer.ts';
import { OrderedOutput } from './ordered-output.ts';

export type { BuildOptions, BuildServices } from './build-session.ts';

/** A build checked and ready to run: what is wrong with the Dockerfile or the options was thrown before. */
export interface PreparedBuild {
  /** Builds the image; returns its ID. Progress and the result go to `emit`; a failure is thrown. */
  run(emit: ProgressSink, signal?: AbortSignal): Promise<string>;
}

/** Reads and checks the Dockerfile, the tags and the target (dockerd answers these with an HTTP error). */
export async function prepareBuild(services: BuildServices, context: BuildContext, options: BuildOptions): Promise<PreparedBuild> {
  const tags = options.tags.map(parseTag);
  const file = options.dockerfile || 'Dockerfile';
  const text = await readDockerfile(context, file);
  const parsed = parseDockerfile(text, { file });
  const dockerfile = parseInstructions(parsed, file);
  if (dockerfile.stages.length === 0) throw new BerthError('invalid_argument', `${file}: the Dockerfile has no FROM: a build needs at least one stage`);
  checkStageNames(dockerfile.stages, file);
  // COPY --from names a stage or an image as written, in every stage, built or not (BuildKit's check).
  for (const stage of dockerfile.stages) {
    for (const c of stage.commands) if (c.kind === 'copy' && c.from) checkCopyFrom(c.from, { escapeToken: parsed.escapeToken, at: `${file}:${c.location.startLine}` });
  }

  const buildArgs = new BuildArgs(options.buildArgs);
  declarePlatformArgs(buildArgs, services.platform);
  declareMetaArgs(dockerfile.metaArgs, buildArgs, parsed.escapeToken, file);
  const epoch = sourceDateEpoch(options.buildArgs.SOURCE_DATE_EPOCH ?? undefined);

  const session = new BuildSession(services, context, options, file, dockerfile.stages, epoch);
  session.escapeToken = parsed.escapeToken;
  await session.loadCacheSources();

  const target = targetStage(session, options.target);
  const commands = new Map<number, Instruction[]>(dockerfile.stages.map((s, i) => [i, s.commands]));
  commands.set(target, [...commands.get(target)!, ...labelInstructions(options.labels, parsed.escapeToken)]);
  const needed = neededStages(session, target, buildArgs);
  // dockerd counts the ARGs before the first FROM as steps (with nothing to show but their line).
  let step = 1 + dockerfile.metaArgs.length;
  const firstSteps = new Map<number, number>();
  for (const i of needed) {
    firstSteps.set(i, step);
    step += 1 + commands.get(i)!.length;
  }
  session.totalSteps = step - 1;

  const metaSteps = dockerfile.metaArgs.map((a, i) => `Step ${i + 1}/${session.totalSteps} : ${a.original}`);
  return { run: (emit, signal) => runBuild(session, { buildArgs, commands, needed, firstSteps, target, tags, metaSteps }, emit, signal) };
}

interface BuildPlan {
  buildArgs: BuildArgs;
  commands: Map<number, Instruction[]>;
  needed: number[];
  firstSteps: Map<number, number>;
  target: number;
  tags: Reference[];
  metaSteps: string[];
}

async function runBuild(session: BuildSession, plan: BuildPlan, emit: ProgressSink, signal?: AbortSignal): Promise<string> {
  const { services, options, stages } = session;
  const { buildArgs, commands, needed, firstSteps, target, tags } = plan;
  const abort = new AbortController();
  const onAbort = () => abort.abort();
  signal?.addEventListener('abort', onAbort);
  session.signal = abort.signal;
  const output = new OrderedOutput(needed, (m) => { if (!options.quiet) emit(m); });
  for (const line of plan.metaSteps) {
    output.write(needed[0]!, { stream: line });
    output.write(needed[0]!, { stream: '\n' });
  }
  session.startStage = (index) => {
    let result = session.stageResults.get(index);
    if (!result) {
      const stageOut = { stream: (t: string) => output.write(index, { stream: t }) };
      const builder = new StageBuilder(session, stages[index]!, index, firstSteps.get(index) ?? 1, stageOut, buildArgs);
      result = builder.build(commands.get(index)!).then(
        (image) => {
          // dockerd ends each stage but the last with its image's ID.
          if (index !== target) output.write(index, { aux: { ID: image.id } });
          output.finish(index);
          return image;
        },
        (e: unknown) => { output.finish(index); throw e; },
      );
      session.stageResults.set(index, result);
    }
    return result;
  };

  let image: BuildImage;
  try {
    const all = needed.map((i) => session.startStage(i));
    // One failed stage stops the others (their RUN containers are killed); all settle before the
    // build answers, so no container of it is left behind.
    all.forEach((p) => p.catch(() => abort.abort()));
    const settled = await Promise.allSettled(all);
    const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    image = await session.startStage(target);
  } finally {
    signal?.removeEventListener('abort', onAbort);
    output.flushAll();
  }

  for (const ref of tags) {
    await services.images.opts.store.tag(image.id, referenceString(ref));
    services.containers.opts.events.publish('image', 'tag', image.id, { name: familiarString(ref) });
  }
  emit({ aux: { ID: image.id } });
  if (options.quiet) {
    emit({ stream: `${image.id}\n` });
    return image.id;
  }
  const unused = buildArgs.unusedWarning();
  if (unused) emit({ stream: unused });
  emit({ stream: `Successfully built ${shortId(image.id)}\n` });
  for (const ref of tags) emit({ stream: `Successfully tagged ${familiarString(ref)}\n` });
  return image.id;
}

function parseTag(tag: string): Reference {
  let ref: Reference;
  try {
    ref = parseReference(tag);
  } catch {
    throw new BerthError('invalid_argument', `invalid reference format: repository name must be lowercase: "${tag}"`);
  }
  if (ref.digest !== undefined) throw new BerthError('invalid_argument', `refusing to create a tag with a digest reference: ${tag}`);
  return withDefaultTag(ref);
}

async function readDockerfile(context: BuildContext, file: string): Promise<string> {
  let name = file.replace(/^\.?\/+/, '');
  let st = await context.lstat(name).catch(() => undefined);
  // dockerd falls back to `dockerfile` when the default name is missing.
  if (!st && name === 'Dockerfile') {
    st = await context.lstat('dockerfile').catch(() => undefined);
    if (st) name = 'dockerfile';
  }
  if (!st || st.type !== 'file') throw new BerthError('invalid_argument', `Cannot locate specified Dockerfile: ${file}`);
  return new Response(await context.read(name)).text();
}

function checkStageNames(stages: readonly Stage[], file: string): void {
  const seen = new Set<string>();
  for (const s of stages) {
    if (s.name === '') continue;
    if (seen.has(s.name)) throw new BerthError('invalid_argument', `${file}:${s.location.startLine}: duplicate stage name "${s.name}": each AS name can be used once`);
    seen.add(s.name);
  }
}

function targetStage(session: BuildSession, target: string): number {
  if (!target) return session.stages.length - 1;
  const i = session.stages.findIndex((s) => s.name === target.toLowerCase());
  if (i < 0) throw new BerthError('invalid_argument', `failed to reach build target ${target} in Dockerfile`);
  return i;
}

/** The target and the stages it reaches through FROM, COPY --from and RUN --mount from=, in order. */
function neededStages(session: BuildSession, target: number, args: BuildArgs): number[] {
  const meta = args.allMeta();
  const expand = (w: string) => {
    try {
      return expandWord(w, meta, { escapeToken: session.escapeToken });
    } catch {
      return w;
    }
  };
  const needed = new Set<number>();
  const visit = (i: number) => {
    if (needed.has(i)) return;
    needed.add(i);
    const stage = session.stages[i]!;
    const refs = [expand(stage.baseName)];
    for (const c of stage.commands) {
      if (c.kind === 'copy' && c.from) refs.push(c.from);
      if (c.kind === 'run') {
        for (const spec of c.mountSpecs) {
          try {
            const m = parseRunMount(spec, expand);
            if (m.from) refs.push(m.from);
          } catch { /* reported when the step runs */ }
        }
      }
    }
    for (const r of refs) {
      const dep = session.stageIndex(r, i);
      if (dep !== undefined) visit(dep);
    }
  };
  visit(target);
  return [...needed].sort((a, b) => a - b);
}

/**
 * `--label`s as dockerd adds them: a `LABEL k=v` step per label, by key, at the end of the target stage, their
 * text taken as it is (escaped here so the stage's expansion gives it back unchanged).
 */
function labelInstructions(labels: Record<string, string>, escapeToken: EscapeToken): Instruction[] {
  const literal = (w: string) => w.replace(/[\\`$"']/g, (c) => escapeToken + c);
  return Object.keys(labels).sort().map((key): LabelInstruction => ({
    kind: 'label',
    labels: [{ key: literal(key), value: literal(labels[key]!) }],
    original: `LABEL ${key}=${labels[key]}`,
    location: { startLine: 0, endLine: 0 },
  }));
}

function sourceDateEpoch(value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  if (!/^\d+$/.test(value)) throw new BerthError('invalid_argument', `invalid SOURCE_DATE_EPOCH: ${JSON.stringify(value)}: it must be a number of seconds since 1970-01-01`);
  return Number(value);
}

/** BuildKit's automatic platform ARGs (TARGETARCH, BUILDPLATFORM, ...): in FROM lines, and in stages that declare them. */
function declarePlatformArgs(args: BuildArgs, p: BuildServices['platform']): void {
  const platform = `${p.os}/${p.architecture}${p.variant ? `/${p.variant}` : ''}`;
  for (const prefix of ['TARGET', 'BUILD']) {
    args.addMetaArg(`${prefix}PLATFORM`, platform);
    args.addMetaArg(`${prefix}OS`, p.os);
    args.addMetaArg(`${prefix}ARCH`, p.architecture);
    args.addMetaArg(`${prefix}VARIANT`, p.variant ?? '');
  }
}
