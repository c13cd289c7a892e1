import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  DockerfileParseError, extractBuilderFlags, nodeFromLine, parseDockerfile, splitCommand, type Node,
} from '../../core/build/dockerfile/parser.ts';
import { goQuote, parseJSONArray, parseNameVal, parseWords } from '../../core/build/dockerfile/line-parsers.ts';
import { DirectiveParser, trimContinuation } from '../../core/build/dockerfile/directives.ts';
import { chompHeredocContent, heredocsFromLine, parseHeredoc } from '../../core/build/dockerfile/heredoc.ts';
import { BerthError } from '../../core/errors.ts';
import { corpus } from '../fixtures/dockerfiles/corpus.ts';

function parseFails(text: string, message: string) {
  assert.throws(() => parseDockerfile(text), (e: unknown) => {
    assert.ok(e instanceof DockerfileParseError, `expected a DockerfileParseError, got ${String(e)}`);
    assert.equal(e.code, 'invalid_argument');
    assert.equal(e.message, message);
    return true;
  });
}

describe('the Dockerfile corpus: parse results', () => {
  for (const c of corpus('valid')) {
    test(c.name, () => {
      assert.ok('parse' in c.expected, `${c.name}.json holds an error`);
      assert.deepEqual(JSON.parse(JSON.stringify(parseDockerfile(c.text))), c.expected.parse);
    });
  }
});

// BuildKit's Node.Dump(): `(run "echo hi")`, flags as Go prints a []string, ONBUILD's child nested.
function dump(node: Node): string {
  let s = node.value;
  if (node.flags.length) s += ` [${node.flags.map(goQuote).join(' ')}]`;
  for (const a of node.args) s += ` ${goQuote(a)}`;
  if (node.child) s += ` (${dump(node.child)})`;
  return s;
}

describe('BuildKit\'s parser testfiles: the AST as Node.Dump() prints it', () => {
  const dir = join(import.meta.dirname, '../fixtures/dockerfiles/buildkit');
  for (const name of readdirSync(dir).filter((f) => !f.includes('.'))) {
    test(name, () => {
      const r = parseDockerfile(readFileSync(join(dir, name, 'Dockerfile'), 'utf8'));
      const expected = readFileSync(join(dir, name, 'result'), 'utf8');
      assert.equal(r.nodes.map((n) => `(${dump(n)})\n`).join(''), expected);
    });
  }
  test('ONBUILD nests its trigger', () => {
    assert.equal(dump(nodeFromLine('ONBUILD RUN --network=none echo "hi"')), 'onbuild (run ["--network=none"] "echo \\"hi\\"")');
  });
});

describe('parser directives', () => {
  test('escape, syntax and check are read from the opening comment lines, keys case-insensitive', () => {
    const r = parseDockerfile('# syntax=docker/dockerfile:1\n#ESCAPE = `\n# check=skip=all\nFROM busybox\n');
    assert.equal(r.escapeToken, '`');
    assert.deepEqual(r.directives.map((d) => [d.name, d.value, d.line]), [
      ['syntax', 'docker/dockerfile:1', 1], ['escape', '`', 2], ['check', 'skip=all', 3],
    ]);
  });
  test('any other line ends them: an empty line, a plain comment, an unknown key, an instruction', () => {
    for (const before of ['\n', '# hello\n', '# key=value\n', 'FROM busybox\n']) {
      const r = parseDockerfile(`${before}# escape=\`\nFROM busybox\n`);
      assert.equal(r.escapeToken, '\\', JSON.stringify(before));
      assert.deepEqual(r.directives, []);
    }
  });
  test('a repeated directive and an escape that is neither \\ nor ` are errors on their line', () => {
    parseFails('# escape=\\\n# escape=`\nFROM x\n', 'dockerfile parse error on line 2: only one escape parser directive can be used');
    parseFails('# syntax=a\n# SYNTAX=b\nFROM x\n', 'dockerfile parse error on line 2: only one syntax parser directive can be used');
    parseFails('# escape=$\nFROM x\n', "dockerfile parse error on line 1: invalid escape token '$' does not match ` or \\");
  });
  test('DirectiveParser on its own (BuildKit directives_test)', () => {
    const d = new DirectiveParser();
    for (const line of ['#escape=\\', '# key = FOO bar', '', '# smth']) d.feed(line);
    assert.deepEqual(d.directives.map((x) => [x.name, x.value]), [['escape', '\\']]);
    assert.equal(d.get('escape'), '\\');
    assert.equal(d.get('syntax'), undefined);
  });
  test('with a backtick escape, \\ is an ordinary character and ` continues lines', () => {
    const r = parseDockerfile('# escape=`\nFROM x\nRUN dir c:\\ `\n  && echo ok\n');
    assert.equal(r.nodes[1]?.original, 'RUN dir c:\\   && echo ok');
    assert.deepEqual([r.nodes[1]?.startLine, r.nodes[1]?.endLine], [3, 4]);
  });
});

