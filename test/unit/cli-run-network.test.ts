// run/create's network options (--network in both syntaxes, --net, --ip, --ip6, --network-alias,
// --link, --link-local-ip, --mac-address) against what the real docker CLI 28 did with the same
// arguments (test/fixtures/cli-run-network/cases.json, captured by its capture.ts): the create body
// byte for byte, or the same refusal (usage error or `docker: ...`, exit 125) before any request.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { FlagError, parseFlags } from '../../core/cli/flags.ts';
import { containerFlags, runOnlyFlags } from '../../core/cli/run/flags.ts';
import { parseContainerOptions, RunOptionError } from '../../core/cli/run/config.ts';
import { readCsvRecord } from '../../core/cli/run/csv.ts';
import { isMacAddress, isUserDefinedNetwork, parseNetworkOpt } from '../../core/cli/run/network-opts.ts';
import { driverOpts } from '../../core/cli/commands/network-connect.ts';

interface NetworkCase { args: string[]; body?: Record<string, unknown>; code?: number; stderr?: string }

const CASES = JSON.parse(readFileSync(new URL('../fixtures/cli-run-network/cases.json', import.meta.url), 'utf8')) as NetworkCase[];

async function parseRun(argv: string[]) {
  const p = parseFlags([...containerFlags(), ...runOnlyFlags()], argv, { interspersed: false });
  return parseContainerOptions({ flags: p.values, changed: p.changed, args: p.args, env: { HOME: '/root' }, readFile: async () => undefined }, 'run');
}

const RUN_HINT = "\n\nRun 'docker run --help' for more information\n";
const USAGE = '\n\nUsage:  docker run [OPTIONS] IMAGE [COMMAND] [ARG...]';

/** docker's stderr as berth's error: a usage error (pflag's text) or a parse error (`docker: MSG`). */
function expectedError(stderr: string): { kind: 'flag' | 'option'; message: string } {
  assert.ok(stderr.endsWith(RUN_HINT), stderr);
  const text = stderr.slice(0, -RUN_HINT.length);
  if (text.endsWith(USAGE)) return { kind: 'flag', message: text.slice(0, -USAGE.length) };
  assert.ok(text.startsWith('docker: '), stderr);
  return { kind: 'option', message: text.slice('docker: '.length) };
}

describe('network options as docker 28 sends them', () => {
  assert.ok(CASES.filter((c) => c.body).length >= 30 && CASES.filter((c) => !c.body).length >= 40);
  for (const c of CASES) {
    test(JSON.stringify(c.args), async () => {
      if (c.body) {
        const r = await parseRun(c.args);
        assert.deepEqual(r.body, c.body);
        // Key order too (Go marshals maps sorted): the JSON reads the same.
        assert.equal(JSON.stringify(r.body.NetworkingConfig), JSON.stringify(c.body.NetworkingConfig));
        assert.deepEqual(Object.keys(r.body), Object.keys(c.body));
        assert.deepEqual(Object.keys(r.body.HostConfig as object), Object.keys(c.body.HostConfig as object));
        return;
      }
      assert.equal(c.code, 125);
      const want = expectedError(c.stderr!);
      await assert.rejects(() => parseRun(c.args), (e: Error) => {
        assert.ok(want.kind === 'flag' ? e instanceof FlagError : e instanceof RunOptionError, `${e.name}: ${e.message}`);
        assert.equal(e.message, want.message);
        return true;
      });
    });
  }
});

