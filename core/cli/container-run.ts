// The pieces `run`, `create`, `start` and `attach` share, as docker's container commands have
// them: create with a pull when the image is missing, the container ID file, waiting for exit or
// removal, the signal proxy, and the exit status derived from a start error.
import { BerthError } from '../errors.ts';
import { familiarString, fullName, parseReference, withDefaultTag, type Reference } from '../reference/reference.ts';
import { DaemonError, DaemonUnreachableError, versionLessThan, type ApiClient } from './api-client.ts';
import { BIN, StatusError, type CommandContext } from './command.ts';
import { registryAuthHeader } from './commands/registry-auth.ts';
import { displayJSONMessages } from './json-message.ts';
import type { ContainerCreate } from './run/config.ts';

/**
 * docker's toStatusError: an error from run as `berth: MSG` plus the help hint, with 127 when the
 * command was not found, 126 when it could not be run, else 125.
 */
export function runStatusError(ctx: CommandContext, e: unknown): StatusError {
  if (e instanceof StatusError) return e;
  let message = e instanceof Error ? e.message : String(e);
  if (e instanceof DaemonError) message = `Error response from daemon: ${message}`;
  let code = 125;
  if (message.includes('executable file not found') || message.includes('no such file or directory') || message.includes('system cannot find the file specified')) code = 127;
  else if (message.includes('permission denied') || message.includes('is a directory')) code = 126;
  void DaemonUnreachableError;
  return new StatusError(`${BIN}: ${message}\n\nRun '${ctx.commandPath} --help' for more information`, code);
}

async function pullImage(ctx: CommandContext, api: ApiClient, image: string, platform: string, quiet: boolean): Promise<void> {
  const ref = withDefaultTag(parseReference(image));
  const query: Record<string, string> = { fromImage: fullName(ref), tag: ref.digest ?? ref.tag ?? 'latest' };
  if (platform) query.platform = platform;
  const res = await api.request('POST', '/images/create', { query, headers: { 'X-Registry-Auth': await registryAuthHeader(ctx, ref) } });
  if (!res.body) return;
  // Pull progress goes to stderr: stdout is for the container's output (or its ID with -d).
  const tty = ctx.host.stderr.isTTY;
  await displayJSONMessages(res.body, quiet ? async () => {} : (s) => ctx.host.stderr.write(s), {
    isTerminal: tty,
    width: tty ? ctx.host.terminalWidth() ?? 80 : 200,
    now: ctx.now,
  });
}

/**
 * The Go client's ContainerCreate refuses a MAC address per network below API 1.44 (an older daemon
 * would ignore it): its text. Its other version checks sit behind the docker CLI's flag annotations.
 */
function checkCreateVersion(version: string, opts: ContainerCreate): void {
  const endpoints = (opts.body.NetworkingConfig as { EndpointsConfig?: Record<string, { MacAddress?: string } | null> } | undefined)?.EndpointsConfig ?? {};
  if (versionLessThan(version, '1.44') && Object.values(endpoints).some((e) => !!e?.MacAddress)) {
    throw new Error(`"specify mac-address per network" requires API version 1.44, but the Docker daemon API version is ${version}`);
  }
}

/** POST /containers/create with docker's pull policy; writes --cidfile; returns the ID. */
export async function createContainer(ctx: CommandContext, opts: ContainerCreate, quiet: boolean): Promise<{ id: string; warnings: string[] }> {
  const api = await ctx.api();
  const image = opts.body.Image as string;
  let ref: Reference | undefined;
  try {
    ref = withDefaultTag(parseReference(image));
  } catch (e) {
    // A full image ID names a local image: nothing to pull.
    if (!/^sha256:[0-9a-f]{64}$/.test(image)) throw e instanceof BerthError ? new Error(e.message) : e;
  }
  const cidfile = (opts.body.HostConfig as Record<string, unknown>).ContainerIDFile as string;
  if (cidfile) {
    if (await ctx.host.files.readText(cidfile).catch(() => undefined) !== undefined) {
      throw new Error(`container ID file found, make sure the other container isn't running or delete ${cidfile}`);
    }
  }
  const query: Record<string, string | undefined> = { name: opts.name || undefined, platform: opts.platform || undefined };
  const create = () => {
    checkCreateVersion(api.version, opts);
    return api.json<{ Id: string; Warnings?: string[] | null }>('POST', '/containers/create', { query, json: opts.body });
  };
  if (opts.pull === 'always' && ref) await pullImage(ctx, api, image, opts.platform, quiet);
  let res;
  try {
    res = await create();
  } catch (e) {
    if (!(ref && e instanceof DaemonError && e.status === 404 && opts.pull === 'missing' && /no such image/i.test(e.message))) throw e;
    if (!quiet) await ctx.err(`Unable to find image '${familiarString(ref)}' locally\n`);
    await pullImage(ctx, api, image, opts.platform, quiet);
    res = await create();
  }
  for (const w of res.Warnings ?? []) await ctx.err(`WARNING: ${w}\n`);
  if (cidfile) {
    try {
      await ctx.host.files.writeText(cidfile, res.Id);
    } catch (e) {
      throw new Error(`failed to write the container ID to the file: ${(e as Error).message}`);
    }
  }
  return { id: res.Id, warnings: res.Warnings ?? [] };
}

/**
 * POST /containers/{id}/wait, sent before start so a fast exit is not missed; resolves with the
 * exit status (125 when waiting failed, as docker reports it).
 */
export function waitExitOrRemoved(ctx: CommandContext, api: ApiClient, id: string, autoRemove: boolean): Promise<number> {
  const condition = autoRemove ? 'removed' : 'next-exit';
  return (async () => {
    try {
      const body = await api.json<{ StatusCode: number; Error?: { Message?: string } | null }>('POST', `/containers/${id}/wait`, { query: { condition } });
      if (body?.Error?.Message) {
        await ctx.err(`Error waiting for container: ${body.Error.Message}\n`);
        return 125;
      }
      return body?.StatusCode ?? 125;
    } catch (e) {
      await ctx.err(`Error waiting for container: ${e instanceof Error ? e.message : String(e)}\n`);
      return 125;
    }
  })();
}

/** Forwards the signals the CLI receives to the container (`--sig-proxy`, without a TTY). */
export function forwardSignals(ctx: CommandContext, api: ApiClient, id: string): () => void {
  if (!ctx.host.onSignal) return () => {};
  return ctx.host.onSignal((signal) => {
    const name = signal.replace(/^SIG/, '');
    api.request('POST', `/containers/${id}/kill`, { query: { signal: name } }).then((r) => r.body?.cancel(), (e) => {
      void ctx.err(`Error sending signal: ${e instanceof Error ? e.message : String(e)}\n`);
    });
  });
}

/** Container JSON fields the commands read. */
export interface ContainerJSON {
  Id: string;
  Name: string;
  State: { Status: string; Running: boolean; Paused: boolean; Restarting: boolean; ExitCode: number };
  Config: { Tty: boolean; OpenStdin: boolean; AttachStdin?: boolean; AttachStdout?: boolean; AttachStderr?: boolean };
  HostConfig: { AutoRemove?: boolean };
  NetworkSettings?: { Ports?: Record<string, Array<{ HostIp: string; HostPort: string }> | null> | null };
}

export function inspectContainer(api: ApiClient, ref: string): Promise<ContainerJSON> {
  return api.get<ContainerJSON>(`/containers/${encodeURIComponent(ref)}/json`);
}
