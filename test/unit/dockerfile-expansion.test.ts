import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { ShellLex, buildEnvs, reversePattern } from '../../core/build/dockerfile/shell-lex.ts';
import {
  expandWord, expandWords, expandWordWithMatches, expandArguments, expandsInstruction, expandsFlag, wordExpander,
  expandKeyValue, checkCopyFrom, checkMountFrom, expandHeredoc,
} from '../../core/build/dockerfile/expansion.ts';
import { BerthError } from '../../core/errors.ts';

function fails(fn: () => unknown, message: string | RegExp) {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof BerthError, `expected a BerthError, got ${String(e)}`);
    assert.equal(e.code, 'invalid_argument');
    if (typeof message === 'string') assert.equal(e.message, message);
    else assert.match(e.message, message);
    return true;
  });
}

// BuildKit's frontend/dockerfile/shell/envVarTest (Unix and all-platform lines), plus the unset/empty,
// pattern and replacement forms it lacks. [source, expected | 'error'].
const ENV_VAR_TEST: Array<[string, string]> = [
  ["hello", "hello"],
  ["he'll'o", "hello"],
  ["he'llo", "error"],
  ["he\\'llo", "he'llo"],
  ["he\\\\'llo", "error"],
  ["abc\\tdef", "abctdef"],
  ["\"abc\\tdef\"", "abc\\tdef"],
  ["\"abc\\\\tdef\"", "abc\\tdef"],
  ["'abc\\tdef'", "abc\\tdef"],
  ["hello\\", "hello"],
  ["hello\\\\", "hello\\"],
  ["\"hello", "error"],
  ["\"hello\\\"", "error"],
  ["\"hel'lo\"", "hel'lo"],
  ["'hello", "error"],
  ["'hello\\'", "hello\\"],
  ["'hello\\there'", "hello\\there"],
  ["'hello\\\\there'", "hello\\\\there"],
  ["\"''\"", "''"],
  ["$.", "$."],
  ["he$1x", "hex"],
  ["he$.x", "he$.x"],
  ["he$pwd.", "he."],
  ["he$PWD", "he/home"],
  ["he\\$PWD", "he$PWD"],
  ["he\\\\$PWD", "he\\/home"],
  ["\"he\\$PWD\"", "he$PWD"],
  ["\"he\\\\$PWD\"", "he\\/home"],
  ["\\${}", "${}"],
  ["\\${}aaa", "${}aaa"],
  ["he\\${}", "he${}"],
  ["he\\${}xx", "he${}xx"],
  ["${}", "error"],
  ["${}aaa", "error"],
  ["he${}", "error"],
  ["he${}xx", "error"],
  ["he${hi}", "he"],
  ["he${hi}xx", "hexx"],
  ["he${PWD}", "he/home"],
  ["he${.}", "error"],
  ["he${XXX:-000}xx", "he000xx"],
  ["he${PWD:-000}xx", "he/homexx"],
  ["he${XXX:-$PWD}xx", "he/homexx"],
  ["he${XXX:-${PWD:-yyy}}xx", "he/homexx"],
  ["he${XXX:-${YYY:-yyy}}xx", "heyyyxx"],
  ["he${XXX:YYY}", "error"],
  ["he${XXX:+${PWD}}xx", "hexx"],
  ["he${PWD:+${XXX}}xx", "hexx"],
  ["he${PWD:+${SHELL}}xx", "hebashxx"],
  ["he${XXX:+000}xx", "hexx"],
  ["he${PWD:+000}xx", "he000xx"],
  ["'he${XX}'", "he${XX}"],
  ["\"he${PWD}\"", "he/home"],
  ["\"he'$PWD'\"", "he'/home'"],
  ["\"$PWD\"", "/home"],
  ["'$PWD'", "$PWD"],
  ["'\\$PWD'", "\\$PWD"],
  ["'\"hello\"'", "\"hello\""],
  ["he\\$PWD", "he$PWD"],
  ["\"he\\$PWD\"", "he$PWD"],
  ["'he\\$PWD'", "he\\$PWD"],
  ["he${PWD", "error"],
  ["he${PWD:=000}xx", "error"],
  ["he${PWD:+${PWD}:}xx", "he/home:xx"],
  ["he${XXX:-\\$PWD:}xx", "he$PWD:xx"],
  ["he${XXX:-\\${PWD}z}xx", "he${PWDz}xx"],
  ["안녕하세요", "안녕하세요"],
  ["안'녕'하세요", "안녕하세요"],
  ["안'녕하세요", "error"],
  ["안녕\\'하세요", "안녕'하세요"],
  ["안\\\\'녕하세요", "error"],
  ["안녕\\t하세요", "안녕t하세요"],
  ["\"안녕\\t하세요\"", "안녕\\t하세요"],
  ["'안녕\\t하세요", "error"],
  ["안녕하세요\\", "안녕하세요"],
  ["안녕하세요\\\\", "안녕하세요\\"],
  ["\"안녕하세요", "error"],
  ["\"안녕하세요\\\"", "error"],
  ["\"안녕'하세요\"", "안녕'하세요"],
  ["'안녕하세요", "error"],
  ["'안녕하세요\\'", "안녕하세요\\"],
  ["안녕$1x", "안녕x"],
  ["안녕$.x", "안녕$.x"],
  ["안녕$pwd.", "안녕."],
  ["안녕$PWD", "안녕/home"],
  ["안녕\\$PWD", "안녕$PWD"],
  ["안녕\\\\$PWD", "안녕\\/home"],
  ["안녕\\${}", "안녕${}"],
  ["안녕\\${}xx", "안녕${}xx"],
  ["안녕${}", "error"],
  ["안녕${}xx", "error"],
  ["안녕${hi}", "안녕"],
  ["안녕${hi}xx", "안녕xx"],
  ["안녕${PWD}", "안녕/home"],
  ["안녕${.}", "error"],
  ["안녕${XXX:-000}xx", "안녕000xx"],
  ["안녕${PWD:-000}xx", "안녕/homexx"],
  ["안녕${XXX:-$PWD}xx", "안녕/homexx"],
  ["안녕${XXX:-${PWD:-yyy}}xx", "안녕/homexx"],
  ["안녕${XXX:-${YYY:-yyy}}xx", "안녕yyyxx"],
  ["안녕${XXX:YYY}", "error"],
  ["안녕${XXX:+${PWD}}xx", "안녕xx"],
  ["안녕${PWD:+${XXX}}xx", "안녕xx"],
  ["안녕${PWD:+${SHELL}}xx", "안녕bashxx"],
  ["안녕${XXX:+000}xx", "안녕xx"],
  ["안녕${PWD:+000}xx", "안녕000xx"],
  ["'안녕${XX}'", "안녕${XX}"],
  ["\"안녕${PWD}\"", "안녕/home"],
  ["\"안녕'$PWD'\"", "안녕'/home'"],
  ["'\"안녕\"'", "\"안녕\""],
  ["안녕\\$PWD", "안녕$PWD"],
  ["\"안녕\\$PWD\"", "안녕$PWD"],
  ["'안녕\\$PWD'", "안녕\\$PWD"],
  ["안녕${PWD", "error"],
  ["안녕${PWD:=000}xx", "error"],
  ["안녕${PWD:+${PWD}:}xx", "안녕/home:xx"],
  ["안녕${XXX:-\\$PWD:}xx", "안녕$PWD:xx"],
  ["안녕${XXX:-\\${PWD}z}xx", "안녕${PWDz}xx"],
  ["$KOREAN", "한국어"],
  ["안녕$KOREAN", "안녕한국어"],
  ["${{aaa}", "error"],
  ["${aaa}}", "}"],
  ["${aaa", "error"],
  ["${{aaa:-bbb}", "error"],
  ["${aaa:-bbb}}", "bbb}"],
  ["${aaa:-bbb", "error"],
  ["${aaa:-bbb}", "bbb"],
  ["${aaa:-${bbb:-ccc}}", "ccc"],
  ["${aaa:-bbb ${foo}", "error"],
  ["${aaa:-bbb {foo}", "bbb {foo"],
  ["${:}", "error"],
  ["${:-bbb}", "error"],
  ["${:+bbb}", "error"],
  ["${NULL:-nul}", "nul"],
  ["${NULL-nul}", ""],
  ["${NULL:+set}", ""],
  ["${NULL+set}", "set"],
  ["${XXX-def}", "def"],
  ["${XXX+set}", ""],
  ["${PWD-def}", "/home"],
  ["${PWD+set}", "set"],
  ["${NULL?}", ""],
  ["${NULL:?}", "error"],
  ["${XXX?}", "error"],
  ["${XXX:?}", "error"],
  ["${PWD:?}", "/home"],
  ["${PWD#/}", "home"],
  ["${PWD#/h*}", "ome"],
  ["${PWD##/h*}", ""],
  ["${PWD%e}", "/hom"],
  ["${PWD%%o*}", "/h"],
  ["${PWD/o/0}", "/h0me"],
  ["${SHELL//a/A}", "bAsh"],
  ["${SHELL/s}", "error"],
  ["${SHELL~x}", "error"],
];

