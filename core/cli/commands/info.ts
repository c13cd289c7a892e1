// `berth info` / `berth system info`: the client section and GET /info in docker's layout.
import { StatusError, type Command, type CommandContext } from '../command.ts';
import { INSPECT_FORMAT_HELP } from '../formatter.ts';
import { GO_TYPE, goJSON, parseTemplate, TemplateError } from '../template.ts';
import { bytesSize } from '../units.ts';

type Info = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function line(label: string, value: unknown): string {
  return `${label} ${value === undefined || value === null ? '' : String(value)}\n`;
}
function nonEmpty(label: string, value: unknown): string {
  return value === undefined || value === null || value === '' ? '' : line(label, value);
}

/** A net.IPNet as Go's JSON encodes it ({IP, Mask: base64}) printed as `127.0.0.0/8`. */
function cidrString(c: string | { IP: string; Mask: string }): string {
  if (typeof c === 'string') return c;
  let bits = 0;
  try {
    for (const ch of atob(c.Mask)) bits += [...ch.charCodeAt(0).toString(2)].filter((b) => b === '1').length;
  } catch { /* keep 0 */ }
  return `${c.IP}/${bits}`;
}

/** docker's prettyPrintServerInfo. */
export function formatServerInfo(info: Info, debug: boolean): string {
  let s = '';
  s += line(' Containers:', info.Containers ?? 0);
  s += line('  Running:', info.ContainersRunning ?? 0);
  s += line('  Paused:', info.ContainersPaused ?? 0);
  s += line('  Stopped:', info.ContainersStopped ?? 0);
  s += line(' Images:', info.Images ?? 0);
  s += nonEmpty(' Server Version:', info.ServerVersion);
  s += nonEmpty(' Storage Driver:', info.Driver);
  for (const [k, v] of (info.DriverStatus ?? []) as [string, string][]) s += `  ${k}: ${v}\n`;
  for (const [k, v] of (info.SystemStatus ?? []) as [string, string][]) s += ` ${k}: ${v}\n`;
  s += nonEmpty(' Logging Driver:', info.LoggingDriver);
  s += nonEmpty(' Cgroup Driver:', info.CgroupDriver);
  s += nonEmpty(' Cgroup Version:', info.CgroupVersion);
  s += ' Plugins:\n';
  s += line('  Volume:', (info.Plugins?.Volume ?? []).join(' '));
  s += line('  Network:', (info.Plugins?.Network ?? []).join(' '));
  if ((info.Plugins?.Authorization ?? []).length) s += line('  Authorization:', info.Plugins.Authorization.join(' '));
  s += line('  Log:', (info.Plugins?.Log ?? []).join(' '));
  if ((info.CDISpecDirs ?? []).length) s += ' CDI spec directories:\n' + info.CDISpecDirs.map((d: string) => `  ${d}\n`).join('');
  s += line(' Swarm:', info.Swarm?.LocalNodeState ?? 'inactive');
  const runtimes = Object.keys(info.Runtimes ?? {});
  if (runtimes.length) {
    s += line(' Runtimes:', runtimes.join(' '));
    s += line(' Default Runtime:', info.DefaultRuntime ?? '');
  }
  if (info.OSType === 'linux') {
    s += line(' Init Binary:', info.InitBinary ?? '');
    s += line(' containerd version:', info.ContainerdCommit?.ID ?? '');
    s += line(' runc version:', info.RuncCommit?.ID ?? '');
    s += line(' init version:', info.InitCommit?.ID ?? '');
    const opts = (info.SecurityOptions ?? []) as string[];
    if (opts.length) {
      s += ' Security Options:\n';
      for (const o of opts) {
        const kv = Object.fromEntries(o.split(',').map((p) => p.split('=', 2) as [string, string]));
        s += `  ${kv.name ?? o}\n`;
        if (kv.profile) s += line('   Profile:', kv.profile);
      }
    }
  }
  s += nonEmpty(' Kernel Version:', info.KernelVersion);
  s += nonEmpty(' Operating System:', info.OperatingSystem);
  s += nonEmpty(' OSType:', info.OSType);
  s += nonEmpty(' Architecture:', info.Architecture);
  s += line(' CPUs:', info.NCPU ?? 0);
  s += line(' Total Memory:', bytesSize(info.MemTotal ?? 0));
  s += nonEmpty(' Name:', info.Name);
  s += nonEmpty(' ID:', info.ID);
  s += line(' Docker Root Dir:', info.DockerRootDir ?? '');
  s += line(' Debug Mode:', !!info.Debug);
  if (info.Debug || debug) {
    s += line('  File Descriptors:', info.NFd ?? 0);
    s += line('  Goroutines:', info.NGoroutines ?? 0);
    s += line('  System Time:', info.SystemTime ?? '');
    s += line('  EventsListeners:', info.NEventsListener ?? 0);
  }
  s += nonEmpty(' HTTP Proxy:', info.HttpProxy);
  s += nonEmpty(' HTTPS Proxy:', info.HttpsProxy);
  s += nonEmpty(' No Proxy:', info.NoProxy);
  s += nonEmpty(' Username:', info.UserName);
  if ((info.Labels ?? []).length) s += ' Labels:\n' + info.Labels.map((l: string) => `  ${l}\n`).join('');
  s += line(' Experimental:', !!info.ExperimentalBuild);
  const reg = info.RegistryConfig;
  const indexConfigs = Object.values(reg?.IndexConfigs ?? {}) as { Name: string; Secure: boolean }[];
  const cidrs = ((reg?.InsecureRegistryCIDRs ?? []) as (string | { IP: string; Mask: string })[]).map(cidrString);
  if (reg && (cidrs.length || indexConfigs.length)) {
    s += ' Insecure Registries:\n';
    for (const c of indexConfigs) if (!c.Secure) s += `  ${c.Name}\n`;
    for (const c of cidrs) s += `  ${c}\n`;
  }
  if ((reg?.Mirrors ?? []).length) s += ' Registry Mirrors:\n' + reg.Mirrors.map((m: string) => `  ${m}\n`).join('');
  s += line(' Live Restore Enabled:', !!info.LiveRestoreEnabled);
  if (info.ProductLicense) s += line(' Product License:', info.ProductLicense);
  for (const p of (info.DefaultAddressPools ?? []) as { Base: string; Size: number }[]) {
    if (!s.includes(' Default Address Pools:\n')) s += ' Default Address Pools:\n';
    s += `   Base: ${p.Base}, Size: ${p.Size}\n`;
  }
  return s + '\n';
}

