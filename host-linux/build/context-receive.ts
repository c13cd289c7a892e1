// The build context a client uploads (the body of POST /build: a tar, plain as the docker CLI sends
// it, or gzip/zstd) streamed into a fresh private directory, as dockerd's remotecontext.FromArchive
// untars it, so a context never has to fit in memory. A failed upload leaves nothing behind.
import { mkdtempSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { BerthError } from '../../core/errors.ts';
import { decompressStream } from '../../core/layer/compression.ts';
import { TarReader } from '../../core/layer/tar-read.ts';
import { nodeCodecs } from '../services.ts';
import { ContextExtractor } from './context-extract.ts';
import { DirectoryContext } from './context-dir.ts';

const PREFIX = 'build-context-';

/**
 * Extracts `tar` below `under` (a private directory of the daemon's, made 0700 if missing) and returns the
 * context over it; `close()` removes it. Errors name the entry and what is wrong with it.
 */
export async function receiveContext(tar: ReadableStream<Uint8Array>, under: string): Promise<DirectoryContext> {
  // The root sits one level down so its own mode (the archive's "./" entry) cannot open the
  // directory to other users: the 0700 parent keeps it private.
  mkdirSync(under, { recursive: true, mode: 0o700 });
  const holder = mkdtempSync(join(under, PREFIX));
  const root = join(holder, 'root');
  let reader: TarReader | undefined;
  try {
    mkdirSync(root, 0o755);
    reader = new TarReader(await decompressStream(tar, nodeCodecs));
    const x = new ContextExtractor(root);
    for (let h = await reader.next(); h; h = await reader.next()) await x.entry(h, reader);
    x.finish();
    return new DirectoryContext(root, holder);
  } catch (e) {
    if (reader) await reader.cancel(e); else await tar.cancel(e).catch(() => {});
    rmSync(holder, { recursive: true, force: true });
    throw asContextError(e);
  }
}

/**
 * Removes the contexts a daemon that stopped mid-build left below `under` (call at start-up, before
 * any build); returns how many there were.
 */
export function removeStaleContexts(under: string): number {
  let n = 0;
  for (const name of readdirSync(under, { withFileTypes: true })) {
    if (!name.isDirectory() || !name.name.startsWith(PREFIX)) continue;
    rmSync(join(under, name.name), { recursive: true, force: true });
    n++;
  }
  return n;
}

/** core's tar and codec errors speak of a layer; here the archive is a build context. */
function asContextError(e: unknown): unknown {
  if (!(e instanceof BerthError) || (e.code !== 'invalid_layer' && e.code !== 'unsupported')) return e;
  const message = e.message
    .replace(/^layer is compressed/, 'the build context is compressed')
    .replace(/the layer is/g, 'the build context is')
    .replace(/ in layer\b/g, '')
    .replace(/\blayer\b/g, 'build context');
  return new BerthError(e.code === 'unsupported' ? 'unsupported' : 'invalid_argument',
    message.startsWith('invalid build context') ? message : `invalid build context: ${message}`, { cause: e });
}
