// The container's process as dockerd derives it: the create body's Config merged with the image's
// config (ENTRYPOINT/CMD rules, env, working dir, user), then argv and the environment.
import { BerthError } from '../errors.ts';
import type { ContainerConfig as ImageRuntimeConfig } from '../image/types.ts';
import type { ContainerConfig } from '../engine/containers/types.ts';

export const DEFAULT_PATH_ENV = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

const envKey = (e: string) => e.split('=', 1)[0]!;

/**
 * dockerd's merge of a create body's Config with the image's: the result is the `Config` that
 * inspect shows. Cmd from the body replaces the image's; an Entrypoint from the body replaces the
 * image's and drops the image's Cmd; `--entrypoint ""` (sent as `[""]`) clears both.
 */
export function mergeImageConfig(config: ContainerConfig, image: ImageRuntimeConfig | undefined): ContainerConfig {
  const out: ContainerConfig = { ...config };
  const img = image ?? {};
  if (!out.User) out.User = img.User ?? '';
  if (img.ExposedPorts) out.ExposedPorts = { ...img.ExposedPorts, ...(out.ExposedPorts ?? {}) };
  if (!out.Env?.length) out.Env = [...(img.Env ?? [])];
  else {
    const keys = new Set(out.Env.map(envKey));
    out.Env = [...out.Env, ...(img.Env ?? []).filter((e) => !keys.has(envKey(e)))];
  }
  if (img.Labels) out.Labels = { ...img.Labels, ...(out.Labels ?? {}) };
  if (!out.Entrypoint?.length) {
    if (!out.Cmd?.length) {
      out.Cmd = img.Cmd ?? null;
      if (img.ArgsEscaped !== undefined) out.ArgsEscaped = img.ArgsEscaped;
    }
    if (out.Entrypoint === undefined || out.Entrypoint === null) out.Entrypoint = img.Entrypoint ?? null;
  }
  if (out.Entrypoint?.length === 1 && out.Entrypoint[0] === '') out.Entrypoint = null;
  // Inspect shows unset commands as null.
  out.Cmd ??= null;
  out.Entrypoint ??= null;
  if (!out.WorkingDir) out.WorkingDir = img.WorkingDir ?? '';
  if (img.Volumes) out.Volumes = { ...img.Volumes, ...(out.Volumes ?? {}) };
  if (!out.StopSignal && img.StopSignal) out.StopSignal = img.StopSignal;
  if (!out.Healthcheck && img.Healthcheck) out.Healthcheck = img.Healthcheck;
  if (out.OnBuild === undefined) out.OnBuild = img.OnBuild ?? null;
  if (!out.Shell && img.Shell) out.Shell = img.Shell;
  return out;
}

/** `Path` and `Args` of inspect; Docker's 400 `No command specified` when there is nothing to run. */
export function entrypointAndArgs(config: Pick<ContainerConfig, 'Entrypoint' | 'Cmd'>): { path: string; args: string[] } {
  const entry = config.Entrypoint ?? [];
  const cmd = config.Cmd ?? [];
  if (entry.length > 0) return { path: entry[0]!, args: [...entry.slice(1), ...cmd] };
  if (cmd.length === 0) throw new BerthError('invalid_argument', 'No command specified');
  return { path: cmd[0]!, args: cmd.slice(1) };
}

/**
 * Sets, replaces (in place) or, for entries without `=`, removes variables; later entries win.
 */
export function replaceOrAppendEnv(defaults: readonly string[], overrides: readonly string[]): string[] {
  const out: (string | null)[] = [...defaults];
  const index = new Map<string, number>();
  out.forEach((e, i) => index.set(envKey(e!), i));
  for (const value of overrides) {
    const key = envKey(value);
    const i = index.get(key);
    if (!value.includes('=')) { if (i !== undefined) out[i] = null; continue; }
    if (i !== undefined && out[i] !== null) out[i] = value;
    else { index.set(key, out.length); out.push(value); }
  }
  return out.filter((e): e is string => e !== null);
}

/** The process environment: PATH default, HOSTNAME, TERM=xterm with a TTY, then the Config's Env. */
export function containerEnv(config: Pick<ContainerConfig, 'Env' | 'Tty'>, hostname: string): string[] {
  const base = [DEFAULT_PATH_ENV, `HOSTNAME=${hostname}`];
  if (config.Tty) base.push('TERM=xterm');
  return replaceOrAppendEnv(base, config.Env ?? []);
}
