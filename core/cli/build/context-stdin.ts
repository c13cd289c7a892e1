// `berth build -`: what comes on stdin is either a context archive (a tar, plain or compressed) or a
// lone Dockerfile, told apart as the docker CLI's build.GetContextFromReader does from the first two
// blocks; a Dockerfile becomes a one-file context.
import { BerthError } from '../../errors.ts';
import { peek } from '../../layer/compression.ts';
import { BLOCK, checksumOk, isZeroBlock } from '../../layer/tar-header.ts';
import { tarStream } from '../../layer/tar-write.ts';
import { DEFAULT_DOCKERFILE } from './context-resolve.ts';

const MAGICS = [
  [0x42, 0x5a, 0x68], // bzip2
  [0x1f, 0x8b, 0x08], // gzip
  [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], // xz
  [0x28, 0xb5, 0x2f, 0xfd], // zstd
];

/** build.IsArchive: compressed by a known algorithm, or beginning with a valid tar header. */
export function isArchive(head: Uint8Array): boolean {
  if (MAGICS.some((m) => head.byteLength >= m.length && m.every((b, i) => head[i] === b))) return true;
  if (head.byteLength < BLOCK) return false;
  const block = head.subarray(0, BLOCK);
  return !isZeroBlock(block) && checksumOk(block);
}

export interface StdinContext {
  tar: ReadableStream<Uint8Array>;
  /** The Dockerfile's name in the context. */
  relDockerfile: string;
}

/** The context from stdin; `dockerfileFlag` is `-f` ('' when not given). */
export async function contextFromReader(input: ReadableStream<Uint8Array>, dockerfileFlag: string, now: Date = new Date()): Promise<StdinContext> {
  const { head, rest } = await peek(input, BLOCK * 2);
  if (isArchive(head)) return { tar: rest, relDockerfile: dockerfileFlag };
  if (dockerfileFlag === '-') throw new BerthError('invalid_argument', 'unable to prepare context: build context is not an archive');
  if (dockerfileFlag !== '') throw new BerthError('invalid_argument', 'unable to prepare context: ambiguous Dockerfile source: both stdin and flag correspond to Dockerfiles');
  const dockerfile = new Uint8Array(await new Response(rest).arrayBuffer());
  return { tar: tarStream([{ header: { name: DEFAULT_DOCKERFILE, type: 'file', mode: 0o644, mtime: now }, body: dockerfile }]), relDockerfile: DEFAULT_DOCKERFILE };
}
