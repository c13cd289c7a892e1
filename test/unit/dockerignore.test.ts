import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  PatternMatcher, type MatchInfo, matchesOrParentMatches, matchesAtPatternDepth, cleanPath, parentPath,
} from '../../core/build/context/pattern-matcher.ts';
import {
  parseDockerignore, readDockerignore, dockerignoreMatcher, canSkipExcludedDirectory, keepBuildFiles,
  buildFilesToRemove, dockerignoreCandidates,
} from '../../core/build/context/dockerignore.ts';
import { BerthError } from '../../core/errors.ts';

const CONTEXT = join(import.meta.dirname, '../fixtures/dockerignore/context');

function fails(fn: () => unknown, message: string) {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof BerthError, `expected a BerthError, got ${String(e)}`);
    assert.equal(e.code, 'invalid_argument');
    assert.equal(e.message, message);
    return true;
  });
}

// The walker's way: each directory's MatchInfo handed to its entries.
function matchDescending(pm: PatternMatcher, text: string): boolean {
  const parent = parentPath(text);
  let info: MatchInfo | undefined;
  if (parent !== '.') {
    const dirs = parent.split('/');
    for (let i = 1; i <= dirs.length; i++) info = pm.matchesUsingParentResults(dirs.slice(0, i).join('/'), info).info;
  }
  return pm.matchesUsingParentResults(text, info).matched;
}

