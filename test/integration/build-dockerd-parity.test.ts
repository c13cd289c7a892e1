// berthd's builder beside dockerd's legacy builder, the same Dockerfiles built FROM the same busybox image
// (berth's, loaded into dockerd) through the real docker CLI: the same image config, the same history
// texts, the same step lines and error messages. What differs on purpose is masked and said here:
// IDs; COPY's content hash (berth's own checksum); dockerd's `Running in`/`Removing intermediate container`
// lines for config-only steps, which berth builds without a container.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { containersMissing, startContainerDaemon } from '../helpers/containers.ts';
import { dockerdMissing, startDockerd, type TestDockerd } from '../helpers/dockerd.ts';
import { tempDir, removeDir } from '../helpers/tmp.ts';
import type { RunResult } from '../helpers/docker-cli.ts';

const skip = containersMissing() || (dockerdMissing() ?? false);

type ContainerDaemon = Awaited<ReturnType<typeof startContainerDaemon>>;

const DOCKERFILES: Record<string, string> = {
  everything: [
    'ARG BASE=busybox',
    'FROM $BASE',
    'MAINTAINER someone',
    'LABEL a=1 "b c"="d e"',
    'ARG V=7',
    'ENV X=1 Y="two words" Z=${V}',
    'WORKDIR /srv',
    'WORKDIR sub',
    'COPY f.txt .',
    'COPY dir /dir/',
    'RUN echo "$X $Y $Z $V" > /out',
    'RUN ["/bin/sh", "-c", "echo exec form >> /out"]',
    'USER 123',
    'EXPOSE 80 53/udp',
    'VOLUME /v1 /v2',
    'STOPSIGNAL SIGQUIT',
    'HEALTHCHECK --interval=3s --timeout=2s CMD true',
    'SHELL ["/bin/sh", "-ec"]',
    'RUN echo shell now',
    'ONBUILD RUN echo child',
    'ENTRYPOINT ["/bin/sh", "-c"]',
    'CMD ["cat /out"]',
    '',
  ].join('\n'),
  stages: [
    'FROM busybox AS one',
    'RUN echo one > /one',
    'FROM one AS two',
    'ENV FROM_TWO=1',
    'FROM busybox',
    'COPY --from=two /one /copied',
    'CMD ["cat", "/copied"]',
    '',
  ].join('\n'),
  options: 'FROM busybox AS base\nARG USED\nRUN echo "used=$USED"\nFROM base AS last\nRUN echo last\n',
  archive: 'FROM busybox\nADD f.tar /unpacked/\nCOPY . /all/\nRUN find /unpacked /all | sort\n',
  fails: 'FROM busybox\nRUN echo before; exit 4\n',
  missing: 'FROM busybox\nCOPY absent.txt /\n',
};

/** A build's output with IDs, COPY hashes and dockerd-only container lines masked. */
function normalize(out: string): string[] {
  return out.split('\n')
    .filter((l) => !l.startsWith('Sending build context') && !/^ ---> Running in /.test(l) && !/^Removing intermediate container /.test(l) && !l.startsWith('DEPRECATED') && !/^\s+(BuildKit|environment-variable)/.test(l))
    .map((l) => l.replace(/\b[0-9a-f]{12}\b/g, '<id>').replace(/(file|dir|multi):[0-9a-f]{64}/g, '$1:<sum>').replace(/^ ---> $/, ' ---> <id>'))
    .filter((l) => l !== '');
}

