// `berth commit [-a] [-c] [-m] [-p] CONTAINER [REPOSITORY[:TAG]]`: POST /commit; prints the new
// image's ID.
import { parseReference } from '../../reference/reference.ts';
import type { Command } from '../command.ts';

export const commitCmd = (): Command => ({
  name: 'commit',
  use: "[OPTIONS] CONTAINER [REPOSITORY[:TAG]]",
  short: "Create a new image from a container's changes",
  aliasesHelp: 'berth container commit, berth commit',
  args: { min: 1, max: 2 },
  flags: [
    { name: 'author', short: 'a', kind: 'string', usage: 'Author (e.g., "John Hannibal Smith <hannibal@a-team.com>")' },
    { name: 'change', short: 'c', kind: 'list', usage: 'Apply Dockerfile instruction to the created image' },
    { name: 'message', short: 'm', kind: 'string', usage: 'Commit message' },
    { name: 'pause', short: 'p', kind: 'bool', default: true, usage: 'Pause container during commit' },
  ],
  run: async (ctx) => {
    const [container, reference] = ctx.args as [string, string | undefined];
    let repo: string | undefined;
    let tag: string | undefined;
    if (reference) {
      // Validated here as docker does, so a bad name fails before the daemon is asked.
      const ref = parseReference(reference);
      const at = reference.lastIndexOf(':');
      const hasTag = ref.tag !== undefined && at > reference.lastIndexOf('/');
      repo = hasTag ? reference.slice(0, at) : reference;
      tag = hasTag ? ref.tag : undefined;
    }
    const api = await ctx.api();
    const res = await api.json<{ Id: string }>('POST', '/commit', {
      query: {
        container, repo, tag, comment: (ctx.flags.message as string) || undefined, author: (ctx.flags.author as string) || undefined,
        changes: ctx.flags.change as string[], pause: ctx.flags.pause ? undefined : '0',
      },
      json: {},
    });
    await ctx.out(`${res.Id}\n`);
  },
});
