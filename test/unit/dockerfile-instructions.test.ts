import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { DockerfileParseError, nodeFromLine, parseDockerfile } from '../../core/build/dockerfile/parser.ts';
import {
  parseInstruction, parseInstructions, type CopyInstruction, type Instruction, type RunInstruction, type Stage,
} from '../../core/build/dockerfile/instructions.ts';
import { parseRunMount } from '../../core/build/dockerfile/run-mount.ts';
import { InstructionFlags } from '../../core/build/dockerfile/flags.ts';
import { suggest } from '../../core/build/dockerfile/suggest.ts';
import { BerthError } from '../../core/errors.ts';
import { corpus } from '../fixtures/dockerfiles/corpus.ts';

function build(text: string) {
  return parseInstructions(parseDockerfile(text));
}

function commands(text: string): Instruction[] {
  return build(text).stages.flatMap((s) => s.commands);
}

function invalid(fn: () => unknown, message: string) {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof BerthError, `expected a BerthError, got ${String(e)}`);
    assert.equal(e.code, 'invalid_argument');
    assert.equal(e.message, message);
    return true;
  });
}

describe('the Dockerfile corpus: instructions and stages', () => {
  for (const c of corpus('valid')) {
    test(c.name, () => {
      assert.ok('instructions' in c.expected, `${c.name}.json holds an error`);
      assert.deepEqual(JSON.parse(JSON.stringify(build(c.text))), c.expected.instructions);
    });
  }
});

describe('the Dockerfile corpus: what BuildKit refuses, with its words', () => {
  for (const c of corpus('errors')) {
    test(c.name, () => {
      assert.ok('error' in c.expected, `${c.name}.json holds no error`);
      assert.throws(() => build(c.text), (e: unknown) => {
        assert.ok(e instanceof DockerfileParseError, `expected a DockerfileParseError, got ${String(e)}`);
        assert.equal(e.message, (c.expected as { error: string }).error);
        return true;
      });
    });
  }
});

describe('stages', () => {
  test('ARGs before the first FROM are meta args; stage names are lower-cased; FROM keeps its location', () => {
    const df = build('ARG A=1\nARG B\nFROM x AS One\nARG A\nFROM one\n');
    assert.deepEqual(df.metaArgs.map((a) => a.args), [[{ key: 'A', value: '1' }], [{ key: 'B' }]]);
    assert.deepEqual(df.stages.map((s: Stage) => [s.name, s.baseName, s.location.startLine, s.commands.length]), [
      ['one', 'x', 3, 1], ['', 'one', 5, 0],
    ]);
  });
  test('stage names: a letter first, then letters, digits, -, _ and .', () => {
    assert.equal(build('FROM x AS a-b_c.1\n').stages[0]?.name, 'a-b_c.1');
    for (const bad of ['1a', '-a', 'a/b', 'a:b']) {
      assert.throws(() => build(`FROM x AS ${bad}\n`), /invalid name for build stage/, bad);
    }
    invalid(() => build('FROM x y\n'), 'dockerfile parse error on line 1: FROM requires either one or three arguments');
  });
  test('a stage name used twice parses (the builder decides: BuildKit lints it, dockerd refuses it)', () => {
    assert.deepEqual(build('FROM x AS a\nFROM y AS A\n').stages.map((s) => s.name), ['a', 'a']);
  });
  test('errors carry the instruction lines and the file', () => {
    assert.throws(() => parseInstructions(parseDockerfile('FROM x\nRUN --nope \\\n  true\n'), 'Dockerfile.ci'), (e: unknown) => {
      assert.ok(e instanceof DockerfileParseError);
      assert.equal(e.message, 'Dockerfile.ci: dockerfile parse error on line 2: unknown flag: nope');
      assert.deepEqual([e.startLine, e.endLine], [2, 3]);
      return true;
    });
  });
});