describe('patternmatcher: TestMatches', () => {
  type Kind = 'fail' | 'exact' | 'inexact';
  const tests: Array<[string, string, Kind]> = [
    ['**', 'file', 'exact'], ['**', 'file/', 'exact'], ['**/', 'file', 'exact'], ['**/', 'file/', 'exact'],
    ['**', '/', 'exact'], ['**/', '/', 'exact'], ['**', 'dir/file', 'exact'], ['**/', 'dir/file', 'exact'],
    ['**', 'dir/file/', 'exact'], ['**/', 'dir/file/', 'exact'], ['**/**', 'dir/file', 'exact'],
    ['**/**', 'dir/file/', 'exact'], ['dir/**', 'dir/file', 'exact'], ['dir/**', 'dir/file/', 'exact'],
    ['dir/**', 'dir/dir2/file', 'exact'], ['dir/**', 'dir/dir2/file/', 'exact'], ['**/dir', 'dir', 'exact'],
    ['**/dir', 'dir/file', 'inexact'], ['**/dir2/*', 'dir/dir2/file', 'exact'], ['**/dir2/*', 'dir/dir2/file/', 'inexact'],
    ['**/dir2/**', 'dir/dir2/dir3/file', 'exact'], ['**/dir2/**', 'dir/dir2/dir3/file/', 'exact'],
    ['**file', 'file', 'exact'], ['**file', 'dir/file', 'exact'], ['**/file', 'dir/file', 'exact'],
    ['**file', 'dir/dir/file', 'exact'], ['**/file', 'dir/dir/file', 'exact'], ['**/file*', 'dir/dir/file', 'exact'],
    ['**/file*', 'dir/dir/file.txt', 'exact'], ['**/file*txt', 'dir/dir/file.txt', 'exact'],
    ['**/file*.txt', 'dir/dir/file.txt', 'exact'], ['**/file*.txt*', 'dir/dir/file.txt', 'exact'],
    ['**/**/*.txt', 'dir/dir/file.txt', 'exact'], ['**/**/*.txt2', 'dir/dir/file.txt', 'fail'],
    ['**/*.txt', 'file.txt', 'exact'], ['**/**/*.txt', 'file.txt', 'exact'], ['a**/*.txt', 'a/file.txt', 'exact'],
    ['a**/*.txt', 'a/dir/file.txt', 'exact'], ['a**/*.txt', 'a/dir/dir/file.txt', 'exact'],
    ['a/*.txt', 'a/dir/file.txt', 'fail'], ['a/*.txt', 'a/file.txt', 'exact'], ['a/*.txt**', 'a/file.txt', 'exact'],
    ['a[b-d]e', 'ae', 'fail'], ['a[b-d]e', 'ace', 'exact'], ['a[b-d]e', 'aae', 'fail'], ['a[^b-d]e', 'aze', 'exact'],
    ['.*', '.foo', 'exact'], ['.*', 'foo', 'fail'], ['abc.def', 'abcdef', 'fail'], ['abc.def', 'abc.def', 'exact'],
    ['abc.def', 'abcZdef', 'fail'], ['abc?def', 'abcZdef', 'exact'], ['abc?def', 'abcdef', 'fail'],
    ['**/foo/bar', 'foo/bar', 'exact'], ['**/foo/bar', 'dir/foo/bar', 'exact'], ['**/foo/bar', 'dir/dir2/foo/bar', 'exact'],
    ['abc/**', 'abc', 'fail'], ['abc/**', 'abc/def', 'exact'], ['abc/**', 'abc/def/ghi', 'exact'],
    ['**/.foo', '.foo', 'exact'], ['**/.foo', 'bar.foo', 'fail'], ['a(b)c/def', 'a(b)c/def', 'exact'],
    ['a(b)c/def', 'a(b)c/xyz', 'fail'], ['a.|)$(}+{bc', 'a.|)$(}+{bc', 'exact'],
    ['dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl', 'dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl', 'exact'],
    ['dist/*.whl', 'dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl', 'exact'],
    ['a\\\\', 'a\\', 'exact'], ['a\\*b', 'a*b', 'exact'],
    // Beyond the Go table: `?` is one character (an emoji too), never a slash; a class is one character.
    ['a?b', 'a🚀b', 'exact'], ['a??b', 'a🚀b', 'fail'], ['a?b', 'a/b', 'fail'], ['[ab]/x', 'b/x', 'exact'],
  ];
  const multi: Array<[string[], string, Kind]> = [
    [['**', '!util/docker/web'], 'util/docker/web/foo', 'fail'],
    [['**', '!util/docker/web', 'util/docker/web/foo'], 'util/docker/web/foo', 'exact'],
    [['**', '!dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl'], 'dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl', 'fail'],
    [['**', '!dist/*.whl'], 'dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl', 'fail'],
    [['docs', '!docs/README.md'], 'docs/guide.md', 'inexact'],
    [['docs', '!docs/README.md'], 'docs/README.md', 'fail'],
    [['*.go', '!keep.go', 'keep.go'], 'keep.go', 'exact'],
  ];
  for (const [pattern, text, kind] of tests) {
    test(`${pattern} ~ ${text}`, () => {
      const pm = PatternMatcher.create([pattern]);
      assert.equal(pm.matchesExact(text), kind === 'exact', 'matchesExact');
      assert.equal(pm.matchesOrParentMatches(text), kind !== 'fail', 'matchesOrParentMatches');
      assert.equal(matchDescending(pm, text), kind !== 'fail', 'matchesUsingParentResults, walking down');
      assert.equal(pm.matchesUsingParentResults(text).matched, kind !== 'fail', 'matchesUsingParentResults, no context');
    });
  }
  for (const [patterns, text, kind] of multi) {
    test(`${patterns.join(' ')} ~ ${text}`, () => {
      const pm = PatternMatcher.create(patterns);
      assert.equal(pm.matchesOrParentMatches(text), kind !== 'fail', 'matchesOrParentMatches');
      assert.equal(matchDescending(pm, text), kind !== 'fail', 'matchesUsingParentResults, walking down');
      assert.equal(pm.matchesUsingParentResults(text).matched, kind !== 'fail', 'matchesUsingParentResults, no context');
    });
  }
});

