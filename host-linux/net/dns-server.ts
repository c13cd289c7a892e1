// The transport of the embedded DNS server (UDP, and TCP for answers too large for UDP): decodes a container's query, lets core's resolver
// answer it, and sends what it does not know to the host's resolvers unchanged. Which container
// is asking comes from the query's source address (the caller maps it to the container's networks).
import { createSocket, type Socket } from 'node:dgram';
import { createServer, type Server } from 'node:net';
import * as dnsPacket from 'dns-packet';
import type { ServiceRecords } from '../../core/network/dns/service-records.ts';
import { RCODE, answerQuery, reply, serverFailure, type DnsClient } from '../../core/network/dns/resolver.ts';

/** A host service: sends a query's bytes (from `client`) to an upstream resolver and resolves with its answer's bytes. */
export type DnsForwarder = (query: Uint8Array, client: DnsClient) => Promise<Uint8Array>;

export interface DnsServerOptions {
  records: ServiceRecords;
  /** The container behind a source address; undefined refuses the query (berth is not an open resolver). */
  client(source: { address: string; port: number }): DnsClient | undefined;
  /** Omitted on `--internal` networks: unknown names then fail (SERVFAIL), as with dockerd. */
  forward?: DnsForwarder;
  host?: string;
  /** 0 (the default) picks a free port. */
  port?: number;
  /**
   * SO_REUSEADDR on the UDP socket: binding one address's port then works beside a resolver that
   * holds the port on every address with the same option (TCP servers always have it in Node).
   */
  reuseAddr?: boolean;
}

export interface DnsServer {
  address: string;
  /** The same port serves UDP and TCP (clients retry a truncated answer over TCP). */
  port: number;
  close(): Promise<void>;
}

// RFC 1035's UDP limit, unless the query's EDNS0 record offers more (miekg/dns's MinMsgSize, as dockerd uses).
const UDP_MIN_SIZE = 512;
const TCP_MAX_SIZE = 65535;

export async function startDnsServer(options: DnsServerOptions): Promise<DnsServer> {
  const host = options.host ?? '127.0.0.1';
  // With port 0 the kernel picks a UDP port; the TCP side must get the same one, which another
  // process may hold: then both are tried again on a new port.
  for (let attempt = 0; ; attempt++) {
    const udp = await bindUdp(options, host, options.port ?? 0);
    const port = udp.address().port;
    const tcp = await listenTcp(options, host, port).catch((e: NodeJS.ErrnoException) => {
      udp.close();
      if (e.code === 'EADDRINUSE' && !options.port && attempt < 5) return undefined;
      throw e;
    });
    if (!tcp) continue;
    return {
      address: host,
      port,
      close: async () => {
        await Promise.all([
          new Promise<void>((resolve) => udp.close(() => resolve())),
          new Promise<void>((resolve) => tcp.close(() => resolve())),
        ]);
      },
    };
  }
}

async function bindUdp(options: DnsServerOptions, host: string, port: number): Promise<Socket> {
  const socket = createSocket({ type: 'udp4', reuseAddr: options.reuseAddr ?? false });
  socket.on('message', (message, remote) => {
    void respond(options, message, remote, (query) => udpLimit(query)).then((response) => {
      if (response) socket.send(response, remote.port, remote.address);
    });
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(port, host, () => {
      socket.off('error', reject);
      resolve();
    });
  });
  // A send to a client that went away must not bring the daemon down.
  socket.on('error', () => {});
  return socket;
}

/** DNS over TCP: each message is preceded by its length in two bytes (RFC 1035 4.2.2). */
async function listenTcp(options: DnsServerOptions, host: string, port: number): Promise<Server> {
  const server = createServer((conn) => {
    conn.on('error', () => conn.destroy());
    let pending = Buffer.alloc(0);
    conn.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 2 && pending.length >= 2 + pending.readUInt16BE(0)) {
        const message = pending.subarray(2, 2 + pending.readUInt16BE(0));
        pending = pending.subarray(2 + message.length);
        const source = { address: conn.remoteAddress ?? '', port: conn.remotePort ?? 0 };
        void respond(options, message, source, () => TCP_MAX_SIZE).then((response) => {
          if (!response || conn.destroyed) return;
          const length = Buffer.alloc(2);
          length.writeUInt16BE(response.length);
          conn.write(Buffer.concat([length, response]));
        });
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return server;
}

/** The bytes to send back for one query message, or undefined when it gets no reply. */
async function respond(
  options: DnsServerOptions, message: Buffer, source: { address: string; port: number },
  limit: (query: dnsPacket.DecodedPacket) => number,
): Promise<Uint8Array | undefined> {
  let query: dnsPacket.DecodedPacket;
  try {
    query = dnsPacket.decode(message);
  } catch {
    return undefined; // Not a DNS message: nothing to answer to (dockerd drops these too).
  }
  const client = options.client(source);
  if (!client) return dnsPacket.encode(reply(query, RCODE.REFUSED));
  const verdict = answerQuery(query, client, options.records);
  if (verdict.action === 'drop') return undefined;
  if (verdict.action === 'answer') return fit(verdict.response, limit(query));
  return forwardOrFail(options.forward, message, query, client);
}

async function forwardOrFail(forward: DnsForwarder | undefined, message: Buffer, query: dnsPacket.Packet, client: DnsClient): Promise<Uint8Array> {
  if (forward) {
    try {
      return await forward(message, client);
    } catch {
      // Every upstream failed or timed out: the client gets a prompt SERVFAIL instead of its own timeout.
    }
  }
  return dnsPacket.encode(serverFailure(query));
}

function udpLimit(query: dnsPacket.DecodedPacket): number {
  const opt = query.additionals?.find((a) => a.type === 'OPT') as { udpPayloadSize?: number } | undefined;
  return Math.max(UDP_MIN_SIZE, opt?.udpPayloadSize ?? 0);
}

/**
 * The encoded response, cut to the answers that fit with TC set when it is larger than `limit`
 * (as miekg/dns's Truncate, which dockerd applies), so a UDP client retries over TCP.
 */
function fit(response: dnsPacket.Packet, limit: number): Uint8Array {
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
