// `berth volume ...` beside the real docker CLI, both against one berthd: the same bytes on stdout
// and stderr and the same exit codes for create, ls (-q, --filter, --format), inspect (--format),
// rm (-f, in use, missing) and prune (-f, -a).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { containersMissing, startContainerDaemon } from '../helpers/containers.ts';
import type { TestDaemon } from '../helpers/berthd.ts';
import type { RunResult } from '../helpers/docker-cli.ts';

import { tempDir } from '../helpers/tmp.ts';
import { cliPair } from '../helpers/cli-pair.ts';

const skip = containersMissing();

describe('berth volume and docker volume print the same', { skip }, () => {
  let d: TestDaemon;
  let configDir: string;
  const { berth, docker } = cliPair(() => d, () => configDir);

  /** Runs both CLIs in turn (names get a per-CLI suffix) and compares what they print. */
  async function same(args: (s: string) => string[], input?: string): Promise<RunResult> {
    const b = await berth(args('b'), input);
    const k = await docker(args('d'), input);
    // The suffix as a whole word: the temp dirs' random names may hold `-b...` or `-d...` too.
    const suffix = (s: string) => new RegExp(`-${s}(?![A-Za-z0-9])`, 'g');
    const norm = (r: RunResult, s: string) => ({
      code: r.code,
      stdout: r.stdout.replace(suffix(s), '-X').replace(/\b[0-9a-f]{64}\b/g, '<id>'),
      stderr: r.stderr.replace(suffix(s), '-X').replace(/\bdocker\b/g, 'berth').replace(/\b[0-9a-f]{64}\b/g, '<id>'),
    });
    assert.deepEqual(norm(b, 'b'), norm(k, 'd'), `berth/docker ${args('b').join(' ')}`);
    return norm(b, 'b');
  }

  before(async () => {
    d = await startContainerDaemon();
    configDir = await tempDir('volcli-');
  });
  after(async () => { await d?.cleanup(); });

  test('create, ls, inspect', async () => {
    await same((s) => ['volume', 'create', '--label', 'app=web', '--label', 'tier', `vol-${s}`]);
    await same((s) => ['volume', 'create', '--label', `owner=-${s}`, `other-${s}`]);
    await same(() => ['volume', 'create', 'x']);
    await same(() => ['volume', 'create', '--opt', 'nope=1', 'badopt']);
    const ls = await same((s) => ['volume', 'ls', '--filter', `name=-${s}`]);
    assert.match(ls.stdout, /^DRIVER +VOLUME NAME\n/);
    await same((s) => ['volume', 'ls', '-q', '--filter', `name=-${s}`]);
    await same((s) => ['volume', 'ls', '--filter', 'label=app=web', '--filter', `name=-${s}`, '--format', '{{.Name}} {{.Driver}} {{.Scope}} {{.Label "app"}} {{.Links}}']);
    // docker joins .Labels in Go's map order, which is random: compare the labels as a set.
    const labels = async (run: typeof berth, s: string) => (await run(['volume', 'ls', '--filter', `name=vol-${s}`, '--format', '{{.Labels}}'])).stdout.trim().split(',').sort();
    assert.deepEqual(await labels(berth, 'b'), ['app=web', 'tier=']);
    assert.deepEqual(await labels(docker, 'd'), ['app=web', 'tier=']);
    await same((s) => ['volume', 'ls', '--filter', `name=-${s}`, '--format', 'table {{.Name}}\t{{.Mountpoint}}']);
    await same(() => ['volume', 'ls', '--filter', 'bogus=1']);
    await same((s) => ['volume', 'inspect', '--format', '{{.Name}} {{.Mountpoint}} {{json .Labels}} {{json .Options}}', `vol-${s}`]);
    await same((s) => ['volume', 'inspect', `vol-${s}`, 'nosuch']);
    const df = await same(() => ['system', 'df']);
    assert.match(df.stdout, /\nLocal Volumes +4 +0 +0B +0B\n/);
    const dfv = await berth(['system', 'df', '-v']);
    assert.match(dfv.stdout, /Local Volumes space usage:\n\nVOLUME NAME +LINKS +SIZE\n(.*\n)*other-b +0 +0B\n/);
  });

  test('rm in use, missing, -f; prune', async () => {
    await same((s) => ['create', '--name', `user-${s}`, '-v', `inuse-${s}:/data`, 'busybox', 'true']);
    const inUse = await same((s) => ['volume', 'rm', `inuse-${s}`, 'nosuch']);
    assert.equal(inUse.code, 1);
    assert.match(inUse.stderr, /volume is in use - \[<id>\]\nError response from daemon: get nosuch: no such volume\n/);
    await same(() => ['volume', 'rm', '-f', 'nosuch']);
    await same((s) => ['rm', `user-${s}`]);
    await same(() => ['volume', 'prune'], 'n\n');
    // Each CLI prunes an anonymous volume of its own.
    const reports: string[] = [];
    for (const [cli, s] of [[berth, 'b'], [docker, 'd']] as const) {
      const c = await d.docker(['create', '-v', '/anon', '--label', `cli=${s}`, 'busybox', 'true'], { configDir });
      await d.docker(['rm', c.stdout.trim()], { configDir });
      const r = await cli(['volume', 'prune', '-f']);
      reports.push(r.stdout.replace(/\b[0-9a-f]{64}\b/g, '<id>'));
    }
    assert.equal(reports[0], reports[1]);
    await same(() => ['system', 'prune', '--volumes'], 'n\n');
    await same(() => ['system', 'prune', '--volumes', '-a'], 'n\n');
    const c = await d.docker(['create', '-v', '/anon2', 'busybox', 'true'], { configDir });
    await d.docker(['rm', c.stdout.trim()], { configDir });
    assert.match((await berth(['system', 'prune', '-f', '--volumes'])).stdout, /^(Deleted Containers:\n(.*\n)*\n)?Deleted Volumes:\n[0-9a-f]{64}\n\n/);
    assert.match(reports[0]!, /^Deleted Volumes:\n<id>\n\nTotal reclaimed space: 0B\n$/);
    await same((s) => ['volume', 'rm', `inuse-${s}`, `vol-${s}`]);
    const all = await same((s) => ['volume', 'prune', '-a', '-f', '--filter', `label=owner=-${s}`]);
    assert.match(all.stdout, /^Deleted Volumes:\nother-X\n\nTotal reclaimed space: 0B\n$/);
  });
});
