// `berth logs`: GET /containers/{id}/logs, demultiplexed unless the container has a TTY, with
// --since/--until as docker's timetypes reads them (durations, RFC 3339 dates, unix times).
import { StatusError, type Command } from '../command.ts';
import { inspectContainer } from '../container-run.ts';
import { parseGoDuration } from '../run/duration.ts';
import { demultiplex } from '../stdcopy.ts';

/** timetypes.GetTimestamp: the value the API's since/until take. */
export function apiTimestamp(value: string, now: Date): string {
  if (value === '') return '';
  if (value !== '0') {
    try {
      const ns = parseGoDuration(value);
      return String(Math.floor((now.getTime() - ns / 1e6) / 1000));
    } catch { /* not a duration */ }
  }
  if (/^-?\d+(\.\d+)?$/.test(value)) return value;
  let s = value;
  // Dates without a zone are local time, as docker reads them; with only a date, midnight.
  if (/^\d{4}-\d{2}-\d{2}$/.test(s)) s += 'T00:00:00';
  const ms = Date.parse(s);
  if (Number.isNaN(ms)) {
    throw new StatusError(`invalid value for "since": failed to parse value as time or duration: "${value}"`, 1);
  }
  const fracMatch = /\.(\d+)/.exec(s.split('T')[1] ?? '');
  const nanos = fracMatch ? Number(fracMatch[1]!.padEnd(9, '0').slice(0, 9)) : (ms % 1000) * 1e6;
  return `${Math.floor(ms / 1000)}.${String(nanos).padStart(9, '0')}`;
}

export const logsCmd = (): Command => ({
  name: 'logs',
  use: '[OPTIONS] CONTAINER',
  short: 'Fetch the logs of a container',
  aliasesHelp: 'berth container logs, berth logs',
  args: { exact: 1 },
  flags: [
    { name: 'details', kind: 'bool', usage: 'Show extra details provided to logs' },
    { name: 'follow', short: 'f', kind: 'bool', usage: 'Follow log output' },
    { name: 'since', kind: 'string', usage: 'Show logs since timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m" for 42 minutes)' },
    { name: 'tail', short: 'n', kind: 'string', default: 'all', usage: 'Number of lines to show from the end of the logs' },
    { name: 'timestamps', short: 't', kind: 'bool', usage: 'Show timestamps' },
    { name: 'until', kind: 'string', usage: 'Show logs before a timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m" for 42 minutes)' },
  ],
  run: async (ctx) => {
    const api = await ctx.api();
    const c = await inspectContainer(api, ctx.args[0]!);
    const now = ctx.now();
    const since = apiTimestamp(ctx.flags.since as string, now);
    const until = apiTimestamp(ctx.flags.until as string, now);
    const res = await api.request('GET', `/containers/${c.Id}/logs`, {
      query: {
        since: since || undefined, until: until || undefined, stderr: true, stdout: true, tail: ctx.flags.tail as string,
        follow: ctx.flags.follow as boolean, timestamps: ctx.flags.timestamps as boolean, details: ctx.flags.details as boolean,
      },
    });
    if (!res.body) return;
    if (c.Config.Tty) {
      const r = res.body.getReader();
      for (;;) {
        const { done, value } = await r.read();
        if (done) return;
        await ctx.host.stdout.write(value);
      }
    }
    await demultiplex(res.body, (d) => ctx.host.stdout.write(d), (d) => ctx.host.stderr.write(d));
  },
});
