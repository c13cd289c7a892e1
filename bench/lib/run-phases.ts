// `docker run --rm` as the docker CLI does it, over the Engine API (1.41: the newest dockerd 20.10 speaks), timing
// each step from the client's side: create, attach (hijacked), wait?condition=removed (sent before start), start,
// and the wait's answer (the container ran, exited, and was removed). Where the time of a `run --rm` goes, without
// the CLI's own start-up.
import { request } from 'node:http';

export interface Phases { create: number; attach: number; start: number; exitAndRemove: number; total: number }

function call(socketPath: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = request({
      socketPath, method, path,
      headers: { host: 'api.moby.localhost', ...(data ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } : {}) },
    }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (d: string) => { text += d; });
      res.once('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.once('error', reject);
    req.end(data);
  });
}

/** Resolves once the daemon has upgraded the connection; `closed` resolves when the stream ends. */
function attach(socketPath: string, path: string): Promise<{ closed: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, method: 'POST', path, headers: { host: 'api.moby.localhost', connection: 'Upgrade', upgrade: 'tcp' } });
    req.once('upgrade', (_res, socket) => {
      socket.resume();
      resolve({ closed: new Promise((r) => { socket.once('close', () => r()); socket.once('end', () => r()); }) });
    });
    req.once('response', (res) => reject(new Error(`attach answered ${res.statusCode} instead of upgrading`)));
    req.once('error', reject);
    req.end();
  });
}

const since = (t: bigint) => Number(process.hrtime.bigint() - t) / 1e9;

/** `networkMode`: `none` (the default), `bridge` or a user network's name: what the network adds to each step. */
export async function runPhases(socketPath: string, image: string, cmd: string[], networkMode = 'none'): Promise<Phases> {
  const t0 = process.hrtime.bigint();
  const created = await call(socketPath, 'POST', '/v1.41/containers/create', {
    Image: image, Cmd: cmd, AttachStdout: true, AttachStderr: true,
    HostConfig: { AutoRemove: true, NetworkMode: networkMode },
  });
  if (created.status !== 201) throw new Error(`create answered ${created.status}: ${created.body}`);
  const id = (JSON.parse(created.body) as { Id: string }).Id;
  const create = since(t0);
  const t1 = process.hrtime.bigint();
  const stream = await attach(socketPath, `/v1.41/containers/${id}/attach?stderr=1&stdout=1&stream=1`);
  const attachTime = since(t1);
  const waited = call(socketPath, 'POST', `/v1.41/containers/${id}/wait?condition=removed`);
  const t2 = process.hrtime.bigint();
  const started = await call(socketPath, 'POST', `/v1.41/containers/${id}/start`);
  if (started.status !== 204) throw new Error(`start answered ${started.status}: ${started.body}`);
  const start = since(t2);
  const t3 = process.hrtime.bigint();
  const w = await waited;
  if (w.status !== 200) throw new Error(`wait answered ${w.status}: ${w.body}`);
  await stream.closed;
  const exitAndRemove = since(t3);
  return { create, attach: attachTime, start, exitAndRemove, total: since(t0) };
}
