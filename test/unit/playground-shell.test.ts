// The playground's shell and browser CliHost in Node, against a real engine on in-memory stores
// (the one the Web Worker runs), with an in-memory screen in xterm's place: typed commands run
// core's CLI, prompts read through the line discipline, ctrl-c kills a streaming command.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryBlobStore } from '../../core/content/memory-blob-store.ts';
import { MemoryMetadataStore } from '../../core/metadata/memory-kv.ts';
import { ImageStore } from '../../core/metadata/image-store.ts';
import { ImageService } from '../../core/engine/image-service.ts';
import { Engine } from '../../core/engine/engine.ts';
import { EventBus } from '../../core/engine/events.ts';
import { RegistryConfig } from '../../core/config/registry-config.ts';
import { createApi } from '../../core/api/api.ts';
import { nodeCodecs, nodeHash } from '../../host-linux/services.ts';
import { MemorySnapshotter } from '../helpers/memory-snapshotter.ts';
import { buildTestImage } from '../helpers/test-image.ts';
import { waitFor } from '../helpers/ports.ts';
import { Shell } from '../../host-browser/cli/shell.ts';
import { TerminalDevice, type TerminalScreen } from '../../host-browser/cli/terminal-device.ts';
import { memoryFiles } from '../../host-browser/cli/memory-files.ts';
import type { EngineConnection } from '../../host-browser/worker/client.ts';

/** A screen that keeps what was written, in xterm's place. */
class TextScreen implements TerminalScreen {
  cols = 100;
  rows = 30;
  text = '';
  private data: ((d: string) => void) | undefined;
  private readonly decoder = new TextDecoder();
  write(d: string | Uint8Array, cb?: () => void) { this.text += typeof d === 'string' ? d : this.decoder.decode(d); cb?.(); }
  onData(l: (d: string) => void) { this.data = l; return { dispose: () => { this.data = undefined; } }; }
  onResize() { return { dispose() {} }; }
  clear() { this.text = ''; }
  type(d: string) { this.data?.(d); }
}

let engine: EngineConnection;
const files = memoryFiles();

before(async () => {
  const blobs = new MemoryBlobStore(nodeHash);
  const events = new EventBus();
  const images = new ImageService({
    store: new ImageStore(new MemoryMetadataStore(), blobs), blobs, snapshotter: new MemorySnapshotter(), hash: nodeHash,
    codecs: nodeCodecs, events, registry: new RegistryConfig(),
    fetch: async () => { throw new Error('no network in unit tests'); }, hostPlatform: { os: 'linux', architecture: '386' },
  });
  const api = createApi(new Engine({
    id: 'test', version: '0.0.0', dataRoot: '/data', execRoot: '/exec', debug: false, registry: new RegistryConfig(), events, images,
    host: async () => ({ hostname: 'h', kernelVersion: '6.1', operatingSystem: 'Test OS', osVersion: '1', osType: 'linux', architecture: 'i686', ncpu: 1, memTotal: 1e9 }),
  }));
  engine = {
    fetch: (input, init) => api.handle(new Request(input, init)),
    hijack: async () => { throw new Error('no hijack in this test'); },
  };
  // A docker-archive in the shell's files, for `berth load -i`.
  const img = await buildTestImage({ layers: [{ files: { 'hello.txt': 'hi' } }], created: '2024-01-01T00:00:00Z' });
  const { packTar } = await import('modern-tar');
  const manifest = new TextEncoder().encode(JSON.stringify([{ Config: 'config.json', RepoTags: ['example.com/demo:1'], Layers: ['layer.tar'] }]));
  const tar = await packTar([
    { header: { name: 'manifest.json', size: manifest.byteLength }, body: manifest },
    { header: { name: 'config.json', size: img.config.byteLength }, body: img.config },
    { header: { name: 'layer.tar', size: img.layers[0]!.data.byteLength }, body: img.layers[0]!.data },
  ]);
  await files.writeStream('/home/berth/demo.tar', new ReadableStream({ start(c) { c.enqueue(tar); c.close(); } }));
});

async function newShell() {
  const screen = new TextScreen();
  const tty = new TerminalDevice(screen);
  const shell = new Shell({ tty, engine, files, build: { version: '0.1.0', commit: 'test', os: 'browser', arch: 'js', runtime: 'node' }, prompt: '$ ' });
  await shell.start('welcome\n');
  return { screen, shell, tty };
}