describe('patternmatcher: the small cases', () => {
  test('wildcards, exceptions before and after, folders with their exceptions', () => {
    assert.ok(matchesAtPatternDepth('fileutils.go', ['*']));
    assert.ok(matchesAtPatternDepth('fileutils.go', ['*.go']));
    assert.ok(matchesAtPatternDepth('fileutils.go', ['!fileutils.go', '*.go']));
    assert.ok(!matchesAtPatternDepth('fileutils.go', ['*.go', '!fileutils.go']));
    for (const folder of ['docs', 'docs/', 'docs/*']) {
      assert.ok(!matchesAtPatternDepth('docs/README.md', [folder, '!docs/README.md']), folder);
      assert.ok(!matchesOrParentMatches('docs/README.md', [folder, '!docs/README.md']), folder);
    }
  });
  test('the root never matches; no patterns match nothing', () => {
    assert.ok(!matchesAtPatternDepth('.', ['*.go']));
    assert.ok(!matchesOrParentMatches('./', ['**']));
    assert.ok(!matchesOrParentMatches('/any/path/there', []));
  });
  test('a lone ! and malformed patterns are refused', () => {
    fails(() => PatternMatcher.create(['!']), 'illegal exclusion pattern: "!"');
    fails(() => matchesAtPatternDepth('fileutils.go', ['!']), 'illegal exclusion pattern: "!"');
    fails(() => matchesOrParentMatches('/any/path/there', ['[']), 'syntax error in pattern');
  });
  test('a pattern filepath.Match accepts but its regexp cannot compile fails when matched, every time', () => {
    const pm = PatternMatcher.create(['[Local-Only]/']);
    fails(() => pm.matchesOrParentMatches('x'), 'syntax error in pattern');
    fails(() => pm.matchesOrParentMatches('x'), 'syntax error in pattern');
  });
  test('patterns are trimmed and cleaned, blanks dropped, exceptions noted', () => {
    assert.equal(PatternMatcher.create(['docs', 'config', '']).patterns.length, 2);
    assert.ok(PatternMatcher.create(['docs', '  !docs/README.md']).exclusions);
    assert.ok(PatternMatcher.create(['docs', '!docs/README.md  ']).exclusions);
    assert.ok(!PatternMatcher.create(['docs']).exclusions);
    assert.deepEqual(PatternMatcher.create(['a//b/', './c/../d', '!e/./f']).patterns.map(String), ['a/b', 'd', 'e/f']);
  });
  test('the deprecated Matches tries only the parent at the pattern\'s depth', () => {
    assert.ok(!matchesAtPatternDepth('a/c/d/Dockerfile', ['a/**/c']));
    assert.ok(matchesOrParentMatches('a/c/d/Dockerfile', ['a/**/c']));
  });
});

describe("patternmatcher: Go's filepath.Match table, through Matches", () => {
  const cases: Array<[string, string, boolean | 'bad']> = [
    ['abc', 'abc', true], ['*', 'abc', true], ['*c', 'abc', true], ['a*', 'a', true], ['a*', 'abc', true],
    ['a*', 'ab/c', true], ['a*/b', 'abc/b', true], ['a*/b', 'a/c/b', false], ['a*b*c*d*e*/f', 'axbxcxdxe/f', true],
    ['a*b*c*d*e*/f', 'axbxcxdxexxx/f', true], ['a*b*c*d*e*/f', 'axbxcxdxe/xxx/f', false],
    ['a*b*c*d*e*/f', 'axbxcxdxexxx/fff', false], ['a*b?c*x', 'abxbbxdbxebxczzx', true],
    ['a*b?c*x', 'abxbbxdbxebxczzy', false], ['ab[c]', 'abc', true], ['ab[b-d]', 'abc', true], ['ab[e-g]', 'abc', false],
    ['ab[^c]', 'abc', false], ['ab[^b-d]', 'abc', false], ['ab[^e-g]', 'abc', true], ['a\\*b', 'a*b', true],
    ['a\\*b', 'ab', false], ['a?b', 'a☺b', true], ['a[^a]b', 'a☺b', true], ['a???b', 'a☺b', false],
    ['a[^a][^a][^a]b', 'a☺b', false], ['[a-ζ]*', 'α', true], ['*[a-ζ]', 'A', false], ['a?b', 'a/b', false],
    ['a*b', 'a/b', false], ['[\\]a]', ']', true], ['[\\-]', '-', true], ['[x\\-]', 'x', true], ['[x\\-]', '-', true],
    ['[x\\-]', 'z', false], ['[\\-x]', 'x', true], ['[\\-x]', '-', true], ['[\\-x]', 'a', false],
    ['[]a]', ']', 'bad'], ['[-]', '-', 'bad'], ['[x-]', 'x', 'bad'], ['[x-]', '-', 'bad'], ['[x-]', 'z', 'bad'],
    ['[-x]', 'x', 'bad'], ['[-x]', '-', 'bad'], ['[-x]', 'a', 'bad'], ['\\', 'a', 'bad'], ['[a-b-c]', 'a', 'bad'],
    ['[', 'a', 'bad'], ['[^', 'a', 'bad'], ['[^bc', 'a', 'bad'], ['a[', 'a', 'bad'], ['a[', 'ab', 'bad'],
    ['*x', 'xxx', true],
  ];
  for (const [pattern, s, want] of cases) {
    test(`${pattern} ~ ${s}`, () => {
      if (want === 'bad') fails(() => matchesAtPatternDepth(s, [pattern]), 'syntax error in pattern');
      else assert.equal(matchesAtPatternDepth(s, [pattern]), want);
    });
  }
});

