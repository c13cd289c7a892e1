// `berth network inspect`: GET /networks/{id} for each argument. --format runs on the network as
// the docker CLI decodes it (network.Inspect and its structs, so `{{.IPAM.Config}}` prints
// `[{172.18.0.0/16  172.18.0.1 map[]}]` and `{{.Created}}` a Go time), falling back to the raw JSON
// for what those types lack, as docker's inspector does.
import type { Command } from '../command.ts';
import { INSPECT_FORMAT_HELP } from '../formatter.ts';
import { goJSON, goMap, GO_TYPE } from '../template.ts';
import { inspectAll } from './inspect.ts';
import { createdAt } from './network-ls.ts';

type Json = Record<string, unknown>;

/** Go's `json:",omitempty"`: empty strings, lists and maps left out. */
function omitEmpty(o: Json): Json {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== '' && !(Array.isArray(v) && v.length === 0) && !(v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0)));
}

/** A Go struct: its fields in order; its methods (String, MarshalJSON) are no fields. */
function struct(type: string, fields: Json, methods: Record<string, () => string> = {}): Json {
  const o: Json = Object.assign({ [GO_TYPE]: type }, fields);
  for (const [name, f] of Object.entries(methods)) Object.defineProperty(o, name, { value: f, enumerable: false });
  return o;
}
const obj = (v: unknown): Json => (v && typeof v === 'object' && !Array.isArray(v) ? v as Json : {});
const str = (v: unknown): string => (typeof v === 'string' ? v : '');
/** A Go map[string]V: null decodes to an empty (nil) map, which prints as `map[]`. */
const mapOf = (v: unknown, value: (x: unknown) => unknown = str): Json =>
  goMap(Object.fromEntries(Object.entries(obj(v)).map(([k, x]) => [k, value(x)])));

function ipamConfig(raw: unknown): Json {
  const c = obj(raw);
  const addresses = { Subnet: str(c.Subnet), IPRange: str(c.IPRange), Gateway: str(c.Gateway) };
  const aux = mapOf(c.AuxiliaryAddresses);
  // The field AuxAddress is `AuxiliaryAddresses` in JSON.
  return struct('network.IPAMConfig', { ...addresses, AuxAddress: aux }, { MarshalJSON: () => goJSON(omitEmpty({ ...addresses, AuxiliaryAddresses: aux })) });
}

function endpointResource(raw: unknown): Json {
  const e = obj(raw);
  return struct('network.EndpointResource', {
    Name: str(e.Name), EndpointID: str(e.EndpointID), MacAddress: str(e.MacAddress), IPv4Address: str(e.IPv4Address), IPv6Address: str(e.IPv6Address),
  });
}

/** time.Time's JSON: RFC 3339 with the fraction's trailing zeros dropped. */
function timeJSON(text: string): string {
  const m = /^(.*?)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(text);
  const frac = m?.[2]?.replace(/0+$/, '');
  return JSON.stringify(m ? `${m[1]}${frac ? `.${frac}` : ''}${m[3]}` : text);
}

/** network.Inspect as the docker CLI decodes GET /networks/{id}. */
export function networkInspectView(raw: Json): Json {
  const ipam = obj(raw.IPAM);
  const created = str(raw.Created);
  const fields: Json = {
    Name: str(raw.Name), ID: str(raw.Id),
    Created: struct('time.Time', {}, { String: () => createdAt(created), MarshalJSON: () => timeJSON(created) }),
    Scope: str(raw.Scope), Driver: str(raw.Driver), EnableIPv4: raw.EnableIPv4 === true, EnableIPv6: raw.EnableIPv6 === true,
    IPAM: struct('network.IPAM', {
      Driver: str(ipam.Driver), Options: mapOf(ipam.Options), Config: Array.isArray(ipam.Config) ? ipam.Config.map(ipamConfig) : [],
    }),
    Internal: raw.Internal === true, Attachable: raw.Attachable === true, Ingress: raw.Ingress === true,
    ConfigFrom: struct('network.ConfigReference', { Network: str(obj(raw.ConfigFrom).Network) }),
    ConfigOnly: raw.ConfigOnly === true,
    Containers: mapOf(raw.Containers, endpointResource),
    Options: mapOf(raw.Options),
    Labels: mapOf(raw.Labels),
  };
  // The swarm fields: always there for templates, omitempty in JSON, which names the ID `Id`.
  const swarm = { Peers: Array.isArray(raw.Peers) ? raw.Peers : [], Services: goMap(obj(raw.Services)) };
  const json = () => goJSON({ ...Object.fromEntries(Object.entries(fields).map(([k, v]) => [k === 'ID' ? 'Id' : k, v])), ...omitEmpty(swarm) });
  return struct('network.Inspect', { ...fields, ...swarm }, { MarshalJSON: json });
}

export const networkInspectCmd = (): Command => ({
  name: 'inspect',
  use: '[OPTIONS] NETWORK [NETWORK...]',
  short: 'Display detailed information on one or more networks',
  args: { min: 1 },
  flags: [
    { name: 'format', short: 'f', kind: 'string', usage: INSPECT_FORMAT_HELP },
    { name: 'verbose', short: 'v', kind: 'bool', usage: 'Verbose output for diagnostics' },
  ],
  run: async (ctx) => {
    const api = await ctx.api();
    const query = ctx.flags.verbose as boolean ? { verbose: 'true' } : undefined;
    await inspectAll(ctx, ctx.args, async (name) => {
      const raw = await (await api.request('GET', `/networks/${encodeURIComponent(name)}`, { query })).text();
      return { raw, typed: networkInspectView(JSON.parse(raw) as Json) };
    });
  },
});
