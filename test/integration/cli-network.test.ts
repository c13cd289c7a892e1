// `berth network ...` beside the real docker CLI, both against one berthd: the same bytes on stdout
// and stderr and the same exit codes for create (--subnet, --gateway, --ip-range, --internal, --label;
// bad and overlapping subnets, duplicate names), ls (-q, --filter, --format, --no-trunc), inspect
// (--format), connect (--ip, --alias) and disconnect on a running busybox, rm (in use, missing) and
// prune (-f, --filter); and `run --network` in the long syntax joining two networks. Each CLI works on
// networks of its own (a -b or -d suffix, its own /24) unless both must see the same one.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { containersMissing, startContainerDaemon } from '../helpers/containers.ts';
import type { TestDaemon } from '../helpers/berthd.ts';
import type { RunResult } from '../helpers/docker-cli.ts';
import { tempDir } from '../helpers/tmp.ts';
import { cliPair } from '../helpers/cli-pair.ts';

const skip = containersMissing();

// A /16 of 10/8 unlikely to be routed here or used by another test's daemon at the same time.
const BASE = `10.${160 + Math.floor(Math.random() * 80)}`;
/** Each CLI's own /24s (third octet 1 and 5 for berth, 2 and 6 for docker) and one both use (3). */
const octet = (s: string) => (s === 'b' ? 1 : s === 'd' ? 2 : 3);
const net = (s: string, k = 0) => `${BASE}.${octet(s) + 4 * k}`;