describe('path helpers (Go path.Clean, path.Dir)', () => {
  test('cleanPath', () => {
    const cases: Array<[string, string]> = [
      ['', '.'], ['.', '.'], ['./', '.'], ['a/./b/', 'a/b'], ['a//b', 'a/b'], ['a/../b', 'b'], ['../a', '../a'],
      ['a/../../b', '../b'], ['/../a', '/a'], ['/', '/'], ['//a/', '/a'], ['!./x', '!./x'],
    ];
    for (const [p, want] of cases) assert.equal(cleanPath(p), want, p);
  });
  test('parentPath', () => {
    const cases: Array<[string, string]> = [['a/b', 'a'], ['a', '.'], ['a/b/', 'a/b'], ['/a', '/'], ['', '.']];
    for (const [p, want] of cases) assert.equal(parentPath(p), want, p);
  });
});

describe('.dockerignore: reading', () => {
  test("ignorefile's TestReadAll", () => {
    assert.deepEqual(readDockerignore(''), []);
    const content = 'test1\n/test2\n/a/file/here\n\nlastfile\n# this is a comment\n! /inverted/abs/path\n!\n! ';
    assert.deepEqual(readDockerignore(content),
      ['test1', 'test2', 'a/file/here', 'lastfile', '!inverted/abs/path', '!', '!']);
  });
  test('line numbers, BOM, CRLF, ./ and trailing slashes, comments only at the start of a line', () => {
    const text = '\ufeff# c\r\n./build/\r\n  # kept\r\n\r\n!./src//x/../y\r\n/\n';
    assert.deepEqual(parseDockerignore(text), [
      { pattern: 'build', line: 2 }, { pattern: '# kept', line: 3 }, { pattern: '!src/y', line: 5 }, { pattern: '/', line: 6 },
    ]);
  });
  test("BuildKit's Dockerfile-specific ignore file comes first", () => {
    assert.deepEqual(dockerignoreCandidates('Dockerfile'), ['Dockerfile.dockerignore', '.dockerignore']);
    assert.deepEqual(dockerignoreCandidates('./build/app.Dockerfile'), ['build/app.Dockerfile.dockerignore', '.dockerignore']);
  });
  test('errors name the file and line', () => {
    fails(() => dockerignoreMatcher('ok\n\n!\n'), '.dockerignore:3: illegal exclusion pattern: "!"');
    fails(() => dockerignoreMatcher('# x\nsrc/[a-\n', 'ctx/.dockerignore'), 'ctx/.dockerignore:2: syntax error in pattern');
    const pm = dockerignoreMatcher('a\n[z-a]\n');
    fails(() => pm.matchesOrParentMatches('b'), '.dockerignore:2: syntax error in pattern');
  });
});