describe('ShellLex.processWord: the envVarTest corpus', () => {
  const env = ['PWD=/home', 'SHELL=bash', 'KOREAN=한국어', 'NULL='];
  const lex = new ShellLex('\\');
  for (const [source, expected] of ENV_VAR_TEST) {
    test(source, () => {
      if (expected === 'error') {
        fails(() => lex.processWord(source, env), /^failed to process /);
      } else {
        assert.equal(lex.processWord(source, env), expected);
        assert.equal(lex.processWord(source, buildEnvs(env)), expected);
      }
    });
  }
});

describe('ShellLex: error texts as BuildKit', () => {
  const lex = new ShellLex();
  const cases: Array<[string, string[], string]> = [
    ['${VAR:?message here$ARG}', ['VAR=', 'ARG=x'], 'VAR: message herex'],
    ['${VAR:?message here$ARG}', ['ARG=x'], 'VAR: message herex'],
    ['${VAR?message here$ARG}', ['ARG=x'], 'VAR: message herex'],
    ['${VAR?}', [], 'VAR: is not allowed to be unset'],
    ['${VAR:?}', ['VAR='], 'VAR: is not allowed to be empty'],
    ['${VAR:?}', [], 'VAR: is not allowed to be unset'],
    ['${}', [], 'syntax error: bad substitution'],
    ['${:-x}', [], 'syntax error: bad substitution'],
    ['${{a}', [], 'syntax error: bad substitution'],
    ['${', [], "syntax error: missing '}'"],
    ['${a:-b', [], "syntax error: missing '}'"],
    ['${a:', [], "syntax error: missing '}'"],
    ['${a/b', [], "syntax error: missing '/' in ${}"],
    ['${a/b/c', [], "syntax error: missing '}'"],
    ['${a//b}', [], "syntax error: missing '/' in ${}"],
    ['${a=b}', [], 'unsupported modifier (=) in substitution'],
    ['${a:=b}', [], 'unsupported modifier (:=) in substitution'],
    ['${a:x}', [], 'unsupported modifier (:x) in substitution'],
    ['${.}', [], 'unsupported modifier (.) in substitution'],
    ['${a', [], 'unsupported modifier (\ufffd) in substitution'],
    ["'abc", [], 'unexpected end of statement while looking for matching single-quote'],
    ['"abc', [], 'unexpected end of statement while looking for matching double-quote'],
    ['${a#\\x}', ['a=1'], "invalid pattern (\\x) in substitution: invalid escape '\\x'"],
    ['${a%\\}', ['a=1'], "syntax error: missing '}'"],
  ];
  for (const [word, env, inner] of cases) {
    test(word, () => fails(() => lex.processWord(word, env), `failed to process ${JSON.stringify(word)}: ${inner}`));
  }
});

