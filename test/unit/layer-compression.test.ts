import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { spawnSync } from 'node:child_process';
import {
  compressStream, compressionOfMediaType, decompressStream, detectCompression, layerMediaType, peek,
} from '../../core/layer/compression.ts';
import { webZstdDecompress } from '../../core/layer/zstd.ts';
import { nodeCodecs } from '../../host-linux/services.ts';
import { BerthError } from '../../core/errors.ts';

function streamOf(data: Uint8Array, chunk = 3): ReadableStream<Uint8Array> {
  let off = 0;
  return new ReadableStream({
    pull(c) {
      if (off >= data.byteLength) { c.close(); return; }
      c.enqueue(data.slice(off, off + chunk));
      off += chunk;
    },
  });
}
async function bytes(s: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  return new Uint8Array(await new Response(s).arrayBuffer());
}
const text = new TextEncoder().encode('hello layer '.repeat(1000));

function zstdCli(data: Uint8Array): Uint8Array {
  const r = spawnSync('zstd', ['-q', '-c', '-'], { input: data });
  assert.equal(r.status, 0, String(r.stderr));
  return new Uint8Array(r.stdout);
}

test('detectCompression reads magic bytes', () => {
  assert.equal(detectCompression(new Uint8Array([0x1f, 0x8b, 8, 0])), 'gzip');
  assert.equal(detectCompression(new Uint8Array([0x28, 0xb5, 0x2f, 0xfd, 0])), 'zstd');
  assert.equal(detectCompression(new TextEncoder().encode('etc/passwd')), 'none');
  assert.equal(detectCompression(new Uint8Array([0x1f])), 'none');
  assert.equal(detectCompression(new Uint8Array(0)), 'none');
});

test('peek keeps every byte for the rest of the stream', async () => {
  const { head, rest } = await peek(streamOf(text, 2), 5);
  assert.deepEqual(head, text.subarray(0, 5));
  assert.deepEqual(await bytes(rest), text);
  const short = await peek(streamOf(new Uint8Array([1, 2])), 10);
  assert.deepEqual(short.head, new Uint8Array([1, 2]));
  assert.deepEqual(await bytes(short.rest), new Uint8Array([1, 2]));
});

test('decompressStream: gzip, zstd and plain whatever the chunking', async () => {
  for (const chunk of [1, 7, 65536]) {
    assert.deepEqual(await bytes(await decompressStream(streamOf(gzipSync(text), chunk), nodeCodecs)), text);
    assert.deepEqual(await bytes(await decompressStream(streamOf(zstdCli(text), chunk), nodeCodecs)), text);
    assert.deepEqual(await bytes(await decompressStream(streamOf(text, chunk), nodeCodecs)), text);
  }
  assert.deepEqual(await bytes(await decompressStream(streamOf(new Uint8Array(0)), nodeCodecs)), new Uint8Array(0));
});

test('zstd: multiple frames and a truncated stream', async () => {
  const two = new Uint8Array([...zstdCli(text.subarray(0, 100)), ...zstdCli(text.subarray(100))]);
  assert.deepEqual(await bytes(streamOf(two, 11).pipeThrough(webZstdDecompress())), text);
  const z = zstdCli(text);
  await assert.rejects(bytes(streamOf(z.subarray(0, z.byteLength - 5), 64).pipeThrough(webZstdDecompress())),
    (e: unknown) => e instanceof BerthError && e.code === 'invalid_layer' && /zstd/.test(e.message));
});

test('corrupt and truncated gzip is an invalid_layer error naming gzip', async () => {
  const gz = gzipSync(text);
  const isGzipError = (e: unknown) => e instanceof BerthError && e.code === 'invalid_layer' && /invalid gzip data/.test(e.message);
  await assert.rejects(bytes(await decompressStream(streamOf(gz.subarray(0, gz.byteLength - 10), 100), nodeCodecs)), isGzipError);
  const bad = gz.slice(); bad[20] ^= 0xff;
  await assert.rejects(bytes(await decompressStream(streamOf(bad, 100), nodeCodecs)), isGzipError);
});

test('xz and bzip2 layers are refused with a clear error', async () => {
  const xz = new Uint8Array([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 0, 0, 0, 0, 0]);
  await assert.rejects(decompressStream(streamOf(xz), nodeCodecs), /compressed with xz/);
  const bz = new Uint8Array([0x42, 0x5a, 0x68, 0x39, 0x31, 0x41, 0x59, 0x26, 0x53, 0x59, 0, 0]);
  await assert.rejects(decompressStream(streamOf(bz), nodeCodecs), /compressed with bzip2/);
  // A plain tar whose first file is named "BZh..." is still a plain tar.
  const named = new TextEncoder().encode('BZh9-notes.txt\0\0\0\0\0\0');
  assert.deepEqual(await bytes(await decompressStream(streamOf(named), nodeCodecs)), named);
});

test('compressStream round-trips through decompressStream', async () => {
  const gz = await bytes(compressStream(streamOf(text, 1000), 'gzip', nodeCodecs));
  assert.equal(detectCompression(gz), 'gzip');
  assert.deepEqual(await bytes(await decompressStream(streamOf(gz, 100), nodeCodecs)), text);
  assert.deepEqual(await bytes(compressStream(streamOf(text), 'none', nodeCodecs)), text);
  assert.throws(() => compressStream(streamOf(text), 'zstd', { ...nodeCodecs, zstd: undefined }), /cannot write zstd/);
});

test('layer media types', () => {
  assert.equal(layerMediaType('gzip', false), 'application/vnd.docker.image.rootfs.diff.tar.gzip');
  assert.equal(layerMediaType('none', false), 'application/vnd.docker.image.rootfs.diff.tar');
  assert.equal(layerMediaType('zstd', false), 'application/vnd.oci.image.layer.v1.tar+zstd');
  assert.equal(layerMediaType('gzip', true), 'application/vnd.oci.image.layer.v1.tar+gzip');
  assert.equal(layerMediaType('none', true), 'application/vnd.oci.image.layer.v1.tar');
  assert.equal(compressionOfMediaType('application/vnd.docker.image.rootfs.diff.tar.gzip'), 'gzip');
  assert.equal(compressionOfMediaType('application/vnd.oci.image.layer.v1.tar+zstd'), 'zstd');
  assert.equal(compressionOfMediaType('application/vnd.oci.image.layer.v1.tar'), 'none');
  assert.equal(compressionOfMediaType('application/json'), undefined);
});