describe('lines, comments and continuations', () => {
  test('an escape token continues a line unless it is itself escaped', () => {
    assert.deepEqual(trimContinuation('RUN a \\', '\\'), { line: 'RUN a ', continues: true });
    assert.deepEqual(trimContinuation('RUN a \\  \t', '\\'), { line: 'RUN a ', continues: true });
    assert.deepEqual(trimContinuation('\\', '\\'), { line: '', continues: true });
    assert.deepEqual(trimContinuation('RUN a \\\\', '\\'), { line: 'RUN a \\\\', continues: false });
    assert.deepEqual(trimContinuation('RUN a `', '\\'), { line: 'RUN a `', continues: false });
    assert.deepEqual(trimContinuation('RUN a `', '`'), { line: 'RUN a ', continues: true });
  });
  test('comment and empty lines inside a continuation are dropped; empty ones give a warning, not an error', () => {
    const r = parseDockerfile('FROM x\nRUN a \\\n# c\n\n  b\n');
    assert.equal(r.nodes[1]?.original, 'RUN a   b');
    assert.deepEqual([r.nodes[1]?.startLine, r.nodes[1]?.endLine], [2, 5]);
    assert.equal(r.warnings.length, 1);
    assert.equal(r.warnings[0]?.message, 'Empty continuation line found in: RUN a   b');
    assert.equal(r.warnings[0]?.line, 5);
  });
  test('a continuation at the end of the file ends the instruction', () => {
    const r = parseDockerfile('FROM x\nRUN a \\');
    assert.equal(r.nodes[1]?.original, 'RUN a ');
    assert.deepEqual(r.nodes[1]?.args, ['a']);
  });
  test('the instruction name is case-insensitive and lower-cased; CRLF and a BOM are accepted', () => {
    const r = parseDockerfile('\ufefffrom x\r\nRuN  echo hi\r\n');
    assert.deepEqual(r.nodes.map((n) => [n.value, n.keyword, n.args]), [['from', 'from', ['x']], ['run', 'RuN', ['echo hi']]]);
  });
  test('comments above an instruction are kept; an empty comment resets them', () => {
    const r = parseDockerfile('# a\n#\n# b\n# c\nFROM x\nRUN y\n');
    assert.deepEqual(r.nodes[0]?.comments, ['b', 'c']);
    assert.deepEqual(r.nodes[1]?.comments, []);
  });
  test('a line over 64 KiB (with its newline) is refused, as Go\'s scanner does (BuildKit TestParseReturnsScannerErrors)', () => {
    parseFails(`FROM image\nLABEL test=${'a'.repeat(65536)}\n`, 'dockerfile parse error on line 1: dockerfile line greater than max allowed size of 65535');
    const fits = `LABEL t=${'a'.repeat(65536 - 'LABEL t=\n'.length)}\n`;
    assert.equal(parseDockerfile(`FROM image\n${fits}`).nodes.length, 2);
    parseFails(`FROM image\nLABEL t=${'é'.repeat(32764)}\n`, 'dockerfile parse error on line 1: dockerfile line greater than max allowed size of 65535');
  });
  test('a file without instructions is refused', () => {
    parseFails('', 'dockerfile parse error on line 0: file with no instructions');
    parseFails('# only\n\n', 'dockerfile parse error on line 2: file with no instructions');
  });
  test('the file name goes in front of the message; the error carries the lines', () => {
    assert.throws(() => parseDockerfile('FROM x\nRUN <<EOF\n', { file: 'Dockerfile.dev' }), (e: unknown) => {
      assert.ok(e instanceof DockerfileParseError);
      assert.equal(e.message, 'Dockerfile.dev: dockerfile parse error on line 2: unterminated heredoc');
      assert.equal(e.reason, 'unterminated heredoc');
      assert.deepEqual([e.file, e.startLine, e.endLine], ['Dockerfile.dev', 2, 2]);
      assert.ok(e instanceof BerthError);
      return true;
    });
  });
});