describe('ShellLex.process: matched and unmatched variables (lex_test TestProcessWithMatches)', () => {
  const lex = new ShellLex();
  type Case = { input: string; envs: Record<string, string>; expected?: string; matches?: string[]; unmatched?: string[] };
  const cases: Case[] = [
    { input: 'x', envs: { DUMMY: 'dummy' }, expected: 'x' },
    { input: 'x ${UNUSED}', envs: { DUMMY: 'dummy' }, expected: 'x ', unmatched: ['UNUSED'] },
    { input: 'x ${FOO}', envs: { FOO: 'y' }, expected: 'x y', matches: ['FOO'] },
    { input: '${FOO-aaa} ${BAR-bbb} ${BAZ-ccc}', envs: { FOO: 'xxx', BAR: '' }, expected: 'xxx  ccc', matches: ['FOO', 'BAR'], unmatched: ['BAZ'] },
    { input: '${FOO:-aaa} ${BAR:-bbb} ${BAZ:-ccc}', envs: { FOO: 'xxx', BAR: '' }, expected: 'xxx bbb ccc', matches: ['FOO', 'BAR'], unmatched: ['BAZ'] },
    { input: '${FOO:-}', envs: { FOO: 'xxx', BAR: '' }, expected: 'xxx', matches: ['FOO'] },
    { input: '${FOO:-}', envs: {}, expected: '', unmatched: ['FOO'] },
    { input: '${FOO+aaa} ${BAR+bbb} ${BAZ+ccc}', envs: { FOO: 'xxx', BAR: '' }, expected: 'aaa bbb ', matches: ['FOO', 'BAR'], unmatched: ['BAZ'] },
    { input: '${FOO:+aaa} ${BAR:+bbb} ${BAZ:+ccc}', envs: { FOO: 'xxx', BAR: '' }, expected: 'aaa  ', matches: ['FOO', 'BAR'], unmatched: ['BAZ'] },
    { input: '${FOO?aaa}', envs: { FOO: 'xxx', BAR: '' }, expected: 'xxx', matches: ['FOO'] },
    { input: '${BAR?bbb}', envs: { FOO: 'xxx', BAR: '' }, expected: '', matches: ['BAR'] },
    { input: '${FOO:?aaa}', envs: { FOO: 'xxx', BAR: '' }, expected: 'xxx', matches: ['FOO'] },
    { input: '${FOO#()[]{\\}^$.\\*\\?|\\\\}', envs: { FOO: '()[]{}^$.*?|\\x' }, expected: 'x', matches: ['FOO'] },
    { input: '${FOO%%\\**}', envs: { FOO: 'xx**' }, expected: 'xx', matches: ['FOO'] },
    { input: '${FOO#*x*y}', envs: { FOO: 'xxyy' }, expected: 'y', matches: ['FOO'] },
    { input: '${FOO#*}', envs: { FOO: 'xxyy' }, expected: 'xxyy', matches: ['FOO'] },
    { input: '${FOO#$BAR}', envs: { FOO: 'xxyy', BAR: 'x' }, expected: 'xyy', matches: ['FOO', 'BAR'] },
    { input: '${FOO#$BAR}', envs: { FOO: 'xxyy', BAR: '' }, expected: 'xxyy', matches: ['FOO', 'BAR'] },
    { input: '${FOO#}', envs: { FOO: 'xxyy' }, expected: 'xxyy', matches: ['FOO'] },
    { input: '${FOO##*x}', envs: { FOO: 'xxyy' }, expected: 'yy', matches: ['FOO'] },
    { input: '${FOO##}', envs: { FOO: 'xxyy' }, expected: 'xxyy', matches: ['FOO'] },
    { input: '${FOO#?\\?}', envs: { FOO: '???y' }, expected: '?y', matches: ['FOO'] },
    { input: '${ABC:-.}${FOO%x}${ABC:-.}', envs: { FOO: 'xxyy' }, expected: '.xxyy.', matches: ['FOO'], unmatched: ['ABC'] },
    { input: '${FOO%%\\**\\*}', envs: { FOO: 'a***yy*' }, expected: 'a', matches: ['FOO'] },
    { input: '${FOO%}', envs: { FOO: 'xxyy' }, expected: 'xxyy', matches: ['FOO'] },
    { input: '${FOO%%$BAR}', envs: { FOO: 'xxyy', BAR: '' }, expected: 'xxyy', matches: ['FOO', 'BAR'] },
    { input: '${FOO%y*}', envs: { FOO: 'xxyy' }, expected: 'xxy', matches: ['FOO'] },
    { input: '${FOO%%y*}', envs: { FOO: 'xxyy' }, expected: 'xx', matches: ['FOO'] },
    { input: '${FOO/$NEEDLE/.} - ${FOO//$NEEDLE/.}', envs: { FOO: '/foo*/*/*.txt', NEEDLE: '\\*/' }, expected: '/foo.*/*.txt - /foo..*.txt', matches: ['FOO', 'NEEDLE'] },
    { input: '${FOO/$NEEDLE/} - ${FOO//$NEEDLE/}', envs: { FOO: '/tmp/tmp/bar.txt', NEEDLE: '/tmp' }, expected: '/tmp/bar.txt - /bar.txt', matches: ['FOO', 'NEEDLE'] },
    { input: '${FOO/$NEEDLE/$REPLACEMENT} - ${FOO//$NEEDLE/$REPLACEMENT}', envs: { FOO: '/a/foo/b/c.txt', NEEDLE: '/?/', REPLACEMENT: '/' }, expected: '/foo/b/c.txt - /foo/c.txt', matches: ['FOO', 'NEEDLE', 'REPLACEMENT'] },
    { input: '${FOO/$NEEDLE/$REPLACEMENT}', envs: { FOO: 'http://google.de', NEEDLE: 'http://', REPLACEMENT: 'https://' }, expected: 'https://google.de', matches: ['FOO', 'NEEDLE', 'REPLACEMENT'] },
    { input: '${FOO//\\//\\/}', envs: { FOO: '/tmp/foo.txt' }, expected: '\\/tmp\\/foo.txt', matches: ['FOO'] },
    { input: '${FOO/$BAR/ww}', envs: { FOO: 'xxyy', BAR: '' }, expected: 'wwxxyy', matches: ['FOO', 'BAR'] },
    { input: '${FOO///}', envs: { FOO: 'xxyy' }, expected: 'xxyy', matches: ['FOO'] },
    { input: '${FOO///}', envs: {}, expected: '', unmatched: ['FOO'] },
    // Go's ReplaceAllString: no second replacement for the empty match right after a match...
    { input: '${FOO//*/z}', envs: { FOO: 'abc' }, expected: 'z', matches: ['FOO'] },
    // ...an empty pattern matches between every character...
    { input: '${FOO//$E/-}', envs: { FOO: 'ab', E: '' }, expected: '-a-b-', matches: ['FOO', 'E'] },
    // ...and the replacement is a template where $0 is the match and $$ a dollar.
    { input: "${FOO//b/'[$0|$$|${0}|$1]'}", envs: { FOO: 'abc' }, expected: 'a[b|$|b|]c', matches: ['FOO'] },
    { input: "${FOO/b/'[$0]'}", envs: { FOO: 'abc' }, expected: 'a[$0]c', matches: ['FOO'] },
    // `?` is one character, even outside the BMP.
    { input: '${FOO#?}', envs: { FOO: '🚀x' }, expected: 'x', matches: ['FOO'] },
    { input: '${FOO%?}', envs: { FOO: 'x🚀' }, expected: 'x', matches: ['FOO'] },
    { input: '$1 $@ ${#}', envs: {}, expected: '  ', unmatched: ['1', '@', '#'] },
  ];
  for (const c of cases) {
    test(c.input, () => {
      const r = lex.process(c.input, new Map(Object.entries(c.envs)));
      assert.equal(r.result, c.expected);
      assert.deepEqual([...r.matched].sort(), [...(c.matches ?? [])].sort());
      assert.deepEqual([...r.unmatched].sort(), [...(c.unmatched ?? [])].sort());
    });
  }

  test('the release-name example (TARGETVARIANT set, empty, unset)', () => {
    const release = 'something-${VERSION}.${TARGETOS}-${TARGETARCH}${TARGETVARIANT:+-${TARGETVARIANT}}.tar.gz';
    const base = ['VERSION=v1.2.3', 'TARGETOS=linux'];
    assert.equal(lex.processWord(release, [...base, 'TARGETARCH=arm', 'TARGETVARIANT=v7']), 'something-v1.2.3.linux-arm-v7.tar.gz');
    assert.equal(lex.processWord(release, [...base, 'TARGETARCH=arm64', 'TARGETVARIANT=']), 'something-v1.2.3.linux-arm64.tar.gz');
    assert.equal(lex.processWord(release, [...base, 'TARGETARCH=arm64']), 'something-v1.2.3.linux-arm64.tar.gz');
  });
});

