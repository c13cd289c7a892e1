// A build stage's image config as dockerd's legacy builder changes it (builder/dockerfile
// dispatchers.go, evaluator.go): the config-only instructions applied with the variables each sees,
// their history entries (`/bin/sh -c #(nop)  ENV A=b`, empty_layer), and what the builder needs for a
// RUN step (its environment and `created_by`). Nothing runs here: the builder does the side effects.
import { BerthError } from '../errors.ts';
import type { ContainerConfig, HealthConfig, HistoryEntry } from '../image/types.ts';
import { parseSignal } from '../engine/containers/signals.ts';
import { parsePortSpec } from '../cli/run/ports.ts';
import { cleanPath } from './context/pattern-matcher.ts';
import { BuildArgs, envKey } from './build-args.ts';
import { expandWord, expandWords } from './dockerfile/expansion.ts';
import { parseDockerfile } from './dockerfile/parser.ts';
import {
  parseInstruction, type HealthConfig as HealthInstructionConfig, type Instruction, type RunInstruction,
} from './dockerfile/instructions.ts';
import { buildEnvs, type EscapeToken } from './dockerfile/shell-lex.ts';
import { goList, goQuoteList, healthcheckComment } from './history-text.ts';

export const DEFAULT_SHELL: readonly string[] = ['/bin/sh', '-c'];
/** What the legacy builder puts in a stage's Env when its base image sets no PATH (Linux). */
export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface StageConfigOptions {
  /** The build's arguments (--build-arg and the meta ARGs, see declareMetaArgs): the stage takes its own copy. */
  buildArgs?: BuildArgs;
  escapeToken?: EscapeToken;
  /** The Dockerfile's name, for error messages (`Dockerfile:7: ...`). */
  file?: string;
}

/** What one config-only instruction did. */
export interface ConfigStep {
  /** The image's new history entry, without `created` (the builder stamps it). */
  history: HistoryEntry;
  /**
   * The step's Cmd as the legacy builder commits it (the `#(nop)` comment through the SHELL): the image's
   * container_config.Cmd and its cache key; `created_by` is these words joined by spaces.
   */
  cmd: string[];
  /**
   * WORKDIR: the directory the builder must make, as dockerd does in a container it then commits: the
   * step is a layer when that changed the filesystem, else the builder marks the entry `empty_layer`.
   */
  makeDirectory?: string;
  /** A line dockerd prints for the step (`Note: overriding previous HEALTHCHECK: [...]`). */
  note?: string;
}

/** What the builder needs to run a RUN step in a container and commit it. */
export interface RunStep {
  /** The container's command: the stage's SHELL before a shell-form command line. */
  cmd: string[];
  /** The container's Env: the stage's ENV, then the ARGs it does not override. */
  env: string[];
  /**
   * The committed Cmd and the cache key: `['|2', 'A=1', 'B=2', ...cmd]` when build args are set (the
   * unreferenced proxy args left out), else `cmd`. The container_config's Entrypoint is null.
   */
  savedCmd: string[];
  /** The history entry, without `created`; the builder adds `empty_layer` when the step changed no file. */
  history: HistoryEntry;
}

/** What dockerd prints before running a base image's ONBUILD triggers. */
export function buildTriggersMessage(count: number): string {
  return `# Executing ${count} build trigger${count > 1 ? 's' : ''}\n`;
}

/** The config of one build stage, changed instruction by instruction. */
export class StageConfig {
  readonly config: ContainerConfig;
  readonly buildArgs: BuildArgs;
  /** MAINTAINER's text: the image's `author` and every later history entry's. */
  maintainer = '';
  private cmdSet = false;
  private readonly escapeToken: EscapeToken;
  private readonly file: string;

  /** `base` is the base image's config (undefined for `scratch`). */
  constructor(base: ContainerConfig | undefined | null, options: StageConfigOptions = {}) {
    this.config = structuredClone(base ?? {});
    this.buildArgs = (options.buildArgs ?? new BuildArgs()).forStage();
    this.escapeToken = options.escapeToken ?? '\\';
    this.file = options.file ?? 'Dockerfile';
    const env = this.config.Env ?? [];
    if (!env.some((e) => envKey(e) === 'PATH')) this.config.Env = [...env, `PATH=${DEFAULT_PATH}`];
  }

