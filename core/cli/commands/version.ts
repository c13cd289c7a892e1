// `berth version`: the client's build and the daemon's GET /version in docker's layout (aligned
// by a tabwriter with minwidth 20), or through --format.
import { DaemonUnreachableError, CLIENT_API_VERSION } from '../api-client.ts';
import { StatusError, type Command, type CommandContext } from '../command.ts';
import { FormatError, INSPECT_FORMAT_HELP } from '../formatter.ts';
import { tabulate } from '../tabwriter.ts';
import { GO_TYPE, goJSON, goMap, parseTemplate, TemplateError } from '../template.ts';

interface ServerVersion {
  Platform?: { Name?: string };
  Components?: { Name: string; Version: string; Details?: Record<string, string> }[];
  Version?: string;
  ApiVersion?: string;
  MinAPIVersion?: string;
  GitCommit?: string;
  GoVersion?: string;
  Os?: string;
  Arch?: string;
  KernelVersion?: string;
  Experimental?: boolean;
  BuildTime?: string;
}

const DEFAULT_TEMPLATE = `{{with .Client -}}
Client:{{if ne .Platform nil}}{{if ne .Platform.Name ""}} {{.Platform.Name}}{{end}}{{end}}
 Version:\t{{.Version}}
 API version:\t{{.APIVersion}}{{if ne .APIVersion .DefaultAPIVersion}} (downgraded from {{.DefaultAPIVersion}}){{end}}
 Runtime:\t{{.GoVersion}}
 Git commit:\t{{.GitCommit}}
 Built:\t{{.BuildTime}}
 OS/Arch:\t{{.Os}}/{{.Arch}}
 Context:\t{{.Context}}
{{- end}}

{{- if .ServerOK}}{{with .Server}}

Server:{{if ne .Platform.Name ""}} {{.Platform.Name}}{{end}}
 {{- range $component := .Components}}
 {{$component.Name}}:
  {{- if eq $component.Name "Engine" }}
  Version:\t{{.Version}}
  API version:\t{{index .Details "ApiVersion"}} (minimum version {{index .Details "MinAPIVersion"}})
  Go version:\t{{index .Details "GoVersion"}}
  Git commit:\t{{index .Details "GitCommit"}}
  Built:\t{{index .Details "BuildTime"}}
  OS/Arch:\t{{index .Details "Os"}}/{{index .Details "Arch"}}
  Experimental:\t{{index .Details "Experimental"}}
  {{- else }}
  Version:\t{{$component.Version}}
  {{- range $key, $value := $component.Details}}
  {{$key}}:\t{{$value}}
  {{- end}}
  {{- end}}
 {{- end}}
 {{- end}}{{- end}}`;

function clientInfo(ctx: CommandContext, apiVersion: string) {
  const b = ctx.host.build;
  const fields = {
    Platform: { Name: '' },
    Version: b.version,
    APIVersion: apiVersion,
    DefaultAPIVersion: CLIENT_API_VERSION,
    GoVersion: b.runtime,
    GitCommit: b.commit,
    BuildTime: b.built ?? '',
    Os: b.os,
    Arch: b.arch,
    Context: 'default',
  };
  return {
    [GO_TYPE]: 'command.clientVersion',
    ...fields,
    MarshalJSON: () => goJSON({
      Platform: fields.Platform, Version: fields.Version, ApiVersion: fields.APIVersion, DefaultAPIVersion: fields.DefaultAPIVersion,
      GitCommit: fields.GitCommit, GoVersion: fields.GoVersion, Os: fields.Os, Arch: fields.Arch, BuildTime: fields.BuildTime, Context: fields.Context,
    }),
  };
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Go's time.ANSIC (`Thu May  7 21:09:36 2026`) in the RFC 3339 value's own offset; other text stays. */
export function ansicTime(rfc3339: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(Z|[+-]\d{2}:\d{2})$/.exec(rfc3339);
  if (!m) return rfc3339;
  const [, y, mo, d, h, mi, s] = m as unknown as string[];
  const day = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d))).getUTCDay();
  return `${DAYS[day]} ${MONTHS[Number(mo) - 1]} ${String(Number(d)).padStart(2, ' ')} ${h}:${mi}:${s} ${y}`;
}