describe('ShellLex: environment lists', () => {
  test('a later entry wins, a bare name is set and empty, keys are case-sensitive', () => {
    const lex = new ShellLex();
    assert.equal(lex.processWord('$car', ['foo=bar', 'car=hat', 'car=bike']), 'bike');
    assert.equal(lex.processWord('${foo-unset}', ['foo']), '');
    assert.equal(lex.processWord('${FOO-unset}', ['foo=bar']), 'unset');
    assert.equal(lex.processWord('$a', ['a=b=c']), 'b=c');
  });
});

describe('ShellLex.processWords: word splitting after expansion', () => {
  const lex = new ShellLex();
  const env = ['FOO=foo', 'SPACED=a  b', 'EMPTY='];
  const cases: Array<[string, string[]]> = [
    ['hello', ['hello']],
    ['hello world', ['hello', 'world']],
    ['  hello   world  ', ['hello', 'world']],
    ['$SPACED', ['a', 'b']],
    ['"$SPACED"', ['a  b']],
    ['x$SPACED"y"', ['xa', 'by']],
    ["'a b' c", ['a b', 'c']],
    ['a\\ b', ['a b']],
    ['$EMPTY', []],
    ['""', []],
    ['"" x', ['x']],
    ['80/tcp $FOO', ['80/tcp', 'foo']],
    ['he${FOO:-x y}z', ['hefooz']],
    ['he${NOPE:-x y}z', ['hex', 'yz']],
  ];
  for (const [word, words] of cases) test(word, () => assert.deepEqual(lex.processWords(word, env), words));
});

