// `docker events --filter` semantics (dockerd's daemon/events/filter.go).
import type { EngineEvent } from './events.ts';

export type EventFilters = Map<string, string[]>;

function exact(f: EventFilters, key: string, value: string | undefined): boolean {
  const values = f.get(key);
  if (!values || values.length === 0) return true;
  return value !== undefined && values.includes(value);
}

function fuzzy(f: EventFilters, key: string, value: string | undefined): boolean {
  const values = f.get(key);
  if (!values || values.length === 0) return true;
  if (value === undefined) return false;
  return values.some((v) => v === value || value.startsWith(v));
}

function stripTag(name: string): string {
  const at = name.indexOf('@');
  if (at >= 0) return name.slice(0, at);
  const colon = name.lastIndexOf(':');
  return colon > name.lastIndexOf('/') ? name.slice(0, colon) : name;
}

function matchLabels(f: EventFilters, attrs: Record<string, string>): boolean {
  const values = f.get('label');
  if (!values || values.length === 0) return true;
  return values.every((expr) => {
    const i = expr.indexOf('=');
    if (i < 0) return expr in attrs;
    return attrs[expr.slice(0, i)] === expr.slice(i + 1);
  });
}

function byName(f: EventFilters, e: EngineEvent, type: string): boolean {
  if (!f.get(type)?.length) return true;
  if (e.Type !== type) return false;
  return fuzzy(f, type, e.Actor.ID) || fuzzy(f, type, e.Actor.Attributes.name);
}

function matchImage(f: EventFilters, e: EngineEvent): boolean {
  if (!f.get('image')?.length) return true;
  const name = e.Actor.Attributes[e.Type === 'image' ? 'name' : 'image'] ?? '';
  return [e.Actor.ID, name, stripTag(e.Actor.ID), stripTag(name)].some((v) => exact(f, 'image', v));
}

export function matchEvent(f: EventFilters, e: EngineEvent): boolean {
  const fuzzyActions = (f.get('event') ?? []).some((v) => ['health_status', 'exec_create', 'exec_start'].includes(v));
  return (fuzzyActions ? fuzzy(f, 'event', e.Action) : exact(f, 'event', e.Action))
    && exact(f, 'type', e.Type)
    && exact(f, 'scope', e.scope)
    && byName(f, e, 'container')
    && byName(f, e, 'volume')
    && byName(f, e, 'network')
    && byName(f, e, 'daemon')
    && byName(f, e, 'plugin')
    && matchImage(f, e)
    && matchLabels(f, e.Actor.Attributes);
}