/** Types `line` + Enter and waits for the prompt to come back; returns what the command printed. */
async function typeLine(s: Awaited<ReturnType<typeof newShell>>, line: string): Promise<string> {
  const from = s.screen.text.length;
  s.screen.type(line + '\r');
  await waitFor(`"${line}" to finish`, async () => !s.shell.busy);
  return s.screen.text.slice(from);
}

test('typed berth and docker commands run the CLI against the engine, with CRLF output and the prompt back', async () => {
  const s = await newShell();
  assert.equal(s.screen.text, 'welcome\r\n$ ');
  const load = await typeLine(s, 'berth load -i missing.tar');
  assert.match(load, /open missing.tar: no such file or directory/);
  assert.equal(s.shell.status, 1);
  assert.match(await typeLine(s, 'berth load -i demo.tar'), /Loaded image: example.com\/demo:1\r\n\$ $/, 'a relative path starts at the working directory, HOME');
  assert.equal(s.shell.status, 0);
  const images = await typeLine(s, 'docker images --format "{{.Repository}} {{.Tag}}"');
  assert.equal(images, 'docker images --format "{{.Repository}} {{.Tag}}"\r\nexample.com/demo 1\r\n$ ');
  assert.match(await typeLine(s, 'berth version'), /Client:[\s\S]*Server:/);
  assert.match(await typeLine(s, 'frob'), /sh: frob: not found/);
  assert.equal(s.shell.status, 127);
  assert.match(await typeLine(s, `berth run 'busybox`), /sh: syntax error: unterminated quoted string/);
  assert.match(await typeLine(s, 'berth -H tcp://10.0.0.1:2375 ps'), /in-browser engine/);
  assert.notEqual(s.shell.status, 0);
});

test('a prompt reads its answer through the line discipline (echo, backspace)', async () => {
  const s = await newShell();
  s.screen.type('berth image prune -a\r');
  await waitFor('the prompt', async () => s.screen.text.includes('[y/N] '));
  s.screen.type('x\x7fn\r');
  await waitFor('the prune to end', async () => !s.shell.busy);
  assert.match(s.screen.text, /\[y\/N\] x\x08 \x08n\r\n\$ $/);
  assert.match(await typeLine(s, 'berth images -q'), /^berth images -q\r\n[0-9a-f]{12}\r\n/, 'answering n kept the image');
});

test('ctrl-c kills a command that streams forever; the shell goes on', async () => {
  const s = await newShell();
  s.screen.type('berth events\r');
  await waitFor('events to run', async () => s.shell.busy);
  // The command is reading the stream: give it the interrupt.
  s.screen.type('\x03');
  await waitFor('events to be killed', async () => !s.shell.busy);
  assert.equal(s.shell.status, 130);
  assert.match(s.screen.text, /\^C\r\n\$ $/);
  assert.match(await typeLine(s, 'berth images --format "{{.Repository}}"'), /example.com\/demo/);
});

test('history: up arrow brings the last command back', async () => {
  const s = await newShell();
  await typeLine(s, 'berth images -q');
  const out = await typeLine(s, '\x1b[A');
  assert.match(out, /^berth images -q\r\n[0-9a-f]{12}\r\n\$ $/);
  assert.match(await typeLine(s, 'history'), /\s1  berth images -q\r\n\s+2  history\r\n/, 'a repeated line is kept once');
});

