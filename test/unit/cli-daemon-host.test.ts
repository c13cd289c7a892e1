// The CLI's daemon address: -H, BERTH_HOST, DOCKER_HOST, then the host's own default. The browser's host names
// its engine worker (worker://engine), so an unreachable engine is not reported as berthd's socket.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_HOST, resolveDaemonHost, runCli } from '../../core/cli/cli.ts';
import { browserCliHost } from '../../host-browser/cli/browser-host.ts';
import { CliProcess } from '../../host-browser/cli/cli-process.ts';
import { memoryFiles } from '../../host-browser/cli/memory-files.ts';
import { TerminalDevice, type TerminalScreen } from '../../host-browser/cli/terminal-device.ts';
import { ENGINE_HOST } from '../../host-browser/worker/client.ts';

test('the address: -H, then BERTH_HOST, then DOCKER_HOST, then the host\'s default', () => {
  assert.equal(resolveDaemonHost([], {}), DEFAULT_HOST);
  assert.equal(resolveDaemonHost([], {}, ENGINE_HOST), 'worker://engine');
  assert.equal(resolveDaemonHost([], { DOCKER_HOST: 'tcp://10.0.0.1' }, ENGINE_HOST), 'tcp://10.0.0.1:2375');
  assert.equal(resolveDaemonHost([], { BERTH_HOST: ENGINE_HOST, DOCKER_HOST: 'tcp://10.0.0.1' }, ENGINE_HOST), ENGINE_HOST);
  assert.equal(resolveDaemonHost(['worker://engine'], {}, ENGINE_HOST), ENGINE_HOST);
  // Only the host whose default it is knows the scheme.
  assert.throws(() => resolveDaemonHost(['worker://engine'], {}), /unable to parse docker host `worker:\/\/engine`/);
});

/** What the command wrote, in xterm's place. */
function screen(): TerminalScreen & { text: string } {
  return {
    cols: 80, rows: 24, text: '',
    write(d, cb) { this.text += typeof d === 'string' ? d : new TextDecoder().decode(d); cb?.(); },
    onData: () => ({ dispose() {} }),
    onResize: () => ({ dispose() {} }),
    clear() {},
  };
}

async function run(args: string[], fetch: typeof globalThis.fetch): Promise<{ code: number; text: string }> {
  const s = screen();
  const host = browserCliHost({
    process: new CliProcess(new TerminalDevice(s)),
    engine: { fetch, hijack: async () => { throw new Error('no hijack'); } },
    files: memoryFiles(), env: {}, homeDir: '/home/berth',
    build: { version: '0.1.0', commit: 'test', os: 'linux', arch: '386', runtime: 'test' },
  });
  return { code: await runCli(args, host), text: s.text };
}

test('the browser CLI names its engine worker when the engine cannot be reached', async () => {
  const r = await run(['ps'], async () => { throw new TypeError('the engine worker is gone'); });
  assert.equal(r.code, 1);
  assert.match(r.text, /Cannot connect to the berth daemon at worker:\/\/engine\. Is the berth daemon running\?/);
  assert.doesNotMatch(r.text, /berth\.sock/);
});

test('the browser CLI refuses another daemon, naming its own', async () => {
  const r = await run(['-H', 'tcp://10.0.0.1:2375', 'ps'], async () => { throw new Error('not reached'); });
  assert.equal(r.code, 1);
  assert.match(r.text, /the playground reaches only its in-browser engine \(worker:\/\/engine\), not tcp:\/\/10\.0\.0\.1:2375/);
});
