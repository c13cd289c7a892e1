// The UDP transport of the embedded DNS server: decodes a container's query, lets core's resolver
// answer it, and sends what it does not know to the host's resolvers unchanged. Which container
// is asking comes from the query's source address (the caller maps it to the container's networks).
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import * as dnsPacket from 'dns-packet';
import type { ServiceRecords } from '../../core/network/dns/service-records.ts';
import { RCODE, answerQuery, reply, serverFailure, type DnsClient } from '../../core/network/dns/resolver.ts';

/** A host service: sends a query's bytes to an upstream resolver and resolves with its answer's bytes. */
export type DnsForwarder = (query: Uint8Array) => Promise<Uint8Array>;

export interface DnsServerOptions {
  records: ServiceRecords;
  /** The container behind a source address; undefined refuses the query (berth is not an open resolver). */
  client(source: { address: string; port: number }): DnsClient | undefined;
  /** Omitted on `--internal` networks: unknown names then fail (SERVFAIL), as with dockerd. */
  forward?: DnsForwarder;
  host?: string;
  /** 0 (the default) picks a free port. */
  port?: number;
}

export interface DnsServer {
  address: string;
  port: number;
  close(): Promise<void>;
}

// RFC 1035's UDP limit, unless the query's EDNS0 record offers more (miekg/dns's MinMsgSize, as dockerd uses).
const UDP_MIN_SIZE = 512;

export async function startDnsServer(options: DnsServerOptions): Promise<DnsServer> {
  const socket = createSocket('udp4');
  socket.on('message', (message, remote) => {
    void handle(socket, options, message, remote);
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      socket.off('error', reject);
      resolve();
    });
  });
  // A send to a client that went away must not bring the daemon down.
  socket.on('error', () => {});
  const bound = socket.address();
  return {
    address: bound.address,
    port: bound.port,
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}

async function handle(socket: Socket, options: DnsServerOptions, message: Buffer, remote: RemoteInfo): Promise<void> {
  let query: dnsPacket.DecodedPacket;
  try {
    query = dnsPacket.decode(message);
  } catch {
    return; // Not a DNS message: nothing to answer to (dockerd drops these too).
  }
  const client = options.client({ address: remote.address, port: remote.port });
  let response: Uint8Array;
  if (!client) {
    response = dnsPacket.encode(reply(query, RCODE.REFUSED));
  } else {
    const verdict = answerQuery(query, client, options.records);
    if (verdict.action === 'drop') return;
    if (verdict.action === 'answer') response = fitUdp(query, verdict.response);
    else response = await forwardOrFail(options.forward, message, query);
  }
  socket.send(response, remote.port, remote.address);
}

async function forwardOrFail(forward: DnsForwarder | undefined, message: Buffer, query: dnsPacket.Packet): Promise<Uint8Array> {
  if (forward) {
    try {
      return await forward(message);
    } catch {
      // Every upstream failed or timed out: the client gets a prompt SERVFAIL instead of its own timeout.
    }
  }
  return dnsPacket.encode(serverFailure(query));
}

/**
 * The encoded response, cut to the answers that fit with TC set when it is larger than the client
 * can take over UDP (as miekg/dns's Truncate, which dockerd applies), so the client retries over TCP.
 */
function fitUdp(query: dnsPacket.DecodedPacket, response: dnsPacket.Packet): Uint8Array {
  const opt = query.additionals?.find((a) => a.type === 'OPT') as { udpPayloadSize?: number } | undefined;
  const limit = Math.max(UDP_MIN_SIZE, opt?.udpPayloadSize ?? 0);
  const encoded = dnsPacket.encode(response);
  if (encoded.length <= limit) return encoded;
  const answers = [...(response.answers ?? [])];
  const truncated = { ...response, flags: (response.flags ?? 0) | dnsPacket.TRUNCATED_RESPONSE, answers };
  while (answers.length > 0 && dnsPacket.encodingLength(truncated) > limit) answers.pop();
  return dnsPacket.encode(truncated);
}

/**
 * Forwards over UDP to the host's resolvers (from its resolv.conf), trying each in turn as dockerd
 * does: one that does not answer within `timeoutMs`, or answers SERVFAIL or REFUSED, is skipped.
 */
export function udpForwarder(upstreams: readonly { address: string; port?: number }[], timeoutMs = 4000): DnsForwarder {
  return async (query) => {
    for (const upstream of upstreams) {
      const answer = await askOnce(upstream.address, upstream.port ?? 53, query, timeoutMs).catch(() => undefined);
      const rcode = answer && answer.length >= 4 ? answer[3]! & 0xf : undefined;
      if (rcode !== undefined && rcode !== RCODE.SERVFAIL && rcode !== RCODE.REFUSED) return answer!;
    }
    throw new Error('no upstream DNS server answered');
  };
}

function askOnce(address: string, port: number, query: Uint8Array, timeoutMs: number): Promise<Uint8Array> {
  const id = query.length >= 2 ? (query[0]! << 8) | query[1]! : -1;
  const socket = createSocket(address.includes(':') ? 'udp6' : 'udp4');
  return new Promise<Uint8Array>((resolve, reject) => {
    const timer = setTimeout(() => done(new Error(`DNS server ${address}:${port} did not answer`)), timeoutMs);
    let finished = false;
    const done = (error?: Error, answer?: Uint8Array) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      socket.close();
      if (error) reject(error);
      else resolve(answer!);
    };
    socket.on('error', (e) => done(e));
    // Only the answer to this query (same id, from that server) counts; stray datagrams are ignored.
    socket.on('message', (answer, from) => {
      if (from.port === port && answer.length >= 2 && ((answer[0]! << 8) | answer[1]!) === id) done(undefined, answer);
    });
    socket.send(query, port, address);
  });
}