describe('instruction lines', () => {
  test('splitCommand: name, flags and the rest, blanks trimmed', () => {
    assert.deepEqual(splitCommand('  Copy  --from=a --chown=1:1  src dst  '), {
      keyword: 'Copy', flags: ['--from=a', '--chown=1:1'], rest: 'src dst',
    });
    assert.deepEqual(splitCommand('CMD'), { keyword: 'CMD', flags: [], rest: '' });
  });
  test('extractBuilderFlags: quotes and escapes removed, `--` ends the flags, a single dash does not start one', () => {
    assert.deepEqual(extractBuilderFlags('--a=1 --b="x y" --c=\'z\' rest'), { flags: ['--a=1', '--b=x y', '--c=z'], rest: 'rest' });
    assert.deepEqual(extractBuilderFlags('--a=x\\ y rest'), { flags: ['--a=x y'], rest: 'rest' });
    assert.deepEqual(extractBuilderFlags('--link -- --not-a-flag x'), { flags: ['--link'], rest: ' --not-a-flag x' });
    assert.deepEqual(extractBuilderFlags('-x --y'), { flags: [], rest: '-x --y' });
    assert.deepEqual(extractBuilderFlags('--only'), { flags: ['--only'], rest: '' });
    assert.deepEqual(extractBuilderFlags('--empty="" x'), { flags: ['--empty='], rest: 'x' });
  });
  test('parseWords (BuildKit TestParseWords): quotes and escapes stay in the words', () => {
    const cases: Array<[string, string[]]> = [
      ['foo', ['foo']], ['foo bar', ['foo', 'bar']], ['foo\\ bar', ['foo\\ bar']], ['foo=bar', ['foo=bar']],
      ["foo bar 'abc xyz'", ['foo', 'bar', "'abc xyz'"]], ['foo bar "abc xyz"', ['foo', 'bar', '"abc xyz"']],
      ['àöû', ['àöû']], ['föo bàr "âbc xÿz"', ['föo', 'bàr', '"âbc xÿz"']], ['a="" b', ['a=""', 'b']],
      ['"a\\"b" c', ['"a\\"b"', 'c']], ["'a\\' b", ["'a\\'", 'b']], ['x\\', ['x']],
    ];
    for (const [input, words] of cases) assert.deepEqual(parseWords(input, '\\'), words, input);
    assert.deepEqual(parseWords('a` b c', '`'), ['a` b', 'c']);
  });
  test('parseNameVal: the legacy form takes everything after the first blank as the value', () => {
    assert.deepEqual(parseNameVal('KEY   a b  c', 'ENV', '\\'), { args: ['KEY', 'a b  c'], json: false, legacyKeyValue: true });
    assert.deepEqual(parseNameVal('a=1 b="2 3"', 'LABEL', '\\'), { args: ['a', '1', 'b', '"2 3"'], json: false });
    assert.throws(() => parseNameVal('KEY', 'LABEL', '\\'), /^BerthError: LABEL must have two arguments$/);
  });
  test('JSON (exec) form: a JSON array of strings', () => {
    assert.deepEqual(parseJSONArray(' ["a", "b"]'), ['a', 'b']);
    assert.deepEqual(parseJSONArray('[]'), []);
    // BuildKit reads one JSON value and ignores what follows it.
    assert.deepEqual(parseJSONArray('["a"] b'), ['a']);
    assert.deepEqual(parseJSONArray('["a]", "\\"]"] x'), ['a]', '"]']);
    assert.equal(parseJSONArray('["a"'), undefined);
    assert.equal(parseJSONArray("['a']"), undefined);
    assert.equal(parseJSONArray('a'), undefined);
    assert.throws(() => parseJSONArray('["a", null]'), /arrays must be comprised of strings only/);
  });
  test('ONBUILD keeps its trigger as a child node; a JSON RUN has no heredocs', () => {
    const onbuild = nodeFromLine('ONBUILD RUN --network=none echo hi');
    assert.equal(onbuild.child?.value, 'run');
    assert.deepEqual(onbuild.child?.flags, ['--network=none']);
    const r = parseDockerfile('FROM x\nRUN ["<<EOF"]\nRUN ["whoami"]\n');
    assert.deepEqual(r.nodes.map((n) => n.heredocs.length), [0, 0, 0]);
  });
  test('an unknown instruction parses (instructions.ts refuses it) and keeps no arguments', () => {
    const r = parseDockerfile('FROM x\nFORM y\n');
    assert.deepEqual([r.nodes[1]?.value, r.nodes[1]?.args], ['form', []]);
  });
});

