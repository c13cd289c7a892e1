// Issue 2 audit, D11: a store directory that cannot be created (under /proc, where Node's recursive
// mkdir spins forever, or under a file) is a clear error at once, for the registry and for berthd.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { serveRegistry } from '../../host-linux/registry/serve.ts';
import { ensureDirectory } from '../../host-linux/registry/ensure-directory.ts';
import { berthdCommand } from '../helpers/berthd.ts';
import { runCommand } from '../helpers/docker-cli.ts';
import { removeDir, tempDir } from '../helpers/tmp.ts';

let dir: string;
before(async () => { dir = await tempDir('berth-audit-root-'); });
after(async () => { await removeDir(dir); });

describe('issue 2 audit: store directories that cannot be created', () => {
  test('registry serve --root under /proc fails at once and names the directory', { timeout: 10_000 }, async () => {
    await assert.rejects(serveRegistry({ addr: '127.0.0.1:0', root: '/proc/berth-audit/root' }),
      { message: 'cannot create directory /proc/berth-audit/root: /proc/berth-audit cannot be created here' });
  });

  test('a root below a file is refused; missing parents are created', async () => {
    await writeFile(join(dir, 'file'), 'x');
    await assert.rejects(ensureDirectory(join(dir, 'file/sub')), { message: `cannot create directory ${join(dir, 'file/sub')}: ${join(dir, 'file')} exists and is not a directory` });
    await ensureDirectory(join(dir, 'a/b/c'), 0o710);
    await ensureDirectory(join(dir, 'a/b/c'));
    const served = await serveRegistry({ addr: '127.0.0.1:0', root: join(dir, 'reg/nested') });
    await served.close();
  });

  test('berthd --data-root under /proc exits 1 with the reason', { timeout: 25_000 }, async () => {
    const [cmd, ...pre] = berthdCommand();
    const r = await runCommand(cmd!, [...pre, '--data-root', '/proc/berth-audit/data', '--exec-root', join(dir, 'exec'),
      '--pidfile', join(dir, 'berthd.pid'), '-H', `unix://${join(dir, 'b.sock')}`], { env: { PATH: process.env.PATH ?? '' }, timeoutMs: 20_000 });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /cannot create directory \/proc\/berth-audit\/data: \/proc\/berth-audit cannot be created here/);
  });
});
