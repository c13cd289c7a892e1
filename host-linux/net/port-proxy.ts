// Published ports without a firewall: dockerd's docker-proxy, in the daemon's process. Each
// mapping listens on hostIp:hostPort and forwards to containerIp:containerPort: TCP per
// connection (both directions piped, a half-close passed on as a half-close), UDP per client
// address (a connected socket to the container whose replies go back to that client, dropped
// after 90 s without traffic as docker-proxy's conntrack timeout).
import { createSocket, type RemoteInfo, type Socket as UdpSocket } from 'node:dgram';
import { connect, createServer, isIPv6, type Server, type Socket } from 'node:net';
import { BerthError } from '../../core/errors.ts';
import { joinHostPort, type HostPortProbe, type PortProtocol } from '../../core/network/host-ports.ts';
import type { PortMapping, PublishedPorts } from '../../core/engine/networks/host.ts';

/** docker-proxy's UDPConnTrackTimeout. */
export const UDP_IDLE_MS = 90_000;

// Go's syscall.Errno texts, which dockerd's message carries.
const ERRNO_TEXT: Record<string, string> = {
  EADDRINUSE: 'address already in use',
  EADDRNOTAVAIL: 'cannot assign requested address',
  EACCES: 'permission denied',
  EAFNOSUPPORT: 'address family not supported by protocol',
};

const network = (protocol: PortProtocol, ip: string) => `${protocol}${isIPv6(ip) ? '6' : '4'}`;

/** `Error starting userland proxy: listen tcp4 0.0.0.0:8080: bind: address already in use`. */
function proxyError(m: PortMapping, e: NodeJS.ErrnoException): BerthError {
  const why = ERRNO_TEXT[e.code ?? ''] ?? e.message;
  return new BerthError('internal',
    `Error starting userland proxy: listen ${network(m.protocol, m.hostIp)} ${joinHostPort(m.hostIp, m.hostPort)}: bind: ${why}`,
    { cause: e });
}

interface Listener { close(): Promise<void> }

/** Binding `::` only for IPv6 keeps it apart from a `0.0.0.0` mapping of the same port, as docker-proxy's. */
const v6Only = (ip: string) => isIPv6(ip);

function listenTcp(m: PortMapping): Promise<Listener> {
  const conns = new Set<Socket>();
  const server: Server = createServer({ allowHalfOpen: true }, (client) => {
    const upstream = connect({ host: m.containerIp, port: m.containerPort, allowHalfOpen: true });
    conns.add(client).add(upstream);
    // A reset or a refused connection to the container ends both sides at once.
    const fail = () => { client.destroy(); upstream.destroy(); };
    for (const s of [client, upstream]) s.on('error', fail).on('close', () => conns.delete(s));
    // pipe() ends the other side when one side ends: its FIN goes on and the reverse direction stays open.
    client.pipe(upstream);
    upstream.pipe(client);
  });
  return new Promise((resolve, reject) => {
    server.once('error', (e) => reject(proxyError(m, e)));
    server.listen({ host: m.hostIp, port: m.hostPort, ipv6Only: v6Only(m.hostIp) }, () => {
      server.removeAllListeners('error');
      resolve({
        close: () => new Promise<void>((done) => {
          server.close(() => done());
          for (const c of conns) c.destroy();
        }),
      });
    });
  });
}

function listenUdp(m: PortMapping): Promise<Listener> {
  const front = createSocket({ type: isIPv6(m.hostIp) ? 'udp6' : 'udp4', ipv6Only: v6Only(m.hostIp) });
  const flows = new Map<string, { socket: UdpSocket; timer: NodeJS.Timeout; pending: Buffer[] | undefined }>();
  const drop = (key: string) => {
    const flow = flows.get(key);
    if (!flow) return;
    flows.delete(key);
    clearTimeout(flow.timer);
    flow.socket.close();
  };
  const touch = (key: string) => {
    const flow = flows.get(key);
    if (flow) flow.timer.refresh();
  };
  const flowFor = (client: RemoteInfo) => {
    const key = joinHostPort(client.address, client.port);
    let flow = flows.get(key);
    if (flow) return { key, flow };
    const socket = createSocket(isIPv6(m.containerIp) ? 'udp6' : 'udp4');
    flow = { socket, timer: setTimeout(() => drop(key), UDP_IDLE_MS), pending: [] };
    flow.timer.unref();
    flows.set(key, flow);
    const f = flow;
    socket.on('message', (reply) => {
      touch(key);
      front.send(reply, client.port, client.address);
    });
    // An unreachable container (ICMP port unreachable) or a closed socket ends the flow; the
    // client's next datagram starts a new one.
    socket.on('error', () => drop(key));
    socket.connect(m.containerPort, m.containerIp, () => {
      for (const msg of f.pending ?? []) socket.send(msg);
      f.pending = undefined;
    });
    return { key, flow };
  };
  front.on('message', (msg, client) => {
    const { key, flow } = flowFor(client);
    touch(key);
    if (flow.pending) flow.pending.push(msg);
    else flow.socket.send(msg);
  });
  return new Promise((resolve, reject) => {
    front.once('error', (e) => { front.close(); reject(proxyError(m, e)); });
    front.bind({ address: m.hostIp, port: m.hostPort }, () => {
      front.removeAllListeners('error');
      // A send to a client that went away fails on the front socket: the datagram is lost, as UDP's.
      front.on('error', () => {});
      resolve({
        close: () => new Promise<void>((done) => {
          for (const key of [...flows.keys()]) drop(key);
          front.close(() => done());
        }),
      });
    });
  });
}

/**
 * Starts the proxy of every mapping of one container: all listen, or none (the ones opened are
 * closed and the first failure is reported with dockerd's text).
 */
export async function publishPorts(containerId: string, mappings: readonly PortMapping[]): Promise<PublishedPorts> {
  const results = await Promise.allSettled(mappings.map((m) => {
    if (m.protocol === 'sctp') {
      return Promise.reject(new BerthError('unsupported',
        `Error starting userland proxy: sctp is not supported by berth's userland proxy (container ${containerId.slice(0, 12)})`));
    }
    return m.protocol === 'tcp' ? listenTcp(m) : listenUdp(m);
  }));
  const opened = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  const close = async () => { await Promise.all(opened.map((l) => l.close())); };
  if (failed) {
    await close();
    throw failed.reason;
  }
  return { close };
}

/** The host's check for the port allocator: can `hostIp:port` be bound right now? */
export const hostPortProbe: HostPortProbe = {
  async isFree(protocol, hostIp, port) {
    // Node has no SCTP sockets; the proxy refuses SCTP mappings anyway.
    if (protocol === 'sctp') return true;
    const m: PortMapping = { protocol, hostIp, hostPort: port, containerIp: hostIp, containerPort: port };
    try {
      const l = await (protocol === 'tcp' ? listenTcp(m) : listenUdp(m));
      await l.close();
      return true;
    } catch {
      return false;
    }
  },
};
