// Keeps berth's bridge networks apart without a firewall, by policy routing. berth owns route
// table 1599 and rule priorities 31000-31099 and nothing else: table 1599 prohibits every berth
// subnet, and traffic arriving on a berth bridge looks there first (pref 31000), so a container
// cannot be routed into another network; an internal network's bridge then meets a prohibit rule
// (pref 31001), so it is routed nowhere. Traffic within a network is bridged and never routed, and
// traffic to the host's own addresses (gateways, for DNS) is delivered by the local table (pref 0).
import type { BridgeNetworkSpec } from '../../core/engine/networks/host.ts';
import { native, type NetlinkRule, type NetlinkRuleAction } from '../native/index.ts';
import { canonicalSubnet } from './subnet.ts';
import { hostRoutes } from './host-routes.ts';

export const ISOLATION_TABLE = 1599;
export const RULE_PRIORITY_FIRST = 31000;
export const RULE_PRIORITY_LAST = 31099;
const LOOKUP_PRIORITY = 31000;
const INTERNAL_PRIORITY = 31001;

interface Rule {
  priority: number;
  action: NetlinkRuleAction;
  table: number;
  iif: string;
}

function rulesFor(spec: BridgeNetworkSpec): Rule[] {
  const rules: Rule[] = [{ priority: LOOKUP_PRIORITY, action: 'lookup', table: ISOLATION_TABLE, iif: spec.bridge }];
  if (spec.internal) rules.push({ priority: INTERNAL_PRIORITY, action: 'prohibit', table: 0, iif: spec.bridge });
  return rules;
}

const ruleKey = (r: { priority: number; action: string; table: number; iif?: string; destination?: string }) =>
  `${r.priority} ${r.action} ${r.table} ${r.iif ?? ''} ${r.destination ?? ''}`;

/** berth's rules now in place (its priority range only). */
function berthRules(netns: number | null): NetlinkRule[] {
  return native().netlinkListRules(netns).filter((r) => r.priority >= RULE_PRIORITY_FIRST && r.priority <= RULE_PRIORITY_LAST);
}

/** The destinations of table 1599's routes now in place. */
function isolationRoutes(netns: number | null): string[] {
  return native().netlinkListRoutes(netns).filter((r) => r.table === ISOLATION_TABLE).map((r) => r.destination);
}

function deleteRule(rule: NetlinkRule | Rule, netns: number | null): void {
  try {
    native().netlinkDeleteRule(netns, rule.priority, rule.action as NetlinkRuleAction, rule.table, rule.iif ?? null,
      'destination' in rule ? rule.destination ?? null : null);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
}

function deleteRoute(destination: string, netns: number | null): void {
  try {
    native().netlinkDeleteRoute(netns, destination, { table: ISOLATION_TABLE });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e;
  }
}

function ignoreExisting(add: () => void): void {
  try {
    add();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
}

/**
 * Makes berth's rules and table-1599 routes those `specs` (every bridge network berth has) need:
 * the missing ones are added first, so a network is never left open while the set changes, then
 * the stale ones (of networks gone) are removed. Another berthd on the host (a second data root)
 * shares the table: its rules (their bridge still exists) and routes (their subnet still routed)
 * are not stale, so each daemon's networks stay apart from the other's. `netns` (tests): where,
 * instead of the daemon's namespace.
 */
export async function isolateNetworks(specs: readonly BridgeNetworkSpec[], netns: number | null = null): Promise<void> {
  const nl = native();
  const wantedRules = new Map(specs.flatMap(rulesFor).map((r) => [ruleKey(r), r]));
  const wantedRoutes = new Set(specs.map(canonicalSubnet));
  const rules = berthRules(netns);
  const routes = isolationRoutes(netns);
  const haveRules = new Set(rules.map(ruleKey));
  for (const destination of wantedRoutes) {
    if (!routes.includes(destination)) ignoreExisting(() => nl.netlinkAddRoute(netns, destination, null, null, { table: ISOLATION_TABLE, type: 'prohibit' }));
  }
  for (const [key, r] of wantedRules) {
    if (!haveRules.has(key)) ignoreExisting(() => nl.netlinkAddRule(netns, r.priority, r.action, r.table, r.iif, null));
  }
  const ours = new Set(specs.map((s) => s.bridge));
  const othersBridges = new Set(nl.netlinkListLinks(netns).filter((l) => l.kind === 'bridge' && !ours.has(l.name)).map((l) => l.name));
  const routed = new Set(hostRoutes(netns));
  for (const rule of rules) if (!wantedRules.has(ruleKey(rule)) && !(rule.iif && othersBridges.has(rule.iif))) deleteRule(rule, netns);
  for (const destination of routes) if (!wantedRoutes.has(destination) && !routed.has(destination)) deleteRoute(destination, netns);
}

/** Removes one network's rules and route (its bridge is going away). */
export function removeNetworkIsolation(spec: BridgeNetworkSpec, netns: number | null = null): void {
  for (const rule of berthRules(netns)) if (rule.iif === spec.bridge) deleteRule(rule, netns);
  const subnet = canonicalSubnet(spec);
  if (isolationRoutes(netns).includes(subnet)) deleteRoute(subnet, netns);
}

/** Removes every berth rule and table-1599 route (tests, clean-up). */
export async function removeIsolation(netns: number | null = null): Promise<void> {
  for (const rule of berthRules(netns)) deleteRule(rule, netns);
  for (const destination of isolationRoutes(netns)) deleteRoute(destination, netns);
}