describe('BuildKit instructions/parse_test', () => {
  const first = (text: string) => parseInstruction(parseDockerfile(text).nodes[0] as Parameters<typeof parseInstruction>[0]);
  test('instructions that take exactly one, at least one, or a source and a destination', () => {
    for (const c of ['MAINTAINER', 'WORKDIR', 'USER', 'STOPSIGNAL']) invalid(() => first(c), `${c} requires exactly one argument`);
    for (const c of ['ENV', 'LABEL', 'ONBUILD', 'HEALTHCHECK', 'EXPOSE', 'VOLUME']) {
      invalid(() => first(c), `${c} requires at least one argument`);
    }
    for (const c of ['ADD', 'COPY']) {
      invalid(() => first(`${c} arg1`),
        `${c} requires at least two arguments, but only one was provided. Destination could not be determined`);
    }
  });
  test('HEALTHCHECK CMD in shell form is CMD-SHELL with the words joined', () => {
    const hc = first('HEALTHCHECK CMD hello world') as Instruction;
    assert.ok(hc.kind === 'healthcheck');
    assert.deepEqual(hc.health.test, ['CMD-SHELL', 'hello world']);
  });
  test('COPY on a line of its own, then a continued unknown instruction', () => {
    invalid(() => first('COPY\t\n\t\tquux \\\n      bar'),
      'COPY requires at least two arguments, but only one was provided. Destination could not be determined');
    invalid(() => first('MAINTAINER --boo joe@example.com'), 'unknown flag: boo');
    invalid(() => first('foo bar'), 'unknown instruction: foo (did you mean from?)');
  });
});

describe('instructions', () => {
  test('an unknown instruction gets a suggestion when it is a near miss', () => {
    invalid(() => parseInstruction(nodeFromLine('FORM x')), 'unknown instruction: FORM (did you mean FROM?)');
    invalid(() => parseInstruction(nodeFromLine('cpy a b')), 'unknown instruction: cpy (did you mean copy?)');
    invalid(() => parseInstruction(nodeFromLine('Workdirr /a')), 'unknown instruction: Workdirr (did you mean workdir?)');
    invalid(() => parseInstruction(nodeFromLine('XYZZY a')), 'unknown instruction: XYZZY');
    assert.equal(suggest('taget', ['target', 'type'], true), 'target');
    assert.equal(suggest('tagret', ['target'], true), 'target');
    assert.equal(suggest('zzzzzz', ['target'], true), undefined);
    // A known word means the mistake is elsewhere: no suggestion.
    assert.equal(suggest('type', ['typo', 'type'], true), undefined);
  });
  test('RUN: shell form is one string the SHELL runs, exec form the words; heredoc files', () => {
    const [shell, exec, heredoc] = commands('FROM x\nRUN echo a  b\nRUN ["echo", "a"]\nRUN <<-EOF\n\techo hi\n\tEOF\n') as RunInstruction[];
    assert.deepEqual([shell?.cmdLine, shell?.prependShell], [['echo a  b'], true]);
    assert.deepEqual([exec?.cmdLine, exec?.prependShell], [['echo', 'a'], false]);
    assert.deepEqual(heredoc?.files, [{ name: 'EOF', data: 'echo hi\n', expand: true, chomp: true, fileDescriptor: 0 }]);
  });
  test('RUN --mount keeps the raw specs for the builder to expand; several mounts; network and security', () => {
    const [run] = commands('FROM x\nRUN --mount=type=cache,target=$DIR --mount=type=tmpfs,dst=/t --network=none --security=insecure true\n') as RunInstruction[];
    assert.deepEqual(run?.mountSpecs, ['type=cache,target=$DIR', 'type=tmpfs,dst=/t']);
    assert.deepEqual([run?.network, run?.security], ['none', 'insecure']);
  });
  test('RUN --mount: only the CSV and a variable in from= are checked at parse time, as BuildKit', () => {
    assert.doesNotThrow(() => commands('FROM x\nRUN --mount=type=nonsense,size=big true\n'));
    invalid(() => commands('FROM x\nRUN --mount=from=${S} true\n'),
      "dockerfile parse error on line 2: 'from' doesn't support variable expansion, define alias stage instead");
  });
  test('COPY: sources and destination, heredoc sources, bool and repeated flags', () => {
    const [copy] = commands('FROM x\nCOPY --link --exclude=a --exclude=b x <<EOF y /d/\nhello\nEOF\n') as CopyInstruction[];
    assert.deepEqual([copy?.sources, copy?.dest, copy?.link, copy?.excludes], [['x', 'y'], '/d/', true, ['a', 'b']]);
    assert.deepEqual(copy?.sourceContents.map((f) => [f.name, f.data]), [['EOF', 'hello\n']]);
  });
  test('HEALTHCHECK NONE ignores flags as BuildKit does; CMD takes Go durations', () => {
    const [none, cmd] = commands('FROM x\nHEALTHCHECK --interval=1s NONE\nHEALTHCHECK --timeout=1.5s --retries=2 CMD ["true"]\n');
    assert.deepEqual(none?.kind === 'healthcheck' && none.health.test, ['NONE']);
    assert.ok(cmd?.kind === 'healthcheck');
    assert.deepEqual([cmd.health.test, cmd.health.timeout, cmd.health.retries], [['CMD', 'true'], 1.5e9, 2]);
    invalid(() => commands('FROM x\nHEALTHCHECK --interval=1x CMD true\n'),
      'dockerfile parse error on line 2: time: unknown unit "x" in duration "1x"');
  });
  test('ONBUILD keeps the trigger as text, with its flags and heredocs', () => {
    const [onbuild] = commands('FROM x\nONBUILD COPY --from=a <<F /f\nbody\nF\n');
    assert.ok(onbuild?.kind === 'onbuild');
    assert.equal(onbuild.expression, 'COPY --from=a <<F /f\nbody\nF');
  });
  test('ENV and LABEL keep quotes for the expansion to remove; ARG takes several names', () => {
    const [env, label, arg] = commands('FROM x\nENV A="1 2" B=3\nLABEL k v w\nARG X Y=1 Z=\n');
    assert.deepEqual(env?.kind === 'env' && env.env, [{ key: 'A', value: '"1 2"' }, { key: 'B', value: '3' }]);
    assert.deepEqual(label?.kind === 'label' && label.labels, [{ key: 'k', value: 'v w' }]);
    assert.deepEqual(arg?.kind === 'arg' && arg.args, [{ key: 'X' }, { key: 'Y', value: '1' }, { key: 'Z', value: '' }]);
  });
  test('ARG --required, ADD --unpack only when given, STOPSIGNAL flags ignored as BuildKit does', () => {
    const [arg, add, plain, stop] = commands('FROM x\nARG --required A\nADD --unpack=false a.tgz /\nADD a.tgz /\nSTOPSIGNAL --x=y 9\n');
    assert.ok(arg?.kind === 'arg' && arg.required);
    assert.ok(add?.kind === 'add' && add.unpack === false);
    assert.ok(plain?.kind === 'add' && !('unpack' in plain));
    assert.ok(stop?.kind === 'stopsignal' && stop.signal === '9');
  });
  test('every instruction keeps its source lines and original text', () => {
    const cmds = commands('FROM x\nWORKDIR /a\nUSER u \\\n  :g\n');
    assert.deepEqual(cmds.map((c) => [c.kind, c.location.startLine, c.location.endLine, c.original]), [
      ['workdir', 2, 2, 'WORKDIR /a'], ['user', 3, 4, 'USER u   :g'],
    ]);
  });
});

