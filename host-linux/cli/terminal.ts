// The local terminal for `run -t`, `attach` and `exec -t`: raw mode on stdin that is always undone
// (normal exit, errors, fatal signals), the terminal's size and SIGWINCH; and the signal proxy's hook.
import { spawnSync } from 'node:child_process';
import type { CliTerminal } from '../../core/cli/host.ts';

let raw = false;
let restoreHooked = false;

function restore(): void {
  if (!raw) return;
  raw = false;
  try { process.stdin.setRawMode(false); } catch { /* stdin already gone */ }
}

export function nodeTerminal(): CliTerminal {
  return {
    setRawMode(on) {
      if (!process.stdin.isTTY) return;
      if (!on) { restore(); return; }
      if (!restoreHooked) {
        restoreHooked = true;
        // process.exit() from anywhere (main.ts exits with the container's status) still restores.
        process.once('exit', restore);
      }
      process.stdin.setRawMode(true);
      // libuv's raw mode leaves output processing on, so the container's pty output ("\r\n" already)
      // would come out as "\r\r\n"; docker's raw mode (cfmakeraw) turns it off too. Node has no call for
      // it; leaving raw mode restores the terminal libuv saved, output processing included.
      spawnSync('stty', ['-opost'], { stdio: ['inherit', 'ignore', 'ignore'] });
      raw = true;
    },
    size() {
      const s = process.stdout.isTTY ? process.stdout : process.stdin.isTTY ? (process.stdin as unknown as NodeJS.WriteStream) : undefined;
      if (!s) return undefined;
      const [width, height] = typeof s.getWindowSize === 'function' ? s.getWindowSize() : [s.columns, s.rows];
      return width && height ? { height, width } : undefined;
    },
    onResize(cb) {
      // Node raises 'resize' on stdout from SIGWINCH; listening to SIGWINCH too covers a tty stdin only.
      const handler = () => cb();
      process.on('SIGWINCH', handler);
      return () => { process.off('SIGWINCH', handler); };
    },
  };
}

const PROXIED = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'] as const;

/** Takes over the proxied signals while subscribed (docker's ForwardAllSignals skips SIGCHLD, SIGPIPE, SIGURG). */
export function onSignal(cb: (signal: string) => void): () => void {
  const handlers = PROXIED.map((sig) => {
    const h = () => cb(sig);
    process.on(sig, h);
    return [sig, h] as const;
  });
  return () => { for (const [sig, h] of handlers) process.off(sig, h); };
}

/** Restores the terminal and dies of `signal` (for fatal signals while in raw mode). */
export function restoreTerminal(): void {
  restore();
}