/** types.Version as the CLI holds it: Go field names for templates, Go's JSON names and order. */
function serverStruct(v: ServerVersion) {
  const components = (v.Components ?? []).map((c) => ({ Name: c.Name, Version: c.Version, Details: c.Details ? goMap(c.Details) : undefined }));
  const fields = {
    Platform: { Name: v.Platform?.Name ?? '' }, Components: components, Version: v.Version ?? '', APIVersion: v.ApiVersion ?? '',
    MinAPIVersion: v.MinAPIVersion ?? '', GitCommit: v.GitCommit ?? '', GoVersion: v.GoVersion ?? '', Os: v.Os ?? '', Arch: v.Arch ?? '',
    KernelVersion: v.KernelVersion ?? '', Experimental: v.Experimental ?? false, BuildTime: v.BuildTime ?? '',
  };
  return {
    [GO_TYPE]: 'types.Version',
    ...fields,
    MarshalJSON: () => {
      const o: Record<string, unknown> = { Platform: fields.Platform, Components: components, Version: fields.Version, ApiVersion: fields.APIVersion };
      if (fields.MinAPIVersion) o.MinAPIVersion = fields.MinAPIVersion;
      Object.assign(o, { GitCommit: fields.GitCommit, GoVersion: fields.GoVersion, Os: fields.Os, Arch: fields.Arch });
      if (fields.KernelVersion) o.KernelVersion = fields.KernelVersion;
      if (fields.Experimental) o.Experimental = true;
      if (fields.BuildTime) o.BuildTime = fields.BuildTime;
      return goJSON(o);
    },
  };
}

async function runVersion(ctx: CommandContext): Promise<void> {
  const format = ctx.flags.format as string;
  let server: ServerVersion | null = null;
  let failure: unknown;
  let apiVersion = ctx.host.env.DOCKER_API_VERSION || CLIENT_API_VERSION;
  try {
    const api = await ctx.api();
    apiVersion = api.version;
    server = await api.get<ServerVersion>('/version');
    if (server.BuildTime) server.BuildTime = ansicTime(server.BuildTime);
    for (const c of server.Components ?? []) {
      if (c.Details?.BuildTime) c.Details.BuildTime = ansicTime(c.Details.BuildTime);
    }
  } catch (e) {
    failure = e;
  }
  const data = {
    [GO_TYPE]: 'command.versionInfo',
    Client: clientInfo(ctx, apiVersion),
    Server: server && serverStruct(server),
    ServerOK: server !== null,
    MarshalJSON: () => goJSON({ Client: data.Client, Server: data.Server }),
  };
  let text: string;
  const f = format === 'json' ? '{{json .}}' : format;
  let tmpl;
  try {
    tmpl = parseTemplate(f || DEFAULT_TEMPLATE, undefined, 'version');
  } catch (e) {
    // docker exits 64 (usage) when the template does not parse.
    throw new StatusError(`template parsing error: ${(e as Error).message}`, 64);
  }
  try {
    text = tmpl.execute(data);
    if (!f) text = tabulate(text + '\n', { minwidth: 20, tabwidth: 1, padding: 1 });
    else text += '\n';
  } catch (e) {
    if (e instanceof TemplateError) throw new FormatError(`template parsing error: ${e.message}`);
    throw e;
  }
  await ctx.out(text);
  if (failure) {
    if (failure instanceof DaemonUnreachableError) throw new StatusError(failure.message, 1);
    throw failure;
  }
}

export const versionCmd = (): Command => ({
  name: 'version',
  use: '[OPTIONS]',
  short: 'Show the berth version information',
  args: { max: 0 },
  category: 'common',
  flags: [{ name: 'format', short: 'f', kind: 'string', usage: INSPECT_FORMAT_HELP }],
  run: async (ctx) => { await runVersion(ctx); },
});
