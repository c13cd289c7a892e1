// Build arguments as dockerd's legacy builder tracks them (builder/dockerfile/buildargs.go): which ARGs
// a stage has declared so far, their values (`--build-arg` wins over the default, a meta ARG's value
// fills a redeclaration without default), and which `--build-arg`s the Dockerfile never consumed.
import type { ArgInstruction } from './dockerfile/instructions.ts';
import { expandWord } from './dockerfile/expansion.ts';
import type { EscapeToken } from './dockerfile/shell-lex.ts';

/**
 * Proxy settings usable without an ARG line. They are kept out of RUN's history (`created_by`) unless
 * the Dockerfile declares them, so the same image comes out behind any proxy.
 */
export const PREDEFINED_BUILD_ARGS: ReadonlySet<string> = new Set([
  'HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy', 'FTP_PROXY', 'ftp_proxy', 'NO_PROXY', 'no_proxy',
  'ALL_PROXY', 'all_proxy',
]);

/** `--build-arg` values; undefined for `--build-arg NAME` the client found no value for. */
export type BuildArgOptions = ReadonlyMap<string, string | undefined> | Readonly<Record<string, string | null | undefined>>;

export class BuildArgs {
  /** ARGs the current stage declared, with their defaults. */
  private allowed = new Map<string, string | undefined>();
  /** ARGs before the first FROM. */
  private readonly meta = new Map<string, string | undefined>();
  /** ARGs any built stage (or the meta section) declared: those `--build-arg`s were consumed. */
  private readonly referenced = new Set<string>();
  private readonly fromOptions: ReadonlyMap<string, string | undefined>;

  constructor(fromOptions: BuildArgOptions = new Map()) {
    this.fromOptions = fromOptions instanceof Map
      ? fromOptions
      : new Map(Object.entries(fromOptions).map(([k, v]) => [k, v ?? undefined]));
  }

  /** A stage's own copy: the meta ARGs and what was consumed so far, no declared ARGs yet. */
  forStage(): BuildArgs {
    const copy = new BuildArgs(this.fromOptions);
    for (const [k, v] of this.meta) copy.meta.set(k, v);
    for (const k of this.referenced) copy.referenced.add(k);
    return copy;
  }

  /** After a stage is built: what it consumed counts for the unused-arguments warning. */
  mergeReferenced(stage: BuildArgs): void {
    for (const k of stage.referenced) this.referenced.add(k);
  }

  addArg(key: string, value: string | undefined): void {
    this.allowed.set(key, value);
    this.referenced.add(key);
  }

  addMetaArg(key: string, value: string | undefined): void {
    this.meta.set(key, value);
  }

  /** A predefined proxy ARG the stage did not declare is left out of RUN's `created_by`. */
  isReferencedOrNotBuiltin(key: string): boolean {
    return this.allowed.has(key) || !PREDEFINED_BUILD_ARGS.has(key);
  }

  /** The declared ARGs (and given proxy args) that have a value, sorted by name. */
  allAllowed(): Map<string, string> {
    return this.valuesOf(this.allowed);
  }

  /** The meta ARGs (and given proxy args) with a value: what FROM lines expand with. */
  allMeta(): Map<string, string> {
    return this.valuesOf(this.meta);
  }

  /** `KEY=value` for each allowed ARG that `env` (the config's Env) does not set: ENV wins over ARG. */
  filterAllowed(env: readonly string[]): string[] {
    const set = new Set(env.map((e) => envKey(e)));
    return [...this.allAllowed()].filter(([k]) => !set.has(k)).map(([k, v]) => `${k}=${v}`);
  }

  /** `--build-arg`s no built stage declared (proxy args never count), sorted. */
  unused(): string[] {
    return [...this.fromOptions.keys()].filter((k) => !this.referenced.has(k) && !PREDEFINED_BUILD_ARGS.has(k)).sort();
  }

  /** dockerd's warning line for unused build args, or undefined when all were consumed. */
  unusedWarning(): string | undefined {
    const unused = this.unused();
    return unused.length ? `[Warning] One or more build-args [${unused.join(' ')}] were not consumed\n` : undefined;
  }

  private valuesOf(source: ReadonlyMap<string, string | undefined>): Map<string, string> {
    const out = new Map<string, string>();
    const keys = [...new Set([...source.keys(), ...PREDEFINED_BUILD_ARGS])].sort();
    for (const key of keys) {
      const v = this.value(key, source);
      if (v !== undefined) out.set(key, v);
    }
    return out;
  }

  private value(key: string, source: ReadonlyMap<string, string | undefined>): string | undefined {
    const given = this.fromOptions.get(key);
    if (given !== undefined) return given;
    const declared = source.get(key);
    // No default: a meta ARG of that name supplies it (`ARG V=1` / `FROM x` / `ARG V`).
    if (declared === undefined) return this.meta.get(key);
    return declared;
  }
}

/**
 * The ARGs before the first FROM, in order: each default expanded with the ones before it (and the
 * proxy args given), then declared both for FROM lines and as consumed.
 */
export function declareMetaArgs(metaArgs: readonly ArgInstruction[], args: BuildArgs, escapeToken: EscapeToken = '\\', file = 'Dockerfile'): void {
  for (const meta of metaArgs) {
    const env = args.allAllowed();
    const at = `${file}:${meta.location.startLine}`;
    const values = meta.args.map((a) => (a.value === undefined ? undefined : expandWord(a.value, env, { escapeToken, at })));
    meta.args.forEach((a, i) => {
      args.addArg(a.key, values[i]);
      args.addMetaArg(a.key, values[i]);
    });
  }
}

export function envKey(entry: string): string {
  const i = entry.indexOf('=');
  return i < 0 ? entry : entry.slice(0, i);
}
