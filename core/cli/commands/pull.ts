// `berth pull`: POST /images/create with the daemon's progress rendered as docker renders it, then
// the full reference on a line of its own.
import { BerthError } from '../../errors.ts';
import { fullName, isNameOnly, parseReference, referenceString, withDefaultTag } from '../../reference/reference.ts';
import type { Command, CommandContext } from '../command.ts';
import { registryAuthHeader, showProgress } from './registry-auth.ts';

async function runPull(ctx: CommandContext): Promise<void> {
  const all = ctx.flags['all-tags'] as boolean;
  const quiet = ctx.flags.quiet as boolean;
  let ref = parseReference(ctx.args[0]!);
  if (all && !isNameOnly(ref)) throw new BerthError('invalid_argument', "tag can't be used with --all-tags/-a");
  if (!all && isNameOnly(ref)) {
    ref = withDefaultTag(ref);
    if (!quiet) await ctx.out(`Using default tag: ${ref.tag}\n`);
  }
  const api = await ctx.api();
  const query: Record<string, string | undefined> = { fromImage: fullName(ref) };
  if (!all) query.tag = ref.digest ?? ref.tag ?? '';
  const platform = ctx.flags.platform as string;
  if (platform) query.platform = platform;
  const res = await api.request('POST', '/images/create', {
    query,
    headers: { 'X-Registry-Auth': await registryAuthHeader(ctx, ref) },
  });
  await showProgress(ctx, res.body, quiet);
  await ctx.out(referenceString(ref) + '\n');
}

function pullCommand(name: string): Command {
  return {
    name,
    use: '[OPTIONS] NAME[:TAG|@DIGEST]',
    short: 'Download an image from a registry',
    aliasesHelp: 'berth image pull, berth pull',
    args: { exact: 1 },
    category: 'common',
    flags: [
      { name: 'all-tags', short: 'a', kind: 'bool', usage: 'Download all tagged images in the repository' },
      { name: 'disable-content-trust', kind: 'bool', usage: 'Skip image verification', default: true },
      { name: 'platform', kind: 'string', usage: 'Set platform if server is multi-platform capable' },
      { name: 'quiet', short: 'q', kind: 'bool', usage: 'Suppress verbose output' },
    ],
    run: async (ctx) => { await runPull(ctx); },
  };
}

export const pullCmd = (): Command => pullCommand('pull');
export const imagePullCmd = (): Command => pullCommand('pull');
