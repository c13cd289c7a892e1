// ADD's local archives: a file is unpacked when, after the compression its magic bytes show, its first
// block is a valid tar header (dockerd's isArchivePath: DecompressStream, then tar.Reader.Next).
// Anything else, a damaged archive included, is copied as the file it is.
import { BerthError } from '../../errors.ts';
import type { Codecs } from '../../host.ts';
import { detectCompression, peek } from '../../layer/compression.ts';
import { BLOCK, checksumOk } from '../../layer/tar-header.ts';

const XZ = [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00];
// "BZh", a block-size digit and the first block's magic, so a plain file starting "BZh" is not taken for one.
const BZIP2 = /^BZh[1-9]1AY&SY/;

/** The uncompressed tar stream of `file` (named `path` in errors) when it is an archive ADD unpacks, else undefined. */
export async function openArchive(file: ReadableStream<Uint8Array>, path: string, codecs: Codecs | undefined): Promise<ReadableStream<Uint8Array> | undefined> {
  const { head, rest } = await peek(file, 10);
  const compression = detectCompression(head);
  let tar = rest;
  if (compression !== 'none') {
    if (!codecs) { await rest.cancel(); throw unreadable(path, compression); }
    tar = rest.pipeThrough(compression === 'gzip' ? codecs.gunzip() : codecs.unzstd());
  } else if (startsWith(head, XZ) || BZIP2.test(latin1(head))) {
    await rest.cancel();
    // dockerd would unpack these; copying the compressed file instead would quietly change the image.
    throw unreadable(path, startsWith(head, XZ) ? 'xz' : 'bzip2');
  }
  try {
    const { head: block, rest: body } = await peek(tar, BLOCK);
    if (block.byteLength === BLOCK && checksumOk(block)) return body;
    await body.cancel();
    return undefined;
  } catch {
    return undefined;
  }
}

function latin1(head: Uint8Array): string {
  return String.fromCharCode(...head);
}

function startsWith(head: Uint8Array, magic: number[]): boolean {
  return head.byteLength >= magic.length && magic.every((b, i) => head[i] === b);
}

function unreadable(path: string, compression: string): BerthError {
  return new BerthError('unsupported', `ADD failed: ${path} is compressed with ${compression}, which berth cannot unpack: recompress it with gzip or zstd, or use COPY to copy it as it is`);
}
