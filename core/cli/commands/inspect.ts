// `berth inspect` and `berth image inspect`: the daemon's JSON re-indented as docker prints it,
// or a --format template over each object (missing keys are errors, as in docker's inspect).
import { DaemonError } from '../api-client.ts';
import { StatusError, type Command, type CommandContext } from '../command.ts';
import { FormatError, INSPECT_FORMAT_HELP } from '../formatter.ts';
import { indentJSON } from '../json-indent.ts';
import { parseTemplate, TemplateError, type Template } from '../template.ts';

/** The JSON as the daemon sent it, and optionally the value as the docker CLI's Go types hold it (templates run on it first). */
export interface Fetched { raw: string; typed?: unknown }

/** docker's TemplateInspector: the typed value first; where the template fails on it, the raw JSON. */
function executeTyped(tmpl: Template, f: Fetched): string {
  if (f.typed !== undefined) {
    // Go's default there: a missing map key prints `<no value>`; only the raw fallback runs with missingkey=error.
    tmpl.missingKeyError = false;
    try {
      return tmpl.execute(f.typed);
    } catch (e) {
      if (!(e instanceof TemplateError)) throw e;
    } finally {
      tmpl.missingKeyError = true;
    }
  }
  return tmpl.execute(JSON.parse(f.raw));
}

/** Prints the collected objects and fails with the collected errors, as docker's inspector does. */
export async function inspectAll(ctx: CommandContext, names: string[], fetch: (name: string) => Promise<Fetched>): Promise<void> {
  const format = ctx.flags.format as string;
  let tmpl: Template | undefined;
  if (format && format !== 'json') {
    try {
      tmpl = parseTemplate(format);
    } catch (e) {
      // docker's inspector exits 64 (usage) for a template that does not parse; 1 when it fails to execute.
      throw new StatusError(`template parsing error: ${(e as Error).message}`, 64);
    }
    tmpl.missingKeyError = true;
  }
  const raws: string[] = [];
  const errors: string[] = [];
  let out = '';
  for (const name of names) {
    let f: Fetched;
    try {
      f = await fetch(name);
    } catch (e) {
      if (e instanceof DaemonError || e instanceof NotFoundObject) {
        errors.push(e instanceof DaemonError ? `Error response from daemon: ${e.message}` : e.message);
        continue;
      }
      throw e;
    }
    if (tmpl) {
      try {
        out += executeTyped(tmpl, f) + '\n';
      } catch (e) {
        if (e instanceof TemplateError) {
          // docker still ends the (partial) output with a newline.
          await ctx.out(out + '\n');
          throw new FormatError(`template parsing error: ${e.message}`);
        }
        throw e;
      }
    } else {
      raws.push(f.raw.trim());
    }
  }
  if (!tmpl) {
    out = raws.length === 0 ? '[]\n' : indentJSON(`[${raws.join(',')}]`) + '\n';
  }
  if (out) await ctx.out(out);
  if (errors.length) throw new StatusError(errors.join('\n'), 1);
}

class NotFoundObject extends Error {}

async function getRaw(ctx: CommandContext, path: string): Promise<string> {
  const api = await ctx.api();
  const res = await api.request('GET', path);
  return res.text();
}

export const imageInspectCmd = (): Command => ({
  name: 'inspect',
  use: '[OPTIONS] IMAGE [IMAGE...]',
  short: 'Display detailed information on one or more images',
  args: { min: 1 },
  flags: [{ name: 'format', short: 'f', kind: 'string', usage: INSPECT_FORMAT_HELP }],
  run: async (ctx) => {
    await inspectAll(ctx, ctx.args, async (name) => ({ raw: await getRaw(ctx, `/images/${name}/json`) }));
  },
});

const OBJECT_PATHS: Record<string, (name: string) => string> = {
  container: (n) => `/containers/${n}/json`,
  image: (n) => `/images/${n}/json`,
  network: (n) => `/networks/${n}`,
  volume: (n) => `/volumes/${n}`,
};

export const inspectCmd = (): Command => ({
  name: 'inspect',
  use: '[OPTIONS] NAME|ID [NAME|ID...]',
  short: 'Return low-level information on Docker objects',
  args: { min: 1 },
  flags: [
    { name: 'format', short: 'f', kind: 'string', usage: INSPECT_FORMAT_HELP },
    { name: 'size', short: 's', kind: 'bool', usage: 'Display total file sizes if the type is container' },
    { name: 'type', kind: 'string', usage: 'Only inspect objects of the given type' },
  ],
  run: async (ctx) => {
    const type = ctx.flags.type as string;
    if (type && !(type in OBJECT_PATHS)) throw new StatusError(`"${type}" is not a valid value for --type`, 1);
    const kinds = type ? [type] : Object.keys(OBJECT_PATHS);
    await inspectAll(ctx, ctx.args, async (name) => {
      for (const kind of kinds) {
        let path = OBJECT_PATHS[kind]!(name);
        if (kind === 'container' && ctx.flags.size) path += '?size=1';
        try {
          return { raw: await getRaw(ctx, path) };
        } catch (e) {
          // Try the next kind of object only when this one does not exist.
          if (e instanceof DaemonError && (e.status === 404 || (e.status === 400 && kind !== 'image'))) continue;
          throw e;
        }
      }
      throw new NotFoundObject(type ? `Error: No such ${type}: ${name}` : `Error: No such object: ${name}`);
    });
  },
});
