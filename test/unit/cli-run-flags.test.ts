// run/create flags into the body of POST /containers/create, compared with the bodies the real
// docker CLI 28 sent for the same arguments (test/fixtures/cli-run, captured by its capture.ts),
// and docker's client-side validation texts.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseFlags, FlagError } from '../../core/cli/flags.ts';
import { containerFlags, runOnlyFlags } from '../../core/cli/run/flags.ts';
import { parseContainerOptions, RunOptionError } from '../../core/cli/run/config.ts';
import { parsePortSpec } from '../../core/cli/run/ports.ts';
import { parseGoDuration } from '../../core/cli/run/duration.ts';
import { parseMount } from '../../core/cli/run/mounts.ts';

const FIXTURES = new URL('../fixtures/cli-run/', import.meta.url).pathname;

async function parseRun(argv: string[], env: Record<string, string> = { HOME: '/root' }, files: Record<string, string> = {}) {
  const p = parseFlags([...containerFlags(), ...runOnlyFlags()], argv, { interspersed: false });
  return parseContainerOptions({ flags: p.values, changed: p.changed, args: p.args, env, readFile: async (f) => files[f] }, 'run');
}

/** docker builds Env and Binds through Go maps in places: their order is not stable. */
function normalize(body: Record<string, unknown>): unknown {
  const b = structuredClone(body) as Record<string, any>;
  if (Array.isArray(b.Env)) b.Env.sort();
  if (Array.isArray(b.HostConfig?.Binds)) b.HostConfig.Binds.sort();
  return b;
}

describe('run flags into the create body, as docker 28 sends it', () => {
  const files = readdirSync(FIXTURES).filter((f) => f.endsWith('.json'));
  assert.ok(files.length >= 10);
  for (const file of files) {
    test(file, async () => {
      const fx = JSON.parse(readFileSync(join(FIXTURES, file), 'utf8')) as { args: string[]; path: string; body: Record<string, unknown> };
      const r = await parseRun(fx.args);
      assert.deepEqual(normalize(r.body), normalize(fx.body));
      // Key order too, where docker's is stable: the JSON reads the same.
      assert.deepEqual(Object.keys(r.body), Object.keys(fx.body));
      assert.deepEqual(Object.keys(r.body.HostConfig as object), Object.keys(fx.body.HostConfig as object));
      const query = new URLSearchParams(fx.path.split('?')[1] ?? '');
      assert.equal(r.name, query.get('name') ?? '');
      assert.equal(r.platform, query.get('platform') ?? '');
    });
  }
});

describe('client-side validation, with docker\'s texts', () => {
  const cases: Array<[string[], string, 'flag' | 'option']> = [
    [['-m', 'garbage', 'busybox'], 'invalid argument "garbage" for "-m, --memory" flag: invalid size: \'garbage\'', 'flag'],
    [['--restart', 'always', '--rm', 'busybox'], 'conflicting options: cannot specify both --restart and --rm', 'option'],
    [['-p', '99999:80', 'busybox'], 'invalid hostPort: 99999', 'option'],
    [['-p', '80:99999', 'busybox'], 'invalid containerPort: 99999', 'option'],
    [['-p', '80/xtp', 'busybox'], 'invalid proto: xtp', 'option'],
    [['--cpus', 'x', 'busybox'], 'invalid argument "x" for "--cpus" flag: failed to parse x as a rational number', 'flag'],
    [['--pull', 'sometimes', 'busybox'], 'invalid pull option: \'sometimes\': must be one of "always", "missing" or "never"', 'option'],
    [['-a', 'stdfoo', 'busybox'], 'invalid argument "stdfoo" for "-a, --attach" flag: valid streams are STDIN, STDOUT and STDERR', 'flag'],
    [['--ulimit', 'nofile=2048:1024', 'busybox'], 'invalid argument "nofile=2048:1024" for "--ulimit" flag: ulimit soft limit must be less than or equal to hard limit: 2048 > 1024', 'flag'],
    [['--ulimit', 'bogus=1', 'busybox'], 'invalid argument "bogus=1" for "--ulimit" flag: invalid ulimit type: bogus', 'flag'],
    [['--health-interval', '5x', 'busybox'], 'invalid argument "5x" for "--health-interval" flag: time: unknown unit "x" in duration "5x"', 'flag'],
    [['--restart', 'on-failure:x', 'busybox'], 'invalid restart policy format: maximum retry count must be an integer', 'option'],
    [['--mount', 'type=bind,source=/x', 'busybox'], 'invalid argument "type=bind,source=/x" for "--mount" flag: target is required', 'flag'],
    [['--env-file', '/nonexistent', 'busybox'], 'open /nonexistent: no such file or directory', 'option'],
    [['--no-healthcheck', '--health-cmd', 'true', 'busybox'], '--no-healthcheck conflicts with --health-* options', 'option'],
  ];
  for (const [argv, message, kind] of cases) {
    test(argv.join(' '), async () => {
      await assert.rejects(() => parseRun(argv), (e: Error) => {
        assert.ok(kind === 'flag' ? e instanceof FlagError : e instanceof RunOptionError, `${e.name}: ${e.message}`);
        assert.equal(e.message, message);
        return true;
      });
    });
  }
});

