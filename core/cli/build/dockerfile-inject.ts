// A Dockerfile that is not in the context (`-f -`, or `-f` outside the context directory) travels
// inside the context tar under a random name, as the docker CLI's AddDockerfileToBuildContext puts it:
// `.dockerfile.<20 hex>` (mode 0600), and that name appended to .dockerignore (which is created
// when the context has none) so the daemon removes it from what COPY sees.
import { concatBytes } from '../../bytes.ts';
import { readTar } from '../../layer/tar-read.ts';
import { TarWriter } from '../../layer/tar-write.ts';
import { DOCKERIGNORE } from '../../build/context/dockerignore.ts';

const utf8 = new TextEncoder();

/** `.dockerfile.` and 20 random hex digits (stringid.GenerateRandomID()[:20]). */
export function randomDockerfileName(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(10));
  return `.dockerfile.${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}

/** Rewrites the context tar with the Dockerfile added; entries stream through unchanged otherwise. */
export function addDockerfileToContext(context: ReadableStream<Uint8Array>, dockerfile: Uint8Array, opts: { name?: string; now?: Date } = {}): { tar: ReadableStream<Uint8Array>; name: string } {
  const name = opts.name ?? randomDockerfileName();
  const now = opts.now ?? new Date();
  const writer = new TarWriter();
  (async () => {
    let sawIgnore = false;
    for await (const entry of readTar(context)) {
      if (entry.name === DOCKERIGNORE && !sawIgnore) {
        sawIgnore = true;
        const old = new Uint8Array(await new Response(entry.body).arrayBuffer());
        const text = concatBytes([old, utf8.encode(`\n${name}\n`)]);
        await writer.add({ ...entry, size: text.byteLength }, text);
        continue;
      }
      await writer.add(entry, entry.type === 'file' ? entry.body : undefined);
    }
    await writer.add({ name, type: 'file', mode: 0o600, mtime: now, size: dockerfile.byteLength }, dockerfile);
    if (!sawIgnore) {
      await writer.add({ name: DOCKERIGNORE, type: 'file', mode: 0o600, mtime: now }, utf8.encode(`${DOCKERIGNORE}\n${name}\n`));
    }
    await writer.finish();
  })().catch((e) => writer.abort(e));
  return { tar: writer.readable, name };
}