  /**
   * The base image's ONBUILD triggers, parsed, in order: the builder dispatches them right after FROM
   * (printing buildTriggersMessage). The stage's config keeps none of them.
   */
  takeOnBuildTriggers(): Instruction[] {
    const triggers = this.config.OnBuild ?? [];
    this.config.OnBuild = null;
    return triggers.map((trigger) => {
      const nodes = parseDockerfile(trigger, { file: `${this.file} (ONBUILD trigger)` }).nodes;
      if (nodes.length !== 1) throw invalid('onbuild trigger should be a single expression');
      const parsed = parseInstruction(nodes[0]!);
      if (!('kind' in parsed)) throw invalid(`${trigger.trim().split(/\s/)[0]} isn't allowed as an ONBUILD trigger`);
      return parsed;
    });
  }

  /** The variables an instruction expands with: the stage's ENV, then its ARGs that ENV does not set. */
  environment(): Map<string, string> {
    const env = this.config.Env ?? [];
    return buildEnvs([...env, ...this.buildArgs.filterAllowed(env)]);
  }

  /** One word expanded with environment(), as ENV, LABEL, WORKDIR, USER, COPY, ... expand theirs. */
  expand(word: string, line?: number): string {
    return expandWord(word, this.environment(), this.expandOptions(line));
  }

  /** Applies a config-only instruction. RUN, COPY and ADD are the builder's (see runStep). */
  apply(instruction: Instruction): ConfigStep {
    const line = instruction.location.startLine;
    const env = this.environment();
    const opts = this.expandOptions(line);
    const word = (w: string) => expandWord(w, env, opts);
    const c = this.config;
    switch (instruction.kind) {
      case 'env': {
        const pairs = instruction.env.map((p) => `${word(p.key)}=${word(p.value)}`);
        const next = [...(c.Env ?? [])];
        for (const pair of pairs) {
          const i = next.findIndex((e) => envKey(e) === envKey(pair));
          if (i >= 0) next[i] = pair;
          else next.push(pair);
        }
        c.Env = next;
        return this.commit(`ENV ${pairs.join(' ')}`);
      }
      case 'label': {
        const pairs = instruction.labels.map((p) => [word(p.key), word(p.value)] as const);
        c.Labels = { ...(c.Labels ?? {}) };
        for (const [k, v] of pairs) c.Labels[k] = v;
        return this.commit(`LABEL ${pairs.map(([k, v]) => `${k}=${v}`).join(' ')}`);
      }
      case 'maintainer':
        this.maintainer = instruction.maintainer;
        return this.commit(`MAINTAINER ${instruction.maintainer}`);
      case 'arg': {
        const args = instruction.args.map((a) => ({ key: a.key, value: a.value === undefined ? undefined : word(a.value) }));
        for (const a of args) this.buildArgs.addArg(a.key, a.value);
        return this.commit(`ARG ${args.map((a) => (a.value === undefined ? a.key : `${a.key}=${a.value}`)).join(' ')}`);
      }
      case 'workdir': {
        const requested = word(instruction.path);
        if (requested === '') throw this.error(line, 'cannot normalize nothing');
        c.WorkingDir = requested.startsWith('/') ? cleanPath(requested) : cleanPath(`/${c.WorkingDir ?? ''}/${requested}`);
        // One word after the #(nop), unlike the other instructions' two: dockerd kept it for old caches.
        const cmd = [...this.shell(), `#(nop) WORKDIR ${c.WorkingDir}`];
        return { cmd, history: this.history(cmd, false), makeDirectory: c.WorkingDir };
      }
      case 'user':
        c.User = word(instruction.user);
        return this.commit(`USER ${c.User}`);
      case 'expose': {
        const ports = instruction.ports.flatMap((p) => expandWords(p, env, opts));
        const exposed: Record<string, object> = { ...(c.ExposedPorts ?? {}) };
        for (const spec of ports) {
          let parsed;
          try {
            parsed = parsePortSpec(spec);
          } catch (e) {
            throw this.error(line, (e as Error).message);
          }
          for (const { port } of parsed) exposed[port] = {};
        }
        c.ExposedPorts = exposed;
        return this.commit(`EXPOSE ${ports.join(' ')}`);
      }
      case 'volume': {
        const volumes = instruction.volumes.map(word);
        if (volumes.some((v) => v === '')) throw this.error(line, 'VOLUME specified can not be an empty string');
        c.Volumes = { ...(c.Volumes ?? {}) };
        for (const v of volumes) c.Volumes[v] = {};
        return this.commit(`VOLUME ${goList(volumes)}`);
      }
      case 'stopsignal': {
        const signal = word(instruction.signal);
        try {
          parseSignal(signal);
        } catch (e) {
          throw this.error(line, (e as Error).message);
        }
        c.StopSignal = signal;
        return this.commit(`STOPSIGNAL ${signal}`);
      }
      case 'cmd': {
        const cmd = this.resolveCommandLine(instruction.cmdLine, instruction.prependShell);
        c.Cmd = cmd;
        delete c.ArgsEscaped;
        if (instruction.cmdLine.length !== 0) this.cmdSet = true;
        return this.commit(`CMD ${goQuoteList(cmd)}`);
      }
      case 'entrypoint': {
        const entrypoint = instruction.cmdLine.length === 0 && !instruction.prependShell
          ? null
          : this.resolveCommandLine(instruction.cmdLine, instruction.prependShell);
        c.Entrypoint = entrypoint;
        delete c.ArgsEscaped;
        // A new ENTRYPOINT drops the base image's CMD, unless this stage set one before it.
        if (!this.cmdSet) c.Cmd = null;
        return this.commit(`ENTRYPOINT ${goQuoteList(entrypoint)}`);
      }
      case 'healthcheck': {
        const old = c.Healthcheck?.Test;
        const note = old && old.length > 0 && old[0] !== 'NONE' ? `Note: overriding previous HEALTHCHECK: ${goList(old)}\n` : undefined;
        const health = healthConfig(instruction.health);
        const step = this.commit(healthcheckComment(health));
        // dockerd commits the step through a container created from the previous image, and creating it
        // merges that image's healthcheck into the step's config through a pointer the two share: the
        // options this HEALTHCHECK leaves unset keep the previous one's values (not in the history text).
        for (const k of ['Interval', 'Timeout', 'StartPeriod', 'StartInterval', 'Retries'] as const) {
          const inherited = c.Healthcheck?.[k];
          if (!health[k] && inherited) health[k] = inherited;
        }
        c.Healthcheck = health;
        return note ? { ...step, note } : step;
      }
      case 'shell':
        c.Shell = [...instruction.shell];
        return this.commit(`SHELL ${goList(c.Shell)}`);
      case 'onbuild':
        c.OnBuild = [...(c.OnBuild ?? []), instruction.expression];
        return this.commit(`ONBUILD ${instruction.expression}`);
      default:
        throw this.error(line, `${instruction.kind.toUpperCase()} is not a config-only instruction: the builder runs it`);
    }
  }

