// StageConfig and BuildArgs against what dockerd's legacy builder wrote for the same Dockerfiles
// (test/fixtures/build-stage-config: cases.ts, expected.json recorded by record.ts from a real dockerd).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { BuildArgs, declareMetaArgs } from '../../core/build/build-args.ts';
import { StageConfig, buildTriggersMessage, DEFAULT_PATH, type ConfigStep } from '../../core/build/stage-config.ts';
import { parseDockerfile } from '../../core/build/dockerfile/parser.ts';
import { parseInstructions, type Instruction } from '../../core/build/dockerfile/instructions.ts';
import { goDuration, goQuoteRune } from '../../core/build/history-text.ts';
import type { ContainerConfig, HistoryEntry } from '../../core/image/types.ts';
import { CASES } from '../fixtures/build-stage-config/cases.ts';

interface Recorded { config: ContainerConfig; author?: string; history: HistoryEntry[]; output: string[] }
const expected = JSON.parse(readFileSync(new URL('../fixtures/build-stage-config/expected.json', import.meta.url), 'utf8')) as Record<string, Recorded>;

const FIELDS = ['User', 'ExposedPorts', 'Env', 'Cmd', 'Healthcheck', 'Volumes', 'WorkingDir', 'Entrypoint', 'OnBuild', 'Labels', 'StopSignal', 'Shell'] as const;

/** The fields a Dockerfile sets, with Go's empty values (null, '', missing) made one. */
function configFields(c: ContainerConfig): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of FIELDS) {
    const v = c[f];
    if (v !== undefined && v !== null && v !== '') out[f] = v;
  }
  return out;
}

/** Replays a case's Dockerfile the way the legacy builder dispatches it; RUN steps are assumed to change no file. */
function replay(dockerfile: string, buildArgs: Record<string, string | null>, bases: Record<string, ContainerConfig>) {
  const parsed = parseDockerfile(dockerfile);
  const { metaArgs, stages } = parseInstructions(parsed);
  const args = new BuildArgs(buildArgs);
  declareMetaArgs(metaArgs, args, parsed.escapeToken);
  const output: string[] = [];
  let last: { stage: StageConfig; history: HistoryEntry[] } | undefined;
  for (const s of stages) {
    const baseName = s.baseName.replace('$BASE', args.allMeta().get('BASE') ?? '');
    const stage = new StageConfig(bases[baseName], { buildArgs: args, escapeToken: parsed.escapeToken });
    const history: HistoryEntry[] = [];
    const triggers = stage.takeOnBuildTriggers();
    if (triggers.length) output.push(buildTriggersMessage(triggers.length));
    for (const instruction of [...triggers, ...s.commands] as Instruction[]) {
      if (instruction.kind === 'run') {
        history.push({ ...stage.runStep(instruction).history, empty_layer: true });
        continue;
      }
      const step: ConfigStep = stage.apply(instruction);
      if (step.note) output.push(step.note);
      history.push(step.history);
    }
    args.mergeReferenced(stage.buildArgs);
    last = { stage, history };
  }
  const warning = args.unusedWarning();
  if (warning) output.push(warning);
  return { ...last!, output: output.map((l) => l.replace(/\n$/, '')) };
}

const bases: Record<string, ContainerConfig> = {
  base: expected.base!.config,
  'with-triggers': expected.config!.config,
};

for (const c of CASES) {
  test(`stage config: ${c.name} as dockerd's legacy builder writes it`, () => {
    const want = expected[c.name]!;
    const got = replay(c.dockerfile, c.buildArgs ?? {}, bases);
    assert.deepEqual(configFields(got.stage.config), configFields(want.config));
    // The base image's own history comes first in the image; the stage adds the rest.
    const baseHistory = c.name === 'onbuild-child' ? expected.config!.history.length : expected.base!.history.length;
    assert.deepEqual(got.history, want.history.slice(baseHistory));
    assert.equal(got.stage.maintainer || undefined, want.author);
    assert.deepEqual(got.output, want.output);
  });
}

test('WORKDIR: relative to the previous one, cleaned, and the directory is the builder\'s to make', () => {
  const s = new StageConfig({ WorkingDir: '/srv' });
  const at = (line: string) => parseInstructions(parseDockerfile(`FROM x\n${line}`)).stages[0]!.commands[0]!;
  assert.equal(s.apply(at('WORKDIR a/./b/../c/')).makeDirectory, '/srv/a/c');
  assert.equal(s.apply(at('WORKDIR /x/../y//')).makeDirectory, '/y');
  assert.equal(s.config.WorkingDir, '/y');
  assert.deepEqual(s.apply(at('WORKDIR z')).cmd, ['/bin/sh', '-c', '#(nop) WORKDIR /y/z']);
});

test('scratch: the default PATH is added; RUN sees ENV over ARG and its created_by lists the args', () => {
  const s = new StageConfig(undefined, { buildArgs: new BuildArgs({ A: 'cli', http_proxy: 'p' }) });
  assert.deepEqual(s.config.Env, [`PATH=${DEFAULT_PATH}`]);
  const lines = parseInstructions(parseDockerfile('FROM scratch\nARG A B=b\nENV B=env\nRUN echo $A')).stages[0]!.commands;
  s.apply(lines[0]!);
  s.apply(lines[1]!);
  const run = s.runStep(lines[2] as Extract<Instruction, { kind: 'run' }>);
  assert.deepEqual(run.cmd, ['/bin/sh', '-c', 'echo $A']);
  assert.deepEqual(run.env, [`PATH=${DEFAULT_PATH}`, 'B=env', 'A=cli', 'http_proxy=p']);
  assert.equal(run.history.created_by, '|1 A=cli /bin/sh -c echo $A');
  assert.equal(s.expand('$A-$B-$http_proxy'), 'cli-env-p');
});

test('bad values fail with the file, the line and dockerd\'s text', () => {
  const s = new StageConfig({}, { file: 'Dockerfile.dev' });
  const cmds = parseInstructions(parseDockerfile('FROM x\nSTOPSIGNAL SIGNOPE\nEXPOSE 80/xtp\nEXPOSE 99999\nVOLUME $NONE')).stages[0]!.commands;
  assert.throws(() => s.apply(cmds[0]!), { message: 'Dockerfile.dev:2: Invalid signal: SIGNOPE' });
  assert.throws(() => s.apply(cmds[1]!), { message: 'Dockerfile.dev:3: invalid proto: xtp' });
  assert.throws(() => s.apply(cmds[2]!), { message: 'Dockerfile.dev:4: invalid containerPort: 99999' });
  assert.throws(() => s.apply(cmds[3]!), { message: 'Dockerfile.dev:5: VOLUME specified can not be an empty string' });
});

test('Go formatting of durations and retry counts in HEALTHCHECK history', () => {
  assert.equal(goDuration(90e9), '1m30s');
  assert.equal(goDuration(3600e9 + 1.5e9), '1h0m1.5s');
  assert.equal(goDuration(1.5e6), '1.5ms');
  assert.equal(goDuration(2500), '2.5µs');
  assert.equal(goQuoteRune(3), "'\\x03'");
  assert.equal(goQuoteRune(65), "'A'");
});
