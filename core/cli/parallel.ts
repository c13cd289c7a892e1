// docker's parallelOperation for commands over several containers (stop, kill, rm, pause...):
// the requests run in parallel, names print in argument order as each succeeds, errors are
// collected and reported together (exit 1).
import { DaemonError } from './api-client.ts';
import { StatusError, type CommandContext } from './command.ts';

export function errorText(e: unknown): string {
  if (e instanceof DaemonError) return `Error response from daemon: ${e.message}`;
  return e instanceof Error ? e.message : String(e);
}

/**
 * Runs `op` for every name (at most 50 at once, as docker); prints each name that succeeded.
 * `ignore` lets an error be printed to stderr without failing the command (rm -f on a missing one).
 */
export async function forEachContainer(ctx: CommandContext, names: string[], op: (name: string) => Promise<void>,
  opts: { ignore?: (e: unknown) => boolean; print?: boolean } = {}): Promise<string[]> {
  // Returns the error texts, in argument order.
  const results: Array<Promise<unknown>> = [];
  let running = 0;
  const waiters: Array<() => void> = [];
  const limited = async (name: string) => {
    while (running >= 50) await new Promise<void>((r) => waiters.push(r));
    running++;
    try { await op(name); } finally { running--; waiters.shift()?.(); }
  };
  for (const n of names) {
    const p = limited(n);
    p.catch(() => {});
    results.push(p);
  }
  const errors: string[] = [];
  for (let i = 0; i < names.length; i++) {
    try {
      await results[i];
      if (opts.print !== false) await ctx.out(`${names[i]}\n`);
    } catch (e) {
      if (opts.ignore?.(e)) { await ctx.err(`${errorText(e)}\n`); continue; }
      errors.push(errorText(e));
    }
  }
  return errors;
}

/** Fails with the collected errors, each on its own line. */
export function failWith(errors: string[], tail?: string): never {
  throw new StatusError([...errors, ...(tail ? [tail] : [])].join('\n'), 1);
}

/** A request whose answer has no body worth reading. */
export async function post(ctx: CommandContext, path: string, query?: Record<string, string | number | boolean | undefined>): Promise<void> {
  const api = await ctx.api();
  const res = await api.request('POST', path, { query });
  await res.body?.cancel();
}