describe('ShellLex: the backtick escape token and options', () => {
  test('with `# escape=`` a backslash is literal and ` escapes', () => {
    const lex = new ShellLex('`');
    assert.equal(lex.processWord('C:\\dir\\$FOO', ['FOO=x']), 'C:\\dir\\x');
    assert.equal(lex.processWord('`$FOO', ['FOO=x']), '$FOO');
    assert.equal(lex.processWord('"a`"b"', []), 'a"b');
    assert.equal(lex.processWord('"a\\"', []), 'a\\');
  });
  test('rawQuotes keeps quotes, skipUnsetEnv keeps unset references as written', () => {
    const lex = new ShellLex('\\', { rawQuotes: true, skipUnsetEnv: true });
    assert.equal(lex.processWord(`"a $X" 'b' $Y \${Z} \${Z:-d} \${Z/a/b} $SET`, ['SET=s']), `"a $X" 'b' $Y \${Z} \${Z:-d} \${Z/a/b} s`);
  });
  test('rawEscapes keeps escape tokens; skipProcessQuotes treats quotes as text', () => {
    assert.equal(new ShellLex('\\', { rawEscapes: true }).processWord('a\\$b', ['b=x']), 'a\\$b');
    assert.equal(new ShellLex('\\', { skipProcessQuotes: true }).processWord(`'$b'"$b"`, ['b=x']), `'x'"x"`);
  });
});