async function runInfo(ctx: CommandContext): Promise<void> {
  const format = ctx.flags.format as string;
  const debug = ctx.globals.debug || !!ctx.host.env.DEBUG;
  if (format) {
    let info: Info | null = null;
    let failure: unknown;
    try {
      info = await (await ctx.api()).get<Info>('/info');
    } catch (e) {
      failure = e;
    }
    const client = { Version: ctx.host.build.version, Context: 'default', Debug: debug, Plugins: [], Warnings: null };
    const data = {
      [GO_TYPE]: 'system.dockerInfo',
      ...(info ?? {}),
      ClientInfo: client,
      ClientErrors: undefined,
      ServerErrors: failure ? [(failure as Error).message] : undefined,
      MarshalJSON: () => goJSON({ ...(info ?? {}), ClientInfo: client, ...(failure ? { ServerErrors: [(failure as Error).message] } : {}) }),
    };
    try {
      const tmpl = parseTemplate(format === 'json' ? '{{json .}}' : format);
      await ctx.out(tmpl.execute(data) + '\n');
    } catch (e) {
      if (e instanceof TemplateError) throw new StatusError(`template parsing error: ${e.message}`, 64);
      throw e;
    }
    if (failure) throw failure;
    return;
  }
  await ctx.out(`Client:\n Version:    ${ctx.host.build.version}\n Context:    default\n Debug Mode: ${debug}\n\nServer:\n`);
  const info = await (await ctx.api()).get<Info>('/info');
  await ctx.out(formatServerInfo(info, debug));
  for (const w of (info.Warnings ?? []) as string[]) await ctx.err(`${w}\n`);
}

function infoCommand(name: string): Command {
  return {
    name,
    use: '[OPTIONS]',
    short: 'Display system-wide information',
    aliasesHelp: 'berth system info, berth info',
    args: { max: 0 },
    category: 'common',
    flags: [{ name: 'format', short: 'f', kind: 'string', usage: INSPECT_FORMAT_HELP }],
    run: async (ctx) => { await runInfo(ctx); },
  };
}

export const infoCmd = (): Command => infoCommand('info');
export const systemInfoCmd = (): Command => infoCommand('info');
