// Network namespaces of a test's own, so that netlink tests never touch the host's network: each is
// held open by an `unshare -n` child and reached through an fd (for the native calls) or nsenter
// (for the `ip`, `sysctl` and busybox that check). As root.
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { openSync } from 'node:fs';

export interface Namespace {
  child: ChildProcess;
  pid: number;
  fd: number;
}

/** A fresh network namespace held open by a sleeping child, ready once the child says so. */
export async function namespace(): Promise<Namespace> {
  const child = spawn('unshare', ['-n', 'sh', '-c', 'echo ready; exec sleep 1000'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = (await once(child.stdout!, 'data')) as [Buffer];
  assert.equal(line.toString().trim(), 'ready');
  const pid = child.pid!;
  return { child, pid, fd: openSync(`/proc/${pid}/ns/net`, 'r') };
}

/** Ends the namespace's child (its fd, if still open, keeps the namespace); nothing when it has ended. */
export async function kill(ns: Namespace): Promise<void> {
  if (ns.child.exitCode !== null || ns.child.signalCode !== null) return;
  const exited = once(ns.child, 'exit');
  ns.child.kill('SIGKILL');
  await exited;
}

/** Runs a command inside the namespace (checks only). */
export function inside(ns: Namespace, ...command: string[]): string {
  return execFileSync('nsenter', ['-t', String(ns.pid), '-n', ...command], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}
