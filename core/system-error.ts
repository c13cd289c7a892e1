// A host's system errors (Node's `ENOSPC: no space left on device, write`) in the words of Go's os
// package (`write /path: no space left on device`), which is how dockerd's answers read. Duck-typed on
// the `code`/`syscall`/`path` fields, so core needs no `node:` import.
import { errorMessage } from './errors.ts';

interface SystemError { code?: unknown; syscall?: unknown; path?: unknown; message?: unknown }

/** The disk cannot take the write now (full, over quota, failing, read-only); it may later. */
const STORAGE_CODES = new Set(['ENOSPC', 'EDQUOT', 'EIO', 'EROFS']);

function fields(e: unknown): SystemError | undefined {
  return typeof e === 'object' && e !== null ? e as SystemError : undefined;
}

export function isStorageFailure(e: unknown): boolean {
  const code = fields(e)?.code;
  return typeof code === 'string' && STORAGE_CODES.has(code);
}

/** `write /path: no space left on device`, or undefined when the error is not a system call's. */
export function systemErrorText(e: unknown): string | undefined {
  const f = fields(e);
  if (!f || typeof f.code !== 'string' || !/^E[A-Z0-9]+$/.test(f.code) || typeof f.message !== 'string') return undefined;
  // Node: "<CODE>: <strerror>, <syscall> ['<path>'[ -> '<dest>']]".
  const m = /^E[A-Z0-9]+: (.+?), [a-z_0-9]+(?: '.*)?$/s.exec(f.message);
  if (!m) return undefined;
  const syscall = typeof f.syscall === 'string' ? f.syscall : '';
  const path = typeof f.path === 'string' ? f.path : '';
  return `${[syscall, path].filter(Boolean).join(' ')}${syscall || path ? ': ' : ''}${m[1]}`;
}

/** What an answer or a log line says about an error: a system call's in Go's words, any other's own message. */
export function errorText(e: unknown): string {
  return systemErrorText(e) ?? errorMessage(e);
}