describe('berth network and docker network print the same', { skip }, () => {
  let d: TestDaemon;
  let configDir: string;
  const { berth, docker } = cliPair(() => d, () => configDir);

  /** Runs both CLIs in turn (names and subnets per CLI) and compares what they print. */
  async function same(args: (s: string) => string[], input?: string, env?: Record<string, string>): Promise<RunResult> {
    const b = await berth(args('b'), input, env);
    const k = await docker(args('d'), input, env);
    // Arguments the same for both (no suffix) name the same networks: nothing per CLI to hide then.
    const perCli = args('b').join('\0') !== args('d').join('\0');
    const ownNames = (t: string, s: string) => t.replace(new RegExp(`-${s}\\b`, 'g'), '-X').replaceAll(`${net('both')}.${10 + octet(s)}`, '<shared-ip>')
      .replaceAll(`${net(s)}.`, '<net>.').replaceAll(`${net(s, 1)}.`, '<net2>.');
    const norm = (r: RunResult, s: string) => {
      const text = (t: string) => (perCli ? ownNames(t, s) : t)
        .replace(/\b\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)? \+0000 UTC\b/g, '<time>').replace(/\b[0-9a-f]{64}\b/g, '<id>').replace(/\b[0-9a-f]{12}\b/g, '<id12>');
      return { code: r.code, stdout: text(r.stdout), stderr: text(r.stderr).replace(/\bdocker\b/g, 'berth') };
    };
    assert.deepEqual(norm(b, 'b'), norm(k, 'd'), `berth/docker ${args('b').join(' ')}\ndaemon log:\n${d.logs().slice(-2000)}`);
    return norm(b, 'b');
  }
  const ok = async (args: string[]) => {
    const r = await docker(args);
    assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };

  before(async () => {
    d = await startContainerDaemon();
    configDir = await tempDir('netcli-');
  });
  after(async () => {
    if (!d) return;
    const ids = (await docker(['ps', '-aq'])).stdout.split('\n').filter(Boolean);
    if (ids.length) await docker(['rm', '-f', ...ids]);
    await docker(['network', 'prune', '-f']);
    await d.cleanup();
  });

  test('create: subnets, gateways, ranges, internal, labels; bad and overlapping subnets, duplicate names', async () => {
    const created = await same((s) => ['network', 'create', '--subnet', `${net(s)}.0/24`, '--gateway', `${net(s)}.254`, '--ip-range', `${net(s)}.128/25`,
      '--label', 'app=web', '--label', 'tier', `nw-${s}`]);
    assert.match(created.stdout, /^<id>\n$/);
    await same((s) => ['network', 'create', '--internal', '--label', `owner=-${s}`, `int-${s}`]);
    await ok(['network', 'create', '--subnet', `${net('both')}.0/24`, 'shared']);
    // Refused by the CLI.
    await same((s) => ['network', 'create', '--subnet', `${net(s)}.0/33`, `bad-${s}`]);
    await same((s) => ['network', 'create', '--subnet', 'nonsense', `bad-${s}`]);
    await same((s) => ['network', 'create', '--gateway', `${net(s)}.1`, `bad-${s}`]);
    await same((s) => ['network', 'create', '--subnet', `${net(s)}.0/24`, '--gateway', '198.51.100.1', `bad-${s}`]);
    await same((s) => ['network', 'create', '--subnet', `${net(s)}.0/24`, '--ip-range', '198.51.100.0/28', `bad-${s}`]);
    await same((s) => ['network', 'create', '--subnet', `${net(s)}.0/24`, '--subnet', `${net(s)}.0/25`, `bad-${s}`]);
    await same((s) => ['network', 'create', '--label', '=x', `bad-${s}`]);
    // Refused by the daemon.
    await same(() => ['network', 'create', '--subnet', `${net('both')}.0/25`, 'overlap']);
    await same(() => ['network', 'create', '--subnet', `${net('both')}.0/24`, 'overlap']);
    await same(() => ['network', 'create', 'shared']);
    await same(() => ['network', 'create', 'bridge']);
    await same((s) => ['network', 'create', '-d', 'nosuchdriver', `bad-${s}`]);
    const atNetwork = await same((s) => ['network', 'create', '--subnet', `${net(s, 1)}.0/24`, '--gateway', `${net(s, 1)}.0`, `bad-${s}`]);
    // dockerd's text (20.10's here): its allocator holds the network and broadcast addresses.
    assert.equal(atNetwork.stderr, 'Error response from daemon: failed to allocate gateway (<net2>.0): Address already in use\n');
    await same((s) => ['network', 'create', '--subnet', `${net(s, 1)}.0/24`, '--gateway', `${net(s, 1)}.255`, `bad-${s}`]);
    const two = (s: string) => ['--subnet', `${net(s, 1)}.0/24`, '--subnet', `${net(s)}.0/24`];
    await same((s) => ['network', 'create', ...two(s), '--ip-range', `${net(s, 1)}.0/25`, '--ip-range', `${net(s, 1)}.128/25`, `bad-${s}`]);
    await same((s) => ['network', 'create', ...two(s), '--gateway', `${net(s, 1)}.1`, '--gateway', `${net(s, 1)}.2`, `bad-${s}`]);
    // Two subnets pass the CLI; the daemon takes one IPv4 subnet per network.
    await same((s) => ['network', 'create', '--subnet', `${net(s, 1)}.0/24`, '--subnet', '198.51.100.0/24', `bad-${s}`]);
    await same(() => ['network']);
    await same(() => ['network', 'bogus']);
    await same((s) => ['network', 'create', '--subnet', `"${net(s, 1)}.0/24`, `bad-${s}`]);
    await same(() => ['network', 'create']);
    await same(() => ['network', 'create', 'a', 'b']);
    const none = await same((s) => ['network', 'ls', '-q', '--filter', `name=bad-${s}`]);
    assert.equal(none.stdout, '');
  });

  test('ls and inspect', async () => {
    const all = await same(() => ['network', 'ls']);
    assert.match(all.stdout, /^NETWORK ID +NAME +DRIVER +SCOPE\n/);
    assert.match(all.stdout, /\n<id12> +nw-b +bridge +local\n<id12> +nw-d +bridge +local\n<id12> +shared +bridge +local\n$/);
    await same(() => ['network', 'ls', '--no-trunc']);
    await same(() => ['network', 'ls', '-q']);
    await same((s) => ['network', 'ls', '-q', '--filter', `name=-${s}`]);
    await same((s) => ['network', 'ls', '--filter', 'label=app=web', '--filter', `name=-${s}`]);
    await same(() => ['network', 'ls', '--filter', 'driver=bridge', '--filter', 'type=custom', '--format', '{{.Name}}']);
    await same(() => ['network', 'ls', '--filter', 'type=builtin', '--format', '{{.Name}} {{.Driver}} {{.Scope}} {{.Internal}} {{.IPv4}} {{.IPv6}}']);
    await same(() => ['network', 'ls', '--filter', 'scope=local', '--filter', 'driver=null', '--format', '{{.Name}}']);
    await same(() => ['network', 'ls', '--filter', 'label=app', '--filter', 'label=tier', '--format', '{{.Name}}']);
    await same(() => ['network', 'ls', '--filter', 'scope=swarm', '-q']);
    await same(() => ['network', 'ls', '--filter', 'name=nw', '--filter', 'name=int', '--format', '{{.Name}}']);
    await same((s) => ['network', 'ls', '--filter', `label=owner=-${s}`, '--format', 'table {{.Name}}\t{{.Internal}}\t{{.Label "owner"}}\t{{.Labels}}']);
    // One label: docker joins .Labels in Go's (random) map order.
    await same((s) => ['network', 'ls', '--filter', `name=int-${s}`, '--format', '{{json .}}']);
    await same((s) => ['network', 'ls', '-q', '--format', '{{.Name}}', '--filter', `name=-${s}`]);
    await same((s) => ['network', 'ls', '--format', 'table', '--filter', `name=-${s}`]);
    await same((s) => ['network', 'ls', '--format', 'raw', '--filter', `name=-${s}`]);
    await same((s) => ['network', 'ls', '-q', '--format', 'raw', '--filter', `name=-${s}`]);
    await same((s) => ['network', 'ls', '--format', 'table {{.ID}}\t{{.CreatedAt}}', '--no-trunc', '--filter', `name=int-${s}`]);
    await same(() => ['network', 'ls', '--filter', 'bogus=1']);
    await same(() => ['network', 'ls', '--filter', 'type=other']);
    await same(() => ['network', 'ls', '--format', '{{.Nope}}']);

    await same((s) => ['network', 'inspect', '--format', '{{.Name}} {{.Driver}} {{.Scope}} {{.Internal}} {{json .IPAM}} {{json .Labels}} {{json .Options}}', `nw-${s}`]);
    await same((s) => ['network', 'inspect', '-f', '{{.Name}} {{.Internal}} {{len .IPAM.Config}} {{.IPAM.Driver}} {{json .Containers}}', `int-${s}`]);
    await same(() => ['network', 'inspect', 'shared']);
    // The docker CLI's Go types print (structs, maps, a time), and where they lack a field the raw JSON answers.
    const typed = await same(() => ['network', 'inspect', '-f', '{{.IPAM.Config}} {{.IPAM}} {{.ConfigFrom}} {{.Labels}} {{.Containers}} {{.Options}} {{.Created}}', 'shared']);
    const subnet = `${net('both')}.0/24  ${net('both')}.1 map[]`;
    assert.equal(typed.stdout, `[{${subnet}}] {default map[] [{${subnet}}]} {} map[] map[] map[] <time>\n`);
    const whole = await same(() => ['network', 'inspect', '-f', '{{.}}', 'shared']);
    assert.match(whole.stdout, /^\{shared <id> <time> local bridge false false \{default map\[\] \[\{.*\}\]\} false false false \{\} false map\[\] map\[\] map\[\] \[\] map\[\]\}\n$/);
    const json = await same(() => ['network', 'inspect', '-f', '{{json .}}', 'shared']);
    assert.match(json.stdout, /^\{"Name":"shared","Id":"<id>","Created":"[^"]+","Scope":"local","Driver":"bridge","EnableIPv4":false,/);
    await same(() => ['network', 'inspect', '-f', '{{json .Created}} {{json .IPAM}} {{.ID}} {{.Id}}', 'shared']);
    await same(() => ['network', 'inspect', '-f', '{{.Nope}}', 'shared']);
    await same(() => ['network', 'inspect', '-f', '{{.Labels.nope}}', 'shared']);
    await same(() => ['network', 'inspect', 'shared', 'bridge', 'host', 'none']);
    await same(() => ['network', 'inspect', 'nosuch']);
    await same(() => ['network', 'inspect', 'shared', 'nosuch']);
  });

  test('connect and disconnect a running container', async () => {
    await same((s) => ['run', '-d', '-q', '--name', `c-${s}`, '--network', `nw-${s}`, 'busybox', 'sleep', '300']);
    await same((s) => ['network', 'connect', '--ip', `${net('both')}.${10 + octet(s)}`, '--alias', 'web', '--alias', `api-${s}`, 'shared', `c-${s}`]);
    const settings = (s: string) => ['inspect', '-f', `{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{$v.IPAddress}} {{json $v.Aliases}} {{$v.DNSNames}};{{end}}`, `c-${s}`];
    const inspected = await same(settings);
    assert.match(inspected.stdout, new RegExp(`^nw-X <net>\\.128 null \\[c-X <id12>\\];shared <shared-ip> \\["web","api-X"\\] \\[c-X web api-X <id12>\\];\n$`));
    await same((s) => ['exec', `c-${s}`, 'ip', '-o', '-4', 'addr', 'show', 'eth1']);
    // Both containers' endpoints, seen through either CLI.
    await same(() => ['network', 'inspect', 'shared']);
    await same(() => ['network', 'inspect', '-f', '{{range $id, $c := .Containers}}{{$c.Name}} {{$c.IPv4Address}} {{$c.MacAddress}};{{end}}', 'shared']);
    await same(() => ['network', 'ls', '--filter', 'dangling=true', '--format', '{{.Name}}']);
    await same(() => ['network', 'ls', '--filter', 'dangling=false', '--format', '{{.Name}}']);
    const id = (await ok(['network', 'inspect', '-f', '{{.Id}}', 'shared'])).trim();
    await same(() => ['network', 'inspect', '-f', '{{.Name}}', id.slice(0, 12)]);
    await same(() => ['network', 'ls', '--filter', `id=${id.slice(0, 5)}`, '--format', '{{.Name}}']);
    await same((s) => ['network', 'connect', 'shared', `c-${s}`]);
    await same((s) => ['network', 'connect', 'nosuch', `c-${s}`]);
    await same(() => ['network', 'connect', 'shared', 'nosuch']);
    await same((s) => ['network', 'connect', '--ip', '198.51.100.5', `int-${s}`, `c-${s}`]);
    await same((s) => ['network', 'connect', '--alias', '"web', `int-${s}`, `c-${s}`]);
    await same((s) => ['network', 'connect', '--link', 'a:b:c', `int-${s}`, `c-${s}`]);
    await same((s) => ['network', 'disconnect', 'shared', `c-${s}`]);
    await same((s) => ['network', 'disconnect', 'shared', `c-${s}`]);
    await same(settings);
    await same((s) => ['network', 'disconnect', 'nosuch', `c-${s}`]);
    await same(() => ['network', 'disconnect', 'shared', 'nosuch']);
  });

  test('rm: in use, missing; prune', async () => {
    const inUse = await same((s) => ['network', 'rm', `nw-${s}`]);
    assert.equal(inUse.code, 1);
    await same(() => ['network', 'rm', 'nosuch']);
    await same(() => ['network', 'rm', '-f', 'nosuch']);
    await same((s) => ['network', 'rm', `int-${s}`, 'nosuch', `int-${s}`]);
    await same(() => ['network', 'rm', 'bridge']);
    await same(() => ['network', 'prune'], 'n\n');
    await same((s) => ['network', 'create', '--label', `owner=-${s}`, `p1-${s}`]);
    await same((s) => ['network', 'create', '--label', `owner=-${s}`, '--label', 'keep', `p2-${s}`]);
    const pruned = await same((s) => ['network', 'prune', '-f', '--filter', `label=owner=-${s}`, '--filter', 'label!=keep']);
    assert.equal(pruned.stdout, 'Deleted Networks:\np1-X\n\n');
    await same((s) => ['network', 'prune', '-f', '--filter', `label=owner=-${s}`, '--filter', 'until=1h']);
    await same((s) => ['network', 'prune', '-f', '--filter', `label=owner=-${s}`, '--filter', 'until=2001-01-01T00:00:00Z']);
    await same(() => ['network', 'prune', '-f', '--filter', 'until=nonsense']);
    await same(() => ['network', 'prune', '-f', '--filter', 'bogus=1']);
    await same((s) => ['rm', '-f', `c-${s}`]);
    await same((s) => ['network', 'rm', `nw-${s}`, `p2-${s}`]);
  });

  test('run --network in the long syntax joins two networks with an alias and a fixed address', async () => {
    await same((s) => ['network', 'create', '--subnet', `${net(s)}.0/24`, `two-${s}`]);
    const r = await same((s) => ['run', '--rm', '--network', `name=two-${s},alias=first,ip=${net(s)}.77`, '--network', 'shared', 'busybox',
      'sh', '-c', `ip -o -4 addr show eth0 | sed "s/ *valid.*//"; ip -o -4 addr show eth1 | grep -c "inet ${BASE}.3."; nslookup first | grep -c "^Address: ${net(s)}.77$"`]);
    assert.match(r.stdout, /^\d+: eth0 +inet <net>\.77\/24 .*\n1\n1\n$/);
    await same((s) => ['run', '--rm', '--network', `two-${s}`, '--network', `two-${s}`, 'busybox', 'true']);
    await same((s) => ['run', '--rm', '--network', `two-${s}`, '--network', 'host', 'busybox', 'true']);
    await same(() => ['run', '--rm', '--network-alias', 'a', 'busybox', 'true']);
    // An older API (as against dockerd 20.10) cannot take a MAC address per network: the client refuses.
    const old = { DOCKER_API_VERSION: '1.41' };
    const mac = await same((s) => ['run', '--rm', '--network', `two-${s}`, '--mac-address', '02:42:ac:11:00:09', 'busybox', 'true'], undefined, old);
    assert.match(mac.stderr, /"specify mac-address per network" requires API version 1\.44, but the Docker daemon API version is 1\.41/);
    await same((s) => ['network', 'rm', `two-${s}`]);
    await ok(['network', 'rm', 'shared']);
  });
});