test('pasted lines run one after the other, each at its own prompt; clear wipes the screen', async () => {
  const s = await newShell();
  s.screen.type('berth images -q\r\nhistory\r');
  await waitFor('both lines to run', async () => !s.shell.busy && /2  history/.test(s.screen.text));
  assert.match(s.screen.text, /\$ berth images -q\r\n[0-9a-f]{12}\r\n\$ history\r\n\s+1  berth images -q\r\n\s+2  history\r\n\$ $/);
  await typeLine(s, 'clear');
  assert.match(s.screen.text, /\x1b\[H\x1b\[2J\x1b\[3J\$ $/);
});

test('a notice from the page: above a new prompt that keeps the typed line, or among a command\'s output', async () => {
  const s = await newShell();
  // typed, with the cursor moved back into the line
  s.screen.type('docker imag\x1b[D\x1b[D');
  await s.shell.notice('berth: the engine stopped');
  assert.match(s.screen.text, /\$ docker imag\x1b\[1D\x1b\[1D\x1b\[2C\r\nberth: the engine stopped\r\n\$ docker imag$/);
  // typing goes on at the end of the line, where the reprint left the cursor
  const out = await typeLine(s, 'es -q');
  assert.match(out, /^es -q\r\n[0-9a-f]{12}\r\n\$ $/);
  s.screen.type('berth events\r');
  await waitFor('events to run', async () => s.shell.busy);
  await s.shell.notice('berth: the engine stopped');
  assert.match(s.screen.text, /\$ berth events\r\n\r\nberth: the engine stopped\r\n$/);
  s.screen.type('\x03');
  await waitFor('events to be killed', async () => !s.shell.busy);
});

test('cat > FILE takes lines at a > prompt until EOF; cat, ls, rm and pwd see the files of the working directory', async () => {
  const s = await newShell();
  s.screen.type('cat > Dockerfile\r');
  await waitFor('the continuation prompt', async () => s.screen.text.endsWith('\r\n> '));
  s.screen.type('FROM busybox\r');
  s.screen.type('CMD ["echo", "hi"]\rEOF\r');
  await waitFor('cat to end', async () => !s.shell.busy);
  assert.equal(await files.readText('/home/berth/Dockerfile'), 'FROM busybox\nCMD ["echo", "hi"]\n');
  assert.equal(s.shell.status, 0);
  assert.equal(await typeLine(s, 'cat Dockerfile'), 'cat Dockerfile\r\nFROM busybox\r\nCMD ["echo", "hi"]\r\n$ ');
  assert.doesNotMatch(await typeLine(s, 'history'), /FROM busybox/, 'the lines typed into cat are not commands');
  // A here-document pasted whole: its word ends it (EOF is text then), and the next line runs as a command.
  s.screen.type("cat > app/msg.txt <<'END'\r\nhello\r\nEOF\r\nEND\r\nls\r\n");
  await waitFor('ls after the here-document', async () => !s.shell.busy && /\$ ls\r\n/.test(s.screen.text));
  assert.equal(await files.readText('/home/berth/app/msg.txt'), 'hello\nEOF\n');
  assert.match(s.screen.text, /\$ ls\r\nDockerfile\r\napp\/\r\ndemo.tar\r\n\$ $/, 'ls: directories end in /, dotfiles hidden');
  assert.equal(await typeLine(s, 'ls app'), 'ls app\r\nmsg.txt\r\n$ ');
  assert.equal(await typeLine(s, 'pwd'), 'pwd\r\n/home/berth\r\n$ ');
  // >> appends, ctrl-d on an empty line ends the input
  s.screen.type('cat >> app/msg.txt\rmore\r\x04');
  await waitFor('cat >> to end', async () => !s.shell.busy);
  assert.equal(await files.readText('/home/berth/app/msg.txt'), 'hello\nEOF\nmore\n');
  // ctrl-c leaves the file as it was
  s.screen.type('cat > app/msg.txt\rlost\r\x03');
  await waitFor('cat to be cancelled', async () => !s.shell.busy);
  assert.equal(s.shell.status, 130);
  assert.equal(await files.readText('/home/berth/app/msg.txt'), 'hello\nEOF\nmore\n');
  assert.match(await typeLine(s, 'cat nothing'), /cat: can't open 'nothing': No such file or directory\r\n\$ $/);
  assert.equal(s.shell.status, 1);
  assert.match(await typeLine(s, 'cat > app'), /sh: can't create app: Is a directory/);
  assert.match(await typeLine(s, 'cat > app/msg.txt/x'), /sh: can't create app\/msg.txt\/x: Not a directory/);
  assert.match(await typeLine(s, 'cat >'), /sh: syntax error: > needs a word after it/);
  assert.equal(await typeLine(s, 'rm app/msg.txt'), 'rm app/msg.txt\r\n$ ');
  assert.equal(await files.readText('/home/berth/app/msg.txt'), undefined);
  assert.match(await typeLine(s, 'rm app/msg.txt'), /rm: can't remove 'app\/msg.txt': No such file or directory/);
  assert.match(await typeLine(s, 'ls app'), /ls: app: No such file or directory/);
  await typeLine(s, 'rm Dockerfile');
});