describe('reversePattern (lex_test TestReversePattern)', () => {
  const cases: Array<[string, string]> = [
    ['a\\*c', 'c\\*a'], ['\\\\\\ab', 'b\\a\\\\'], ['ab\\', '\\ba'], ['👽\\🚀🖖', '🖖\\🚀👽'], ['\\\\b', 'b\\\\'],
  ];
  for (const [p, want] of cases) test(p, () => assert.equal(reversePattern(p), want));
});

describe('expansion: which instructions and flags expand', () => {
  test('the expanding instructions', () => {
    for (const name of ['ADD', 'ARG', 'COPY', 'ENV', 'EXPOSE', 'FROM', 'LABEL', 'STOPSIGNAL', 'USER', 'VOLUME', 'WORKDIR']) {
      assert.ok(expandsInstruction(name), name);
    }
    for (const name of ['RUN', 'CMD', 'ENTRYPOINT', 'SHELL', 'HEALTHCHECK', 'ONBUILD', 'MAINTAINER']) {
      assert.ok(!expandsInstruction(name), name);
    }
  });
  test('the expanding flags', () => {
    for (const [i, f] of [['COPY', 'chown'], ['COPY', 'chmod'], ['ADD', 'chown'], ['ADD', 'chmod'],
      ['ADD', 'checksum'], ['RUN', 'mount'], ['FROM', 'platform']] as const) assert.ok(expandsFlag(i, f), `${i} --${f}`);
    for (const [i, f] of [['COPY', 'from'], ['COPY', 'link'], ['COPY', 'exclude'], ['RUN', 'network'], ['RUN', 'security'],
      ['ADD', 'exclude'], ['HEALTHCHECK', 'interval']] as const) {
      assert.ok(!expandsFlag(i, f), `${i} --${f}`);
    }
  });
  test('expandArguments: one word each, EXPOSE split, RUN and CMD untouched', () => {
    const env = ['P=80 443', 'D=/data', 'U=app'];
    assert.deepEqual(expandArguments('EXPOSE', ['$P', '8080/udp'], env), ['80', '443', '8080/udp']);
    assert.deepEqual(expandArguments('VOLUME', ['$D', '"$D x"'], env), ['/data', '/data x']);
    assert.deepEqual(expandArguments('user', ['$U'], env), ['app']);
    assert.deepEqual(expandArguments('RUN', ['echo $U'], env), ['echo $U']);
    assert.deepEqual(expandArguments('CMD', ['$U'], env), ['$U']);
    assert.deepEqual(expandArguments('FROM', ['busybox:$U', 'AS', '$U'], env), ['busybox:app', 'AS', '$U']);
    assert.deepEqual(expandArguments('ENV', ['$U=$D', 'X="a b"'], env), ['app=/data', 'X=a b']);
    assert.deepEqual(expandArguments('ARG', ['$U=$D', 'NOVALUE'], env), ['$U=/data', 'NOVALUE']);
    assert.deepEqual(expandArguments('COPY', ['$D/*', '"$D x"/'], env), ['/data/*', '/data x/']);
  });
  test('expandWord, expandWords, wordExpander and the matches', () => {
    const env = ['A=1', 'A=2', 'B=x y'];
    assert.equal(expandWord('${A}-$B', env), '2-x y');
    assert.deepEqual(expandWords('${A}-$B', env), ['2-x', 'y']);
    assert.equal(wordExpander(env)('$A$A'), '22');
    const r = expandWordWithMatches('$A$C', env);
    assert.deepEqual([...r.matched], ['A']);
    assert.deepEqual([...r.unmatched], ['C']);
    assert.equal(expandWord('`$A', env, { escapeToken: '`' }), '$A');
  });
  test('expandKeyValue: ENV and LABEL expand both sides, ARG only its default', () => {
    const env = ['K=key', 'V=val'];
    assert.deepEqual(expandKeyValue('ENV', '$K', '"$V x"', env), ['key', 'val x']);
    assert.deepEqual(expandKeyValue('label', '$K', '$V', env), ['key', 'val']);
    assert.deepEqual(expandKeyValue('ARG', '$K', '${V}-1', env), ['$K', 'val-1']);
    assert.deepEqual(expandKeyValue('HEALTHCHECK', '$K', '$V', env), ['$K', '$V']);
  });
  test('COPY --from and a mount\'s from= refuse variables with BuildKit\'s texts', () => {
    for (const ok of ['build', '0', 'alpine:3.20', 'registry:5000/x@sha256:abc']) {
      checkCopyFrom(ok);
      checkMountFrom(ok);
    }
    const copyText = 'variable expansion is not supported for --from, define a new stage with FROM using ARG from global scope as a workaround';
    for (const bad of ['$FOO', 'img:${V}', '"stage"', 'a\\b']) fails(() => checkCopyFrom(bad), copyText);
    fails(() => checkCopyFrom('$X', { at: 'Dockerfile:4' }), `Dockerfile:4: ${copyText}`);
    const mountText = "'from' doesn't support variable expansion, define alias stage instead";
    for (const bad of ['$FOO', 'img:${V}', '$$']) fails(() => checkMountFrom(bad), mountText);
    checkMountFrom('trailing$');
  });
  test('expandHeredoc: quotes stay, escapes apply, always with a backslash', () => {
    const body = 'printf "a\\nb $X" \'$X\'\n';
    assert.equal(expandHeredoc(body, ['X=1']), 'printf "anb 1" \'1\'\n');
    assert.equal(expandHeredoc(body, ['X=1'], { escapeToken: '`' }), 'printf "anb 1" \'1\'\n');
    fails(() => expandHeredoc('${X:?}', [], { at: 'Dockerfile:2' }), 'Dockerfile:2: failed to process "${X:?}": X: is not allowed to be unset');
  });
  test('errors name where the word came from', () => {
    fails(() => expandWord('${X:?must be set}', [], { at: 'Dockerfile:3' }),
      'Dockerfile:3: failed to process "${X:?must be set}": X: must be set');
    fails(() => expandWord('${X:?}', []), 'failed to process "${X:?}": X: is not allowed to be unset');
  });
});