describe('RUN --mount (BuildKit commands_runmount)', () => {
  const asWritten = (w: string) => w;
  test('what the builder refuses, with BuildKit\'s texts', () => {
    const cases: Array<[string, string]> = [
      ['type=cache,taget=/x', "unexpected key 'taget' in 'taget=/x' (did you mean target?)"],
      ['type=cache,target=/x,sharing=everyone', 'unsupported sharing value "everyone"'],
      ['type=cahce,target=/x', 'unsupported mount type "cahce" (did you mean cache?)'],
      ['type=cache,target=/x,uid=abc', 'invalid value abc for uid'],
      ['type=cache,target=/x,gid=-1', 'invalid value -1 for gid'],
      ['target=/x,mode=0700', 'mode not allowed for "bind" type mounts'],
      ['type=tmpfs,target=/x,uid=0', 'uid not allowed for "tmpfs" type mounts'],
      ['type=bind,target', "invalid field 'target' must be a key=value pair"],
      ['type=bind,target=/x,required', "unexpected key 'required' for mount type 'bind'"],
      ['type=secret', 'invalid secret mount. one of source, target required'],
      ['type=secret,id=a,from=b', 'secret mount should not have a from'],
      // BuildKit checks sharing before the secret rules, so its 'should not define sharing' never shows.
      ['type=secret,id=a,sharing=locked', 'invalid cache sharing set for secret mount'],
      ['type=bind,target=/x,sharing=locked', 'invalid cache sharing set for bind mount'],
      ['type=bind,target=/x,size=1m', "unexpected key 'size' for mount type 'bind'"],
    ];
    for (const [spec, message] of cases) invalid(() => parseRunMount(spec, asWritten), message);
  });
  test('defaults: bind, read-only; cache and tmpfs read-write; sharing unset', () => {
    assert.deepEqual(parseRunMount('target=/x', asWritten), {
      type: 'bind', from: '', source: '', target: '/x', readOnly: true, sizeLimit: 0, cacheId: '', cacheSharing: '',
      required: false,
    });
    assert.equal(parseRunMount('type=cache,target=/x', asWritten).readOnly, false);
    assert.equal(parseRunMount('type=cache,target=/x', asWritten).cacheSharing, '');
    assert.equal(parseRunMount('type=cache,target=/x,sharing=LOCKED', asWritten).cacheSharing, 'locked');
    assert.equal(parseRunMount('type=tmpfs,target=/x', asWritten).readOnly, false);
    assert.equal(parseRunMount('type=secret,id=a', asWritten).readOnly, true);
  });
  test('keys are case-insensitive, aliases, booleans as Go reads them, quoted CSV fields', () => {
    const m = parseRunMount('TYPE=bind,Src=a,Destination=/b,readonly=false', asWritten);
    assert.deepEqual([m.type, m.source, m.target, m.readOnly], ['bind', 'a', '/b', false]);
    assert.equal(parseRunMount('target=/x,rw=0', asWritten).readOnly, true);
    assert.equal(parseRunMount('target=/x,ro', asWritten).readOnly, true);
    assert.equal(parseRunMount('"target=/a,b"', asWritten).target, '/a,b');
    invalid(() => parseRunMount('target=/x,ro=maybe', asWritten), 'invalid value for ro: maybe');
    invalid(() => parseRunMount('target=/x"', asWritten), 'failed to parse csv mounts: bare " in non-quoted-field');
  });
  test('tmpfs size in RAM units, cache file modes in octal', () => {
    assert.equal(parseRunMount('type=tmpfs,target=/t,size=1g', asWritten).sizeLimit, 1024 ** 3);
    assert.equal(parseRunMount('type=tmpfs,target=/t,size=512', asWritten).sizeLimit, 512);
    assert.equal(parseRunMount('type=cache,target=/c,mode=0700', asWritten).mode, 0o700);
    invalid(() => parseRunMount('type=tmpfs,target=/t,size=lots', asWritten), 'invalid value for size: lots');
    invalid(() => parseRunMount('type=cache,target=/c,mode=9', asWritten), 'invalid value 9 for mode');
  });
  test('values go through the expander the builder passes', () => {
    const m = parseRunMount('type=cache,target=$D,id=${ID}', (w) => w.replace('$D', '/d').replace('${ID}', 'i'));
    assert.deepEqual([m.target, m.cacheId], ['/d', 'i']);
  });
  test('secret mounts', () => {
    invalid(() => parseRunMount('type=secret,src=a,id=b', asWritten), "both source and id can't be set");
    assert.equal(parseRunMount('type=secret,id=a,required=true', asWritten).required, true);
  });
});

describe('flags (BuildKit BFlags)', () => {
  test('declared flags only, values checked, first error wins, `--` stops', () => {
    const f = new InstructionFlags(['--b', '--s=x', '--m=1', '--m=2', '--', '--ignored']);
    const b = f.addBool('b');
    const s = f.addString('s', 'def');
    const m = f.addStrings('m');
    f.parse();
    assert.deepEqual([b(), s(), m(), f.isUsed('s')], [true, 'x', ['1', '2'], true]);
    const g = new InstructionFlags([]);
    const d = g.addString('s', 'def');
    g.parse();
    assert.equal(d(), 'def');
    const bad = new InstructionFlags(['x']);
    invalid(() => bad.parse(), 'arg should start with -- : x');
    const missing = new InstructionFlags(['--b=']);
    missing.addBool('b');
    invalid(() => missing.parse(), 'missing a value on flag: b');
    const typo = new InstructionFlags(['--platfrom=x']);
    typo.addString('platform');
    invalid(() => typo.parse(), 'unknown flag: platfrom (did you mean platform?)');
  });
});