test('env files and -e: files first, bare names from the client environment', async () => {
  const r = await parseRun(['--env-file', '/e', '-e', 'X=1', '-e', 'FROMENV', '-e', 'UNSET', 'busybox'], { FROMENV: 'yes', FILEVAR: 'f' },
    { '/e': '# comment\n\nA=1\n  B=two words\nFILEVAR\nMISSING\n' });
  assert.deepEqual(r.body.Env, ['A=1', 'B=two words', 'FILEVAR=f', 'X=1', 'FROMENV=yes', 'UNSET']);
});

test('detached runs attach nothing; -i alone attaches stdin and closes it once', async () => {
  const d = await parseRun(['-d', '-i', 'busybox']);
  assert.equal(d.body.AttachStdin, false);
  assert.equal(d.body.AttachStdout, false);
  assert.equal(d.body.StdinOnce, false);
  const i = await parseRun(['-i', 'busybox']);
  assert.equal(i.body.AttachStdin, true);
  assert.equal(i.body.StdinOnce, true);
});

test('port specs as nat.ParsePortSpec reads them', () => {
  assert.deepEqual(parsePortSpec('[::1]:8080:80'), [{ port: '80/tcp', binding: { HostIp: '::1', HostPort: '8080' } }]);
  assert.deepEqual(parsePortSpec('8000-8001:80'), [{ port: '80/tcp', binding: { HostIp: '', HostPort: '8000-8001' } }]);
  assert.throws(() => parsePortSpec('8000:80-81'), /invalid ranges specified for container and host Ports: 80-81 and 8000/);
  assert.throws(() => parsePortSpec('1.2.3.999:80:80'), /invalid IP address: 1.2.3.999/);
});

test('Go durations and mounts', () => {
  assert.equal(parseGoDuration('1m30s'), 90e9);
  assert.equal(parseGoDuration('1.5h'), 5400e9);
  assert.equal(parseGoDuration('250ms'), 250e6);
  assert.throws(() => parseGoDuration('5'), /missing unit/);
  assert.deepEqual(parseMount('type=tmpfs,dst=/t,tmpfs-mode=1770'), { Type: 'tmpfs', Target: '/t', TmpfsOptions: { Mode: 0o1770 } });
  assert.deepEqual(parseMount('src=v,dst=/v,volume-opt=a=b,volume-nocopy'), { Type: 'volume', Source: 'v', Target: '/v', VolumeOptions: { NoCopy: true, DriverConfig: { Options: { a: 'b' } } } });
  assert.throws(() => parseMount('type=bind,src=/a,dst=/b,volume-nocopy'), /cannot mix 'volume-\*' options with mount type 'bind'/);
});