describe('here-documents (BuildKit parser_heredoc_test)', () => {
  test('valid, invalid and non-heredoc words', () => {
    for (const w of ['<<EOF', "<<'EOF'", '<<"EOF"', '<<-EOF', "<<-'EOF'", '<<-"EOF"', '<<EO"F"', '<< EOF', '<<- EOF']) {
      assert.equal(parseHeredoc(w)?.name, 'EOF', w);
    }
    for (const w of ["<<'EOF", '<<"EOF', "<<EOF'", '<<EOF"']) assert.throws(() => parseHeredoc(w), BerthError, w);
    for (const w of ['', 'EOF', '<<', '<<-', '<EOF', '<<<EOF', '<<EOF sh']) assert.equal(parseHeredoc(w), undefined, w);
  });
  test('quoting any part of the terminator turns expansion off; escapes do not', () => {
    assert.deepEqual(parseHeredoc("<<eo'f'"), { name: 'eof', fileDescriptor: 0, expand: false, chomp: false, content: '' });
    assert.equal(parseHeredoc("<<eo\\'f")?.expand, true);
    assert.equal(parseHeredoc("<<eo\\'f")?.name, "eo'f");
    assert.equal(parseHeredoc("<<'e'o\\'f")?.expand, false);
    assert.equal(parseHeredoc('<<$EOF')?.name, '$EOF');
    assert.equal(parseHeredoc('3<<-X')?.fileDescriptor, 3);
    assert.equal(parseHeredoc('3<<-X')?.chomp, true);
  });
  test('heredocsFromLine', () => {
    const cases: Array<[string, string[]]> = [
      ['RUN <<EOF', ['EOF']], ['RUN <<-EOF', ['EOF']], ['RUN <<- EOF', ['EOF']], ['RUN << -EOF', ['-EOF']],
      ["RUN <<'EOF'", ['EOF']], ['RUN 4<<EOF', ['EOF']], ['RUN <<EOF <<EOF2', ['EOF', 'EOF2']], ["RUN '<<EOF'", []],
      ['RUN "<<EOF"', []], ["RUN <<'EOF", []],
    ];
    for (const [line, names] of cases) assert.deepEqual(heredocsFromLine(line).map((h) => h.name), names, line);
  });
  test('bodies are read in order after the line; <<- strips tabs from the terminator line', () => {
    const r = parseDockerfile('FROM x\nCOPY <<A <<-B /d\none\nA\n\ttwo\n\tB\nRUN true\n');
    assert.deepEqual(r.nodes[1]?.heredocs.map((h) => [h.name, h.content]), [['A', 'one\n'], ['B', '\ttwo\n']]);
    assert.deepEqual([r.nodes[1]?.startLine, r.nodes[1]?.endLine, r.nodes[2]?.startLine], [2, 6, 7]);
    assert.equal(chompHeredocContent('\thello\n\t\tworld\n'), 'hello\nworld\n');
  });
  test('a heredoc on a continued line, and inside ONBUILD', () => {
    const r = parseDockerfile('FROM x\nRUN --network=none \\\n  <<EOF bash\necho hi\nEOF\nONBUILD RUN <<X\nbody\nX\n');
    assert.deepEqual(r.nodes[1]?.heredocs.map((h) => h.content), ['echo hi\n']);
    assert.deepEqual(r.nodes[2]?.heredocs.map((h) => h.content), ['body\n']);
    assert.deepEqual([r.nodes[2]?.startLine, r.nodes[2]?.endLine], [6, 8]);
  });
  test('an unterminated heredoc names the instruction line', () => {
    parseFails('FROM x\nRUN <<EOF\necho\n', 'dockerfile parse error on line 2: unterminated heredoc');
  });
});