describe('the builder beside dockerd\'s legacy builder', { skip }, () => {
  let b: ContainerDaemon;
  let d: TestDockerd;
  let dir: string;
  const env = { env: { DOCKER_BUILDKIT: '0' } };
  const both = async (args: string[]): Promise<{ berth: RunResult; dockerd: RunResult }> => ({
    berth: await b.docker(args, env),
    dockerd: await d.docker(args, env),
  });

  before(async () => {
    dir = await tempDir('build-parity-');
    [b, d] = await Promise.all([startContainerDaemon(), startDockerd()]);
    const archive = join(dir, 'busybox.tar');
    await b.docker(['pull', 'busybox']); // the built-in image, once berthd has imported it
    const saved = await b.docker(['save', '-o', archive, 'busybox']);
    assert.equal(saved.code, 0, saved.stderr);
    await d.dockerOk(['load', '-i', archive]);
    for (const [name, text] of Object.entries(DOCKERFILES)) {
      const ctx = join(dir, name);
      await mkdir(join(ctx, 'dir', 'inner'), { recursive: true });
      await writeFile(join(ctx, 'Dockerfile'), text);
      await writeFile(join(ctx, 'f.txt'), 'f\n');
      await writeFile(join(ctx, 'dir', 'inner', 'g.txt'), 'g\n');
    }
  });
  after(async () => {
    await Promise.all([b?.cleanup(), d?.cleanup()]);
    await removeDir(dir);
  });

  for (const name of ['everything', 'stages']) {
    test(`${name}: the same steps, config, history and result`, async () => {
      const tag = `parity/${name}`;
      const r = await both(['build', '-t', tag, join(dir, name)]);
      assert.equal(r.berth.code, 0, r.berth.stderr);
      assert.equal(r.dockerd.code, 0, r.dockerd.stderr);
      assert.deepEqual(normalize(r.berth.stdout), normalize(r.dockerd.stdout));

      const config = await both(['image', 'inspect', '-f', '{{json .Config}}', tag]);
      const strip = (s: string) => { const c = JSON.parse(s) as Record<string, unknown>; delete c.Image; delete c.Hostname; return c; };
      assert.deepEqual(strip(config.berth.stdout), strip(config.dockerd.stdout));

      const history = await both(['history', '--no-trunc', '--format', '{{.CreatedBy}}|{{.Comment}}', tag]);
      assert.deepEqual(normalize(history.berth.stdout), normalize(history.dockerd.stdout));

      const ran = await both(['run', '--rm', tag]);
      assert.equal(ran.berth.stdout, ran.dockerd.stdout);
      assert.equal(ran.berth.code, ran.dockerd.code);

      const again = await both(['build', '-t', tag, join(dir, name)]);
      assert.deepEqual(normalize(again.berth.stdout), normalize(again.dockerd.stdout));
    });
  }

  test('options: --build-arg (one unused), --label, --target, -q', async () => {
    const ctx = join(dir, 'options');
    const args = ['build', '--build-arg', 'USED=yes', '--build-arg', 'UNUSED=no', '--label', 'org.example=1', '--label', 'a.b=$HOME "q" \\\\x', '--target', 'base', '-t', 'parity/options', ctx];
    const r = await both(args);
    assert.equal(r.berth.code, 0, r.berth.stderr);
    assert.deepEqual(normalize(r.berth.stdout), normalize(r.dockerd.stdout));
    const labels = await both(['image', 'inspect', '-f', '{{json .Config.Labels}}', 'parity/options']);
    assert.equal(labels.berth.stdout, labels.dockerd.stdout);
    const quiet = await both(['build', '-q', ...args.slice(1)]);
    for (const out of [quiet.berth.stdout, quiet.dockerd.stdout]) assert.match(out, /^sha256:[0-9a-f]{64}\n$/);
  });

  test('archive: ADD of a local tar unpacks; .dockerignore applies to COPY .', async () => {
    const ctx = join(dir, 'archive');
    await writeFile(join(ctx, '.dockerignore'), '*.log\n');
    await writeFile(join(ctx, 'skip.log'), 'no');
    const { execFileSync } = await import('node:child_process');
    execFileSync('tar', ['-C', join(ctx, 'dir'), '-cf', join(ctx, 'f.tar'), 'inner']);
    const r = await both(['build', ctx]);
    assert.equal(r.berth.code, 0, r.berth.stderr);
    assert.deepEqual(normalize(r.berth.stdout), normalize(r.dockerd.stdout));
  });

  for (const name of ['fails', 'missing']) {
    test(`${name}: the same output, error and exit code`, async () => {
      const r = await both(['build', join(dir, name)]);
      assert.equal(r.berth.code, r.dockerd.code);
      assert.deepEqual(normalize(r.berth.stdout), normalize(r.dockerd.stdout));
      assert.deepEqual(normalize(r.berth.stderr), normalize(r.dockerd.stderr));
    });
  }
});
