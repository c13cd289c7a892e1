// `berth save`: GET /images/get as a tar stream, to -o FILE or to stdout when it is not a terminal.
import { StatusError, type Command, type CommandContext } from '../command.ts';

async function runSave(ctx: CommandContext): Promise<void> {
  const output = ctx.flags.output as string;
  if (!output && ctx.host.stdout.isTTY) {
    throw new StatusError('cowardly refusing to save to a terminal. Use the -o flag or redirect', 1);
  }
  const api = await ctx.api();
  const res = await api.request('GET', '/images/get', { query: { names: ctx.args } });
  if (!res.body) return;
  const body = cutShortAsEOF(res.body);
  if (output) {
    try {
      await ctx.host.files.writeStream(output, body);
    } catch (e) {
      throw new StatusError(`failed to save image: ${(e as Error).message}`, 1);
    }
    return;
  }
  const reader = body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    await ctx.out(value);
  }
}

/**
 * Once the archive has started, a failure in the daemon (a blob that no longer verifies, say) can
 * only cut the connection; the transport's words for that ("aborted", "terminated") say nothing.
 * docker says "unexpected EOF"; berth adds where the reason is.
 */
function cutShortAsEOF(body: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done, value } = await reader.read();
        if (done) controller.close();
        else controller.enqueue(value);
      } catch {
        controller.error(new Error('unexpected EOF: the daemon ended the archive early (its log has the reason)'));
      }
    },
    cancel: (reason) => reader.cancel(reason),
  }, { highWaterMark: 0 });
}

export const saveCmd = (): Command => ({
  name: 'save',
  use: '[OPTIONS] IMAGE [IMAGE...]',
  short: 'Save one or more images to a tar archive (streamed to STDOUT by default)',
  aliasesHelp: 'berth image save, berth save',
  args: { min: 1 },
  flags: [{ name: 'output', short: 'o', kind: 'string', usage: 'Write to a file, instead of STDOUT' }],
  run: async (ctx) => { await runSave(ctx); },
});
