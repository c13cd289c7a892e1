// Shared by pull and push: the X-Registry-Auth header from the stored logins, and rendering a
// daemon's progress stream to stdout as docker does.
import { isDockerHub, type Reference } from '../../reference/reference.ts';
import type { CommandContext } from '../command.ts';
import { encodeRegistryAuth, INDEX_SERVER } from '../config-file.ts';
import { displayJSONMessages, type RenderOptions } from '../json-message.ts';

/** The registry key a reference's credentials are stored under. */
export function authServer(ref: Reference): string {
  return isDockerHub(ref.domain) ? INDEX_SERVER : ref.domain;
}

export async function registryAuthHeader(ctx: CommandContext, ref: Reference): Promise<string> {
  const server = authServer(ref);
  let creds;
  try {
    creds = await (await ctx.config()).credentials(server);
  } catch {
    creds = undefined;
  }
  return encodeRegistryAuth(creds, creds ? server : undefined);
}

/** Renders a JSON message stream; `quiet` consumes it (errors still fail the command). */
export async function showProgress(ctx: CommandContext, body: ReadableStream<Uint8Array> | null, quiet: boolean, onAux?: RenderOptions['onAux']): Promise<void> {
  if (!body) return;
  const tty = ctx.host.stdout.isTTY;
  await displayJSONMessages(body, quiet ? async () => {} : (s) => ctx.out(s), {
    isTerminal: tty,
    width: tty ? ctx.host.terminalWidth() ?? 80 : 200,
    now: ctx.now,
    onAux,
  });
}