  /** A RUN step's command, environment and history, as the legacy builder derives them. */
  runStep(run: RunInstruction): RunStep {
    const cmd = this.resolveCommandLine(run.cmdLine, run.prependShell);
    const env = this.config.Env ?? [];
    const args = this.buildArgs.filterAllowed(env);
    let savedCmd = cmd;
    if (args.length > 0) {
      const shown = args.filter((a) => this.buildArgs.isReferencedOrNotBuiltin(envKey(a))).sort();
      savedCmd = [`|${shown.length}`, ...shown, ...cmd];
    }
    return { cmd, env: [...env, ...args], savedCmd, history: this.history(savedCmd, false) };
  }

  /** The SHELL shell-form commands run with. */
  shell(): string[] {
    return [...(this.config.Shell?.length ? this.config.Shell : DEFAULT_SHELL)];
  }

  private resolveCommandLine(cmdLine: readonly string[], prependShell: boolean): string[] {
    return prependShell ? [...this.shell(), ...cmdLine] : [...cmdLine];
  }

  private commit(comment: string): ConfigStep {
    const cmd = [...this.shell(), '#(nop) ', comment];
    return { cmd, history: this.history(cmd) };
  }

  private history(cmd: readonly string[], emptyLayer = true): HistoryEntry {
    return {
      ...(this.maintainer ? { author: this.maintainer } : {}),
      created_by: cmd.join(' '),
      ...(emptyLayer ? { empty_layer: true } : {}),
    };
  }

  private expandOptions(line?: number) {
    return { escapeToken: this.escapeToken, ...(line ? { at: `${this.file}:${line}` } : {}) };
  }

  private error(line: number, message: string): BerthError {
    return invalid(`${this.file}:${line}: ${message}`);
  }
}

function healthConfig(h: HealthInstructionConfig): HealthConfig {
  const out: HealthConfig = { Test: [...h.test] };
  if (h.interval) out.Interval = h.interval;
  if (h.timeout) out.Timeout = h.timeout;
  if (h.startPeriod) out.StartPeriod = h.startPeriod;
  if (h.startInterval) out.StartInterval = h.startInterval;
  if (h.retries) out.Retries = h.retries;
  return out;
}

function invalid(message: string): BerthError {
  return new BerthError('invalid_argument', message);
}
