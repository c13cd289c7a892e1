// `berth events`: GET /events, streamed, printed one line per event as docker prints them (or
// through --format).
import { encodeFilters } from '../api-client.ts';
import { StatusError, type Command, type CommandContext } from '../command.ts';
import { decodeJSONStream } from '../json-message.ts';
import { GO_TYPE, goJSON, parseTemplate, type Template } from '../template.ts';

export interface EventMessage {
  status?: string;
  id?: string;
  from?: string;
  Type?: string;
  Action?: string;
  Actor?: { ID?: string; Attributes?: Record<string, string> | null };
  scope?: string;
  time?: number;
  timeNano?: number | bigint;
}

/** events.Message as a Go struct: template fields by Go name, JSON in Go's field order. */
function eventStruct(m: EventMessage) {
  const actor = { ID: m.Actor?.ID ?? '', Attributes: m.Actor?.Attributes ?? null };
  return {
    [GO_TYPE]: '*events.Message',
    Status: m.status ?? '', ID: m.id ?? '', From: m.from ?? '', Type: m.Type ?? '', Action: m.Action ?? '',
    Actor: actor, Scope: m.scope ?? '', Time: m.time ?? 0, TimeNano: m.timeNano ?? 0,
    MarshalJSON(): string {
      const o: Record<string, unknown> = {};
      if (m.status) o.status = m.status;
      if (m.id) o.id = m.id;
      if (m.from) o.from = m.from;
      o.Type = m.Type ?? '';
      o.Action = m.Action ?? '';
      o.Actor = actor;
      o.scope = m.scope ?? '';
      o.time = m.time ?? 0;
      o.timeNano = m.timeNano ?? 0;
      return goJSON(o, true);
    },
  };
}

const pad = (n: number | bigint, w = 2) => String(n).padStart(w, '0');

/** jsonmessage.RFC3339NanoFixed in the host's zone. */
export function rfc3339NanoFixed(timeNano: bigint): string {
  const ms = Number(timeNano / 1_000_000n);
  const d = new Date(ms);
  const off = -d.getTimezoneOffset();
  const l = new Date(ms + off * 60_000);
  const zone = off === 0 ? 'Z' : `${off < 0 ? '-' : '+'}${pad(Math.trunc(Math.abs(off) / 60))}:${pad(Math.abs(off) % 60)}`;
  return `${l.getUTCFullYear()}-${pad(l.getUTCMonth() + 1)}-${pad(l.getUTCDate())}T${pad(l.getUTCHours())}:${pad(l.getUTCMinutes())}:${pad(l.getUTCSeconds())}.${pad(timeNano % 1_000_000_000n, 9)}${zone}`;
}

/** docker's prettyPrintEvent. */
export function formatEvent(m: EventMessage): string {
  let s = '';
  if (m.timeNano) s += rfc3339NanoFixed(BigInt(m.timeNano)) + ' ';
  else if (m.time) s += rfc3339NanoFixed(BigInt(m.time) * 1_000_000_000n) + ' ';
  s += `${m.Type ?? ''} ${m.Action ?? ''} ${m.Actor?.ID ?? ''}`;
  const attrs = m.Actor?.Attributes ?? {};
  const keys = Object.keys(attrs).sort();
  if (keys.length) s += ` (${keys.map((k) => `${k}=${attrs[k]}`).join(', ')})`;
  return s + '\n';
}

const DURATION_UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Go's time.ParseDuration, in milliseconds; undefined when `s` is not a duration. */
export function parseGoDuration(s: string): number | undefined {
  const m = /^([-+]?)((?:\d*\.?\d+|\d+\.)(?:ns|us|µs|ms|s|m|h))+$/.exec(s);
  if (!m) return s === '0' ? 0 : undefined;
  let total = 0;
  for (const part of s.replace(/^[-+]/, '').matchAll(/(\d*\.?\d+|\d+\.)(ns|us|µs|ms|s|m|h)/g)) {
    total += Number(part[1]) * DURATION_UNITS[part[2]!]!;
  }
  return m[1] === '-' ? -total : total;
}

/** docker's GetTimestamp: durations count back from now; dates become `seconds.nanos`; numbers pass. */
export function getTimestamp(value: string, now: Date): string {
  const d = parseGoDuration(value);
  if (value !== '0' && d !== undefined) return String(Math.floor((now.getTime() - d) / 1000));
  if (/^\d+(\.\d+)?$/.test(value)) return value;
  let text = value;
  if (/^\d{4}-\d{2}-\d{2}$/.test(text)) text += 'T00:00:00';
  const hasZone = /[zZ+]/.test(text) || (text.match(/-/g) ?? []).length === 3;
  const ms = Date.parse(hasZone ? text : text.replace(' ', 'T'));
  if (Number.isNaN(ms)) {
    if (value.includes('-')) throw new StatusError(`parsing time ${JSON.stringify(value)}: cannot parse ${JSON.stringify(value)} as a time`, 1);
    throw new StatusError(`failed to parse value as time or duration: ${JSON.stringify(value)}`, 1);
  }
  const frac = /\.(\d+)/.exec(text.split('T')[1] ?? '')?.[1] ?? '';
  const nanos = frac ? frac.padEnd(9, '0').slice(0, 9) : '000000000';
  return `${Math.floor(ms / 1000)}.${nanos}`;
}

async function runEvents(ctx: CommandContext): Promise<void> {
  let format = ctx.flags.format as string;
  let tmpl: Template | undefined;
  if (format) {
    if (format === 'json') format = '{{json .}}';
    try {
      tmpl = parseTemplate(format);
      tmpl.execute(eventStruct({}));
    } catch (e) {
      // docker events words this one differently from the other commands, and exits 64 (usage).
      throw new StatusError(`Error parsing format: ${(e as Error).message}`, 64);
    }
  }
  const now = ctx.now();
  const since = ctx.flags.since as string;
  const until = ctx.flags.until as string;
  const api = await ctx.api();
  const res = await api.request('GET', '/events', {
    query: {
      since: since ? getTimestamp(since, now) : undefined,
      until: until ? getTimestamp(until, now) : undefined,
      filters: encodeFilters(ctx.flags.filter as string[]),
    },
  });
  if (!res.body) return;
  for await (const m of decodeJSONStream(res.body, { bigIntKeys: ['timeNano'] })) {
    const ev = m as unknown as EventMessage;
    await ctx.out(tmpl ? tmpl.execute(eventStruct(ev)) + '\n' : formatEvent(ev));
  }
}

export const eventsCmd = (): Command => ({
  name: 'events',
  use: '[OPTIONS]',
  short: 'Get real time events from the server',
  aliasesHelp: 'berth system events, berth events',
  args: { max: 0 },
  flags: [
    { name: 'filter', short: 'f', kind: 'filter', usage: 'Filter output based on conditions provided' },
    { name: 'format', kind: 'string', usage: "Format output using a custom template:\n'json':             Print in JSON format\n'TEMPLATE':         Print output using the given Go template.\nRefer to https://docs.docker.com/go/formatting/ for more information about formatting output with templates" },
    { name: 'since', kind: 'string', usage: 'Show all events created since timestamp' },
    { name: 'until', kind: 'string', usage: 'Stream events until this timestamp' },
  ],
  run: async (ctx) => { await runEvents(ctx); },
});
