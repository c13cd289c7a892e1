// HostInfo for /info and /version, read from the running Linux machine.
import os from 'node:os';
import { readFile, readdir } from 'node:fs/promises';
import type { HostInfo } from '../../core/engine/system-info.ts';

async function osRelease(): Promise<Record<string, string>> {
  for (const p of ['/etc/os-release', '/usr/lib/os-release']) {
    try {
      const text = await readFile(p, 'utf8');
      const out: Record<string, string> = {};
      for (const line of text.split('\n')) {
        const m = /^([A-Z_]+)=(.*)$/.exec(line.trim());
        if (m) out[m[1]!] = m[2]!.replace(/^"(.*)"$/, '$1');
      }
      return out;
    } catch { /* try the next one */ }
  }
  return {};
}

async function cgroupVersion(): Promise<string> {
  try {
    await readFile('/sys/fs/cgroup/cgroup.controllers');
    return '2';
  } catch {
    return '1';
  }
}

export async function linuxHostInfo(): Promise<HostInfo> {
  const [rel, cgv, fds] = await Promise.all([osRelease(), cgroupVersion(), readdir('/proc/self/fd').then((x) => x.length, () => 0)]);
  return {
    hostname: os.hostname(),
    kernelVersion: os.release(),
    operatingSystem: rel.PRETTY_NAME ?? 'Linux',
    osVersion: rel.VERSION_ID ?? '',
    osType: 'linux',
    architecture: os.machine(),
    ncpu: os.availableParallelism?.() ?? os.cpus().length,
    memTotal: os.totalmem(),
    nfd: fds,
    cgroupVersion: cgv,
    cgroupDriver: cgv === '2' ? 'systemd' : 'cgroupfs',
    httpProxy: process.env.HTTP_PROXY ?? process.env.http_proxy ?? '',
    httpsProxy: process.env.HTTPS_PROXY ?? process.env.https_proxy ?? '',
    noProxy: process.env.NO_PROXY ?? process.env.no_proxy ?? '',
  };
}