describe('.dockerignore: skipping excluded directories', () => {
  test('no exceptions: every excluded directory is skipped', () => {
    assert.ok(canSkipExcludedDirectory(PatternMatcher.create(['vendor']), 'vendor'));
  });
  test('an exception naming a path below forces a descent; others do not', () => {
    const pm = PatternMatcher.create(['vendor', 'docs', '!vendor/keep/**', '!docs2/x', '!**/keep']);
    assert.ok(!canSkipExcludedDirectory(pm, 'vendor'));
    assert.ok(!canSkipExcludedDirectory(pm, 'vendor/keep'));
    assert.ok(canSkipExcludedDirectory(pm, 'docs'), 'docs2/x is not below docs');
    assert.ok(canSkipExcludedDirectory(pm, 'vendor/other'));
  });
  test('an exception for the directory itself forces a descent', () => {
    assert.ok(!canSkipExcludedDirectory(PatternMatcher.create(['*', '!src']), 'src'));
  });
});

describe('.dockerignore: the Dockerfile and .dockerignore', () => {
  test('the client adds exceptions for them when they are ignored', () => {
    assert.deepEqual(keepBuildFiles(['*'], 'Dockerfile'), ['*', '!.dockerignore', '!Dockerfile']);
    assert.deepEqual(keepBuildFiles(['.dockerignore'], 'Dockerfile'), ['.dockerignore', '!.dockerignore']);
    assert.deepEqual(keepBuildFiles(['build'], 'build/Dockerfile.prod'), ['build', '!build/Dockerfile.prod']);
    assert.deepEqual(keepBuildFiles(['*'], 'Dockerfile', true), ['*', '!.dockerignore']);
    assert.deepEqual(keepBuildFiles(['src'], 'Dockerfile'), ['src']);
    assert.deepEqual(keepBuildFiles(['['], 'Dockerfile'), ['['], 'a malformed pattern is left for the walk to report');
  });
  test('the daemon removes the ignored ones after reading the Dockerfile', () => {
    assert.deepEqual(buildFilesToRemove(['*'], 'Dockerfile'), ['.dockerignore', 'Dockerfile']);
    assert.deepEqual(buildFilesToRemove(['build/'], 'build/Dockerfile'), ['build/Dockerfile']);
    assert.deepEqual(buildFilesToRemove(['src'], 'Dockerfile'), []);
  });
});

describe('.dockerignore: a context walked as the legacy builder sends it', () => {
  // A walk of the fixture as moby's TarWithOptions does it: each entry matched with its parent's
  // MatchInfo, excluded directories skipped unless an exception names something below them.
  function walk(pm: PatternMatcher): string[] {
    const sent: string[] = [];
    const visit = (rel: string, info: MatchInfo | undefined) => {
      for (const entry of readdirSync(join(CONTEXT, rel), { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
        const path = rel ? `${rel}/${entry.name}` : entry.name;
        const r = pm.matchesUsingParentResults(path, info);
        assert.equal(r.matched, pm.matchesOrParentMatches(path), `both rules agree on ${path}`);
        if (entry.isDirectory()) {
          if (r.matched && canSkipExcludedDirectory(pm, path)) continue;
          if (!r.matched) sent.push(path + '/');
          visit(path, r.info);
        } else if (!r.matched) {
          sent.push(path);
        }
      }
    };
    visit('', undefined);
    return sent;
  }

  test('the fixture context: root-only *.tmp, /vendor with a kept subtree, docs with a kept README, **/cache', () => {
    const ignore = readDockerignore(readFileSync(join(CONTEXT, '.dockerignore'), 'utf8'));
    assert.deepEqual(walk(PatternMatcher.create(keepBuildFiles(ignore, 'Dockerfile'))), [
      '.dockerignore', 'Dockerfile', 'app.js', 'docs/README.md', 'secret10.txt', 'src/', 'src/gen.tmp', 'src/main.c',
      'vendor/keep/keep.js',
    ]);
    assert.deepEqual(buildFilesToRemove(ignore, 'Dockerfile'), ['.dockerignore', 'Dockerfile']);
  });
});
