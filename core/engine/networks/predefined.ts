// The networks every daemon has (dockerd's predefined `bridge`, `host` and `none`): their IDs, made
// once and kept in the metadata store so they are stable across restarts, and the `network connect` /
// `network disconnect` events dockerd sends for them at every container start and stop.
import type { MetadataStore } from '../../metadata/kv.ts';
import type { EventBus } from '../events.ts';
import { errorText } from '../../system-error.ts';
import { generateId } from '../containers/names.ts';

export type PredefinedName = 'bridge' | 'host' | 'none';

/** The driver each one shows as its event's `type` (`none` has the `null` driver). */
const DRIVERS: Record<PredefinedName, string> = { bridge: 'bridge', host: 'host', none: 'null' };
const NAMES = Object.keys(DRIVERS) as PredefinedName[];
const KEY_PREFIX = 'network/predefined/';
const ID = /^[0-9a-f]{64}$/;

/** The predefined network a container's NetworkMode joins: `default` is `bridge`; `container:<id>` and user networks none. */
export function predefinedNetworkOf(mode: string | undefined): PredefinedName | undefined {
  const name = !mode || mode === 'default' ? 'bridge' : mode;
  return (NAMES as string[]).includes(name) ? name as PredefinedName : undefined;
}

export class PredefinedNetworks {
  private readonly ids = new Map<PredefinedName, string>();

  private constructor(private readonly events: EventBus) {}

  /**
   * Reads the IDs, making the missing ones. A write the disk cannot take (full) does not stop the
   * daemon: the ID is used and written at a later start.
   */
  static async open(store: MetadataStore, events: EventBus, log: (level: 'warn', message: string) => void = () => {}): Promise<PredefinedNetworks> {
    const n = new PredefinedNetworks(events);
    for (const name of NAMES) {
      const key = KEY_PREFIX + name;
      const raw = await store.get(key);
      const kept = raw ? new TextDecoder().decode(raw).trim() : '';
      if (ID.test(kept)) { n.ids.set(name, kept); continue; }
      const id = generateId();
      n.ids.set(name, id);
      await store.put(key, new TextEncoder().encode(id)).catch((e: unknown) => {
        log('warn', `cannot record the ID of network ${name}: ${errorText(e)}`);
      });
    }
    return n;
  }

  id(name: PredefinedName): string {
    return this.ids.get(name)!;
  }

  /** dockerd's `network connect` (before the container's `start`) and `network disconnect` (after its `die`). */
  publish(action: 'connect' | 'disconnect', name: PredefinedName, containerId: string): void {
    this.events.publish('network', action, this.id(name), { container: containerId, name, type: DRIVERS[name] });
  }
}
