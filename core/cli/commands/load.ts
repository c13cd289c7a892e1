// `berth load`: POST /images/load with the archive from -i FILE or stdin, streamed (chunked).
import { StatusError, type Command, type CommandContext } from '../command.ts';
import { showProgress } from './registry-auth.ts';

async function runLoad(ctx: CommandContext): Promise<void> {
  const input = ctx.flags.input as string;
  let body: ReadableStream<Uint8Array>;
  if (input) {
    body = await ctx.host.files.openRead(input);
  } else {
    if (ctx.host.stdin.isTTY) throw new StatusError('requested load from stdin, but stdin is empty', 1);
    body = ctx.host.stdin.stream();
  }
  const quiet = (ctx.flags.quiet as boolean) || !ctx.host.stdout.isTTY;
  const api = await ctx.api();
  const res = await api.request('POST', '/images/load', {
    query: { quiet },
    headers: { 'Content-Type': 'application/x-tar' },
    body,
  });
  if ((res.headers.get('content-type') ?? '').includes('json')) {
    await showProgress(ctx, res.body, false);
  } else if (res.body) {
    const text = await res.text();
    if (text) await ctx.out(text);
  }
}

export const loadCmd = (): Command => ({
  name: 'load',
  use: '[OPTIONS]',
  short: 'Load an image from a tar archive or STDIN',
  aliasesHelp: 'berth image load, berth load',
  args: { max: 0 },
  flags: [
    { name: 'input', short: 'i', kind: 'string', usage: 'Read from tar archive file, instead of STDIN' },
    { name: 'quiet', short: 'q', kind: 'bool', usage: 'Suppress the load output' },
  ],
  run: async (ctx) => { await runLoad(ctx); },
});
