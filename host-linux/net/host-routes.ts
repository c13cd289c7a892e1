// The subnets a network namespace already routes, which a new network's IPAM must not take (as
// dockerd checks a candidate pool against the host's routes). Like dockerd it reads the main
// table and ignores the default route, which would overlap everything.
import { native } from '../native/index.ts';

const RT_TABLE_MAIN = 254;

/** The destinations ("10.0.0.0/8") of the main table's routes in `netns` (an fd; null: the daemon's own). */
export function hostRoutes(netns: number | null = null): string[] {
  const routes = native().netlinkListRoutes(netns).filter((r) => r.table === RT_TABLE_MAIN && r.destination !== '0.0.0.0/0');
  return [...new Set(routes.map((r) => r.destination))];
}
