// The userland proxy on real loopback sockets: TCP and UDP echo servers on 127.0.0.1 stand in for
// the container, the proxy listens on another 127.0.0.1 port, as `-p 127.0.0.1:PORT:...` makes it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { once } from 'node:events';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { BerthError } from '../../core/errors.ts';
import { ALL_PORTS_ALLOCATED, HostPortAllocator } from '../../core/network/host-ports.ts';
import type { PortMapping } from '../../core/engine/networks/host.ts';
import { hostPortProbe, publishPorts } from '../../host-linux/net/port-proxy.ts';
import { freePort } from '../helpers/ports.ts';

const LO = '127.0.0.1';

async function listen(server: Server): Promise<number> {
  server.listen(0, LO);
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

async function tcpEcho(): Promise<{ port: number; server: Server }> {
  const server = createServer((s) => s.pipe(s));
  return { server, port: await listen(server) };
}

async function udpEcho(): Promise<{ port: number; socket: UdpSocket }> {
  const socket = createSocket('udp4');
  socket.on('message', (msg, from) => socket.send(Buffer.concat([Buffer.from('echo:'), msg]), from.port, from.address));
  socket.bind(0, LO);
  await once(socket, 'listening');
  return { socket, port: socket.address().port };
}

const tcp = (hostPort: number, containerPort: number): PortMapping =>
  ({ protocol: 'tcp', hostIp: LO, hostPort, containerIp: LO, containerPort });
const udp = (hostPort: number, containerPort: number): PortMapping => ({ ...tcp(hostPort, containerPort), protocol: 'udp' });

/** Connects, writes `data`, half-closes, and collects everything until the peer closes. */
async function exchange(port: number, data: Buffer): Promise<Buffer> {
  const s = connect({ host: LO, port, allowHalfOpen: true });
  const chunks: Buffer[] = [];
  s.on('data', (c: Buffer) => chunks.push(c));
  s.end(data);
  await once(s, 'end');
  s.destroy();
  return Buffer.concat(chunks);
}

/** Whether a TCP server can listen on 127.0.0.1:`port` now. */
function canBind(port: number): Promise<boolean> {
  const s = createServer();
  return new Promise((resolve) => {
    s.once('error', () => resolve(false));
    s.listen(port, LO, () => s.close(() => resolve(true)));
  });
}

test('TCP: bytes go both ways and a half-close passes through while the other direction stays open', async (t) => {
  // The "container" answers only after the client's FIN: with the byte count, then closes.
  const counter = createServer({ allowHalfOpen: true }, (s) => {
    let n = 0;
    s.on('data', (c: Buffer) => { n += c.length; });
    s.on('end', () => s.end(`got ${n}`));
  });
  const counterPort = await listen(counter);
  const echo = await tcpEcho();
  const [p1, p2] = [await freePort(), await freePort()];
  const published = await publishPorts('c'.repeat(64), [tcp(p1, echo.port), tcp(p2, counterPort)]);
  t.after(async () => { await published.close(); echo.server.close(); counter.close(); });

  const payload = Buffer.alloc(3 << 20, 'x');
  assert.ok((await exchange(p1, payload)).equals(payload));
  assert.equal((await exchange(p2, Buffer.from('hello'))).toString(), 'got 5');

  // The container half-closes first: the client still sends, and the container still reads it.
  const received: Buffer[] = [];
  let heard!: (text: string) => void;
  const allHeard = new Promise<string>((resolve) => { heard = resolve; });
  const talker = createServer({ allowHalfOpen: true }, (s) => {
    s.end('bye');
    s.on('data', (c: Buffer) => received.push(c));
    s.on('end', () => { heard(Buffer.concat(received).toString()); s.destroy(); });
  });
  const talkerPort = await listen(talker);
  const p3 = await freePort();
  const p = await publishPorts('d'.repeat(64), [tcp(p3, talkerPort)]);
  t.after(async () => { await p.close(); talker.close(); });
  const client = connect({ host: LO, port: p3, allowHalfOpen: true });
  const [greeting] = await once(client, 'data') as [Buffer];
  assert.equal(greeting.toString(), 'bye');
  await once(client, 'end');
  client.end('after your FIN');
  assert.equal(await allHeard, 'after your FIN');
  client.destroy();
});

test('TCP: many concurrent connections each get their own stream', async (t) => {
  const echo = await tcpEcho();
  const port = await freePort();
  const published = await publishPorts('e'.repeat(64), [tcp(port, echo.port)]);
  t.after(async () => { await published.close(); echo.server.close(); });
  const payloads = Array.from({ length: 200 }, (_, i) => Buffer.alloc(16_384 + i, String(i % 10)));
  const replies = await Promise.all(payloads.map((p) => exchange(port, p)));
  replies.forEach((r, i) => assert.ok(r.equals(payloads[i]!), `connection ${i}`));
});

test('TCP: a container port nobody listens on closes the client\'s connection', async (t) => {
  const dead = await freePort();
  const port = await freePort();
  const published = await publishPorts('f'.repeat(64), [tcp(port, dead)]);
  t.after(() => published.close());
  const s = connect({ host: LO, port });
  s.on('error', () => {});
  await once(s, 'close');
});

test('UDP: datagrams reach the container and each client gets its own replies', async (t) => {
  const echo = await udpEcho();
  const port = await freePort();
  const published = await publishPorts('a'.repeat(64), [udp(port, echo.port)]);
  t.after(async () => { await published.close(); echo.socket.close(); });
  const ask = async (client: UdpSocket, text: string) => {
    client.send(text, port, LO);
    const [msg] = await once(client, 'message') as [Buffer];
    return msg.toString();
  };
  const a = createSocket('udp4');
  const b = createSocket('udp4');
  t.after(() => { a.close(); b.close(); });
  assert.equal(await ask(a, 'one'), 'echo:one');
  assert.equal(await ask(b, 'two'), 'echo:two');
  assert.equal(await ask(a, 'three'), 'echo:three');
});

test('close() frees the host ports and ends live connections', async () => {
  const echo = await tcpEcho();
  const uecho = await udpEcho();
  const port = await freePort();
  const published = await publishPorts('b'.repeat(64), [tcp(port, echo.port), udp(port, uecho.port)]);
  assert.equal(await canBind(port), false);
  const live: Socket = connect({ host: LO, port });
  live.on('error', () => {});
  live.write('ping');
  await once(live, 'data');
  await published.close();
  await once(live, 'close');
  assert.equal(await canBind(port), true);
  const u = createSocket('udp4');
  u.bind(port, LO);
  await once(u, 'listening');
  u.close();
  echo.server.close();
  uecho.socket.close();
});

test('a port another process holds: dockerd\'s error, and no listener of the call stays open', async () => {
  const holder = createServer();
  const busy = await listen(holder);
  const uholder = createSocket('udp4');
  uholder.bind(0, LO);
  await once(uholder, 'listening');
  const ubusy = uholder.address().port;
  const free = await freePort();
  try {
    await assert.rejects(publishPorts('c'.repeat(64), [tcp(free, 1), tcp(busy, 1)]), (e: unknown) => {
      assert.ok(e instanceof BerthError);
      assert.equal(e.message, `Error starting userland proxy: listen tcp4 127.0.0.1:${busy}: bind: address already in use`);
      return true;
    });
    assert.equal(await canBind(free), true);
    await assert.rejects(publishPorts('c'.repeat(64), [udp(ubusy, 1)]),
      { message: `Error starting userland proxy: listen udp4 127.0.0.1:${ubusy}: bind: address already in use` });
  } finally {
    holder.close();
    uholder.close();
  }
});

test('the allocator\'s host probe skips ports another process holds', async () => {
  const holder = createServer();
  const busy = await listen(holder);
  try {
    assert.equal(await hostPortProbe.isFree('tcp', LO, busy), false);
    assert.equal(await hostPortProbe.isFree('udp', LO, busy), true);
    // A range holding only that port has nothing to give; a free port is given.
    await assert.rejects(new HostPortAllocator(hostPortProbe, { begin: busy, end: busy }).request('tcp', LO), { message: ALL_PORTS_ALLOCATED });
    const free = await freePort();
    assert.equal(await new HostPortAllocator(hostPortProbe, { begin: free, end: free }).request('tcp', LO), free);
    // A held port is refused on 0.0.0.0 by the probe as well (the kernel's overlap).
    assert.equal(await hostPortProbe.isFree('tcp', '0.0.0.0', busy), false);
  } finally {
    holder.close();
  }
});
