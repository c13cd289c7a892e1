// `cp` on Linux: local trees packed and unpacked by GNU tar (as root it keeps owners and modes, as
// docker's archive package does), the top entry renamed with --transform.
import { spawn } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { Readable, Writable } from 'node:stream';
import type { CliArchive } from '../../core/cli/host.ts';

/** A sed replacement that renames exactly the top entry (and what is under it). */
function transform(from: string, to: string): string {
  const esc = (s: string) => s.replace(/[\\^$.*[\]|,&]/g, (c) => `\\${c}`);
  return `s,^${esc(from)}\\($\\|/\\),${to.replace(/[\\,&]/g, (c) => `\\${c}`)}\\1,`;
}

function tarError(stderr: string, code: number | null): Error {
  const line = stderr.split('\n').find((l) => l.trim()) ?? `tar exited with ${code}`;
  return new Error(line.replace(/^tar: /, ''));
}

export const nodeArchive: CliArchive = {
  async stat(path) {
    try {
      return { isDir: (await stat(path)).isDirectory() };
    } catch {
      return undefined;
    }
  },
  pack(path, opts) {
    const abs = resolve(path);
    const args = ['-C', dirname(abs), '-cf', '-', '--numeric-owner'];
    if (opts.followLink) args.push('-h');
    if (opts.rename && opts.rename !== basename(abs)) args.push('--transform', transform(basename(abs), opts.rename));
    args.push('--', basename(abs));
    const child = spawn('tar', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const out = child.stdout;
    child.once('close', (code) => { if (code !== 0) out.destroy(tarError(stderr, code)); });
    return Readable.toWeb(out) as unknown as ReadableStream<Uint8Array>;
  },
  extract(dir, tar, opts) {
    return new Promise<number>((resolvePromise, reject) => {
      const args = ['-C', dir, '-xf', '-', '--numeric-owner', '--no-overwrite-dir'];
      if (opts.rename && opts.rename.from !== opts.rename.to) args.push('--transform', transform(opts.rename.from, opts.rename.to));
      const child = spawn('tar', args, { stdio: ['pipe', 'ignore', 'pipe'] });
      let stderr = '';
      let bytes = 0;
      child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
      child.once('error', reject);
      child.once('close', (code) => (code === 0 ? resolvePromise(bytes) : reject(tarError(stderr, code))));
      child.stdin.on('error', () => {});
      const src = Readable.fromWeb(tar as import('node:stream/web').ReadableStream<Uint8Array>);
      src.on('data', (d: Buffer) => { bytes += d.length; });
      src.pipe(child.stdin as Writable);
    });
  },
};
