// The events bus (dockerd's daemon/events): every state change is published once, kept in a
// short ring buffer for `--since`, and fanned out to live `/events` listeners.

export type EventType = 'image' | 'container' | 'network' | 'volume' | 'daemon' | 'plugin' | 'builder';

export interface EventActor { ID: string; Attributes: Record<string, string> }

export interface EngineEvent {
  Type: EventType;
  Action: string;
  Actor: EventActor;
  scope: 'local' | 'swarm';
  /** Unix nanoseconds (bigint: the value does not fit a double exactly). */
  timeNano: bigint;
}

export type EventListener = (e: EngineEvent) => void;

/** dockerd keeps the last 256 events for `--since`. */
const BUFFER_SIZE = 256;

export class EventBus {
  private readonly buffer: EngineEvent[] = [];
  private readonly listeners = new Set<EventListener>();
  private lastNano = 0n;

  constructor(private readonly now: () => Date = () => new Date()) {}

  publish(type: EventType, action: string, id: string, attributes: Record<string, string> = {}): EngineEvent {
    // Millisecond clocks would give equal stamps to a burst; keep them strictly increasing so
    // `since`/`until` windows and ordering stay exact.
    let nano = BigInt(this.now().getTime()) * 1_000_000n;
    if (nano <= this.lastNano) nano = this.lastNano + 1n;
    this.lastNano = nano;
    const event: EngineEvent = { Type: type, Action: action, Actor: { ID: id, Attributes: attributes }, scope: 'local', timeNano: nano };
    this.buffer.push(event);
    if (this.buffer.length > BUFFER_SIZE) this.buffer.shift();
    for (const l of [...this.listeners]) {
      try { l(event); } catch { /* a broken listener must not stop the others */ }
    }
    return event;
  }

  /** Buffered events with since < time <= until (nanoseconds; either bound optional). */
  recent(since?: bigint, until?: bigint): EngineEvent[] {
    return this.buffer.filter((e) => (since === undefined || e.timeNano > since) && (until === undefined || e.timeNano <= until));
  }

  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => { this.listeners.delete(listener); };
  }

  get listenerCount(): number { return this.listeners.size; }
}
