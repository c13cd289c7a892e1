// The API on TCP is served only with mutual TLS (dockerd's --tlsverify): whoever reaches the API controls
// root on this machine, so an unauthenticated TCP socket is refused rather than warned about.
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import type { DaemonFlags } from './flags.ts';

export interface ServerTls { ca: Buffer; cert: Buffer; key: Buffer }

export async function serverTls(flags: DaemonFlags, hosts: string[]): Promise<ServerTls | undefined> {
  const tcp = hosts.filter((h) => h.startsWith('tcp://'));
  const asked = flags.tlsVerify === true;
  if (!tcp.length) return undefined;
  if (!asked) {
    throw new Error(`refusing to listen on ${tcp.join(', ')} without TLS: whoever reaches the API controls berthd and root on this machine. ` +
      'Add --tlsverify with --tlscacert, --tlscert and --tlskey (clients must present a certificate signed by that CA), or use a unix socket');
  }
  const dir = process.env.DOCKER_CERT_PATH || join(os.homedir(), '.docker');
  const files = {
    ca: flags.tlsCaCert ?? join(dir, 'ca.pem'),
    cert: flags.tlsCert ?? join(dir, 'cert.pem'),
    key: flags.tlsKey ?? join(dir, 'key.pem'),
  };
  const read = async (what: string, path: string, flag: string) => {
    try { return await readFile(path); } catch (e) {
      throw new Error(`could not read the TLS ${what} ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message} (set it with --${flag})`);
    }
  };
  return {
    ca: await read('CA certificate', files.ca, 'tlscacert'),
    cert: await read('certificate', files.cert, 'tlscert'),
    key: await read('key', files.key, 'tlskey'),
  };
}