test('--network values as NetworkOpt.Set reads them', () => {
  assert.deepEqual(parseNetworkOpt('my-net'), { target: 'my-net', aliases: [], driverOpts: {}, links: [], ipv4: '', ipv6: '', linkLocalIPs: [], macAddress: '', gwPriority: 0 });
  assert.deepEqual(parseNetworkOpt('name=n,alias=a,alias=b,ip=10.0.0.2,ip6=fd00::2,link-local-ip=169.254.0.9,mac-address=02:42:0a:00:00:02,driver-opt=x=1,gw-priority=-3'), {
    target: 'n', aliases: ['a', 'b'], driverOpts: { x: '1' }, links: [], ipv4: '10.0.0.2', ipv6: 'fd00::2', linkLocalIPs: ['169.254.0.9'],
    macAddress: '02:42:0a:00:00:02', gwPriority: -3,
  });
  // Go's strings.ToLower maps rune by rune: no final sigma, and U+0130 is a plain i.
  assert.deepEqual(parseNetworkOpt('alias=ΑΣ,alias=İ,name=N').aliases, ['ασ', 'i']);
  // The long syntax needs an ASCII word around some `=`.
  assert.equal(parseNetworkOpt('name=ΑΣ').target, 'name=ΑΣ');
  assert.throws(() => parseNetworkOpt('name=n,gw-priority=9223372036854775808'), /^Error: invalid gw-priority \(9223372036854775808\): value out of range$/);
  assert.equal(parseNetworkOpt('name=n,gw-priority=-9223372036854775808').gwPriority, -(2 ** 63));
});

test('encoding/csv\'s first record', () => {
  assert.deepEqual(readCsvRecord('a,"b,c",""'), ['a', 'b,c', '']);
  assert.deepEqual(readCsvRecord('\n\na,b\nc,d'), ['a', 'b']);
  assert.deepEqual(readCsvRecord('"x\r\ny",z\r\n'), ['x\ny', 'z']);
  assert.deepEqual(readCsvRecord('a,b\r'), ['a', 'b']);
  assert.throws(() => readCsvRecord('\n\n'), /^Error: EOF$/);
  assert.throws(() => readCsvRecord('\na,b"'), /^Error: parse error on line 2, column 4: bare " in non-quoted-field$/);
  assert.throws(() => readCsvRecord('"a\nb\nc'), /^Error: record on line 1; parse error on line 3, column 2: extraneous or missing " in quoted-field$/);
});

test('net.ParseMAC\'s forms and NetworkMode.IsUserDefined', () => {
  for (const ok of ['02:42:ac:11:00:02', '02-42-AC-11-00-02', '0242.ac11.0002', '02:42:ac:11:00:02:00:01', '0242.ac11.0002.0001']) assert.ok(isMacAddress(ok), ok);
  for (const bad of ['02:42:ac:11:00', '02:42-ac:11:00:02', '0242ac110002', '02:42:ac:11:00:0g', '02:42:ac:11:00:002', '']) assert.ok(!isMacAddress(bad), bad);
  for (const mode of ['default', 'bridge', 'host', 'none', 'container:x', 'container:']) assert.ok(!isUserDefinedNetwork(mode), mode);
  for (const mode of ['n1', 'Bridge', 'containerx', 'a:b']) assert.ok(isUserDefinedNetwork(mode), mode);
});

test('--net and --network, --net-alias and --network-alias, --dns-opt and --dns-option keep one order', () => {
  const p = parseFlags(containerFlags(), ['--net', 'a', '--network', 'b', '--net', 'c', '--net-alias', 'x', '--network-alias', 'y', '--dns-opt', 'o1', '--dns-option', 'o2', 'busybox']);
  assert.deepEqual(p.values.network, ['a', 'b', 'c']);
  assert.deepEqual(p.values['network-alias'], ['x', 'y']);
  assert.deepEqual(p.values['dns-option'], ['o1', 'o2']);
  assert.ok(p.changed.has('network') && p.changed.has('net'));
});

test('maps go out with their keys sorted, as Go marshals them', async () => {
  const r = await parseRun(['-l', 'z=1', '-l', 'a=2', '--network', 'name=n,driver-opt=z=1,driver-opt=a=2', '--network', 'm', 'busybox']);
  assert.deepEqual(Object.keys(r.body.Labels as object), ['a', 'z']);
  const endpoints = (r.body.NetworkingConfig as { EndpointsConfig: Record<string, { DriverOpts: object }> }).EndpointsConfig;
  assert.deepEqual(Object.keys(endpoints), ['m', 'n']);
  assert.deepEqual(Object.keys(endpoints.n!.DriverOpts), ['a', 'z']);
  assert.deepEqual(Object.keys(driverOpts(['z=1', 'a=2'])), ['a', 'z']);
});
