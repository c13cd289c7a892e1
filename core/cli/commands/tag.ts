// `berth tag SOURCE TARGET`: POST /images/{source}/tag, with the client-side reference checks
// (and messages) of docker's ImageTag.
import { BerthError } from '../../errors.ts';
import { fullName, parseAnyReference, parseReference, withDefaultTag } from '../../reference/reference.ts';
import type { Command, CommandContext } from '../command.ts';

function invalidTag(s: string, e: unknown): BerthError {
  return new BerthError('invalid_reference', `Error parsing reference: ${JSON.stringify(s)} is not a valid repository/tag: ${(e as Error).message}`);
}

async function runTag(ctx: CommandContext): Promise<void> {
  const [source, target] = ctx.args as [string, string];
  try { parseAnyReference(source); } catch (e) { throw invalidTag(source, e); }
  let ref;
  try { ref = parseReference(target); } catch (e) { throw invalidTag(target, e); }
  if (ref.digest !== undefined) throw new BerthError('invalid_reference', 'refusing to create a tag with a digest reference');
  ref = withDefaultTag(ref);
  const api = await ctx.api();
  const res = await api.request('POST', `/images/${source}/tag`, { query: { repo: fullName(ref), tag: ref.tag } });
  await res.body?.cancel();
}

export const tagCmd = (): Command => ({
  name: 'tag',
  use: 'SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]',
  short: 'Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE',
  aliasesHelp: 'berth image tag, berth tag',
  args: { exact: 2 },
  run: async (ctx) => { await runTag(ctx); },
});
