// `berth push`: POST /images/{name}/push with the daemon's progress rendered as docker renders it.
import { BerthError } from '../../errors.ts';
import { fullName, isNameOnly, parseReference, referenceString, withDefaultTag } from '../../reference/reference.ts';
import type { Command, CommandContext } from '../command.ts';
import { registryAuthHeader, showProgress } from './registry-auth.ts';

async function runPush(ctx: CommandContext): Promise<void> {
  const all = ctx.flags['all-tags'] as boolean;
  const quiet = ctx.flags.quiet as boolean;
  let ref = parseReference(ctx.args[0]!);
  if (all && !isNameOnly(ref)) throw new BerthError('invalid_argument', "tag can't be used with --all-tags/-a");
  if (!all && isNameOnly(ref)) {
    ref = withDefaultTag(ref);
    if (!quiet) await ctx.out(`Using default tag: ${ref.tag}\n`);
  }
  const api = await ctx.api();
  const query: Record<string, string | undefined> = {};
  if (!all) query.tag = ref.tag ?? ref.digest ?? '';
  const platform = ctx.flags.platform as string;
  if (platform) query.platform = JSON.stringify(parsePlatform(platform));
  const res = await api.request('POST', `/images/${fullName(ref)}/push`, {
    query,
    headers: { 'X-Registry-Auth': await registryAuthHeader(ctx, ref) },
  });
  await showProgress(ctx, res.body, quiet);
  if (quiet) await ctx.out(referenceString(ref) + '\n');
}

function parsePlatform(p: string): { os: string; architecture: string; variant?: string } {
  const [os = '', architecture = '', variant] = p.split('/');
  return variant ? { os, architecture, variant } : { os, architecture };
}

function pushCommand(name: string): Command {
  return {
    name,
    use: '[OPTIONS] NAME[:TAG]',
    short: 'Upload an image to a registry',
    aliasesHelp: 'berth image push, berth push',
    args: { exact: 1 },
    category: 'common',
    flags: [
      { name: 'all-tags', short: 'a', kind: 'bool', usage: 'Push all tags of an image to the repository' },
      { name: 'disable-content-trust', kind: 'bool', usage: 'Skip image signing', default: true },
      { name: 'platform', kind: 'string', usage: 'Push a platform-specific manifest as a single-platform image to the registry.\nImage index won\'t be pushed, meaning that other manifests, including attestations won\'t be preserved.\n\'os[/arch[/variant]]\': Explicit platform (eg. linux/amd64)' },
      { name: 'quiet', short: 'q', kind: 'bool', usage: 'Suppress verbose output' },
    ],
    run: async (ctx) => { await runPush(ctx); },
  };
}

export const pushCmd = (): Command => pushCommand('push');
