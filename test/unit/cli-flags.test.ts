import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FlagError, flagUsages, parseFlags, type FlagSpec } from '../../core/cli/flags.ts';
import { FORMAT_HELP } from '../../core/cli/formatter.ts';

const images: FlagSpec[] = [
  { name: 'all', short: 'a', kind: 'bool', usage: 'Show all images (default hides intermediate images)' },
  { name: 'digests', kind: 'bool', usage: 'Show digests' },
  { name: 'filter', short: 'f', kind: 'filter', usage: 'Filter output based on conditions provided' },
  { name: 'format', kind: 'string', usage: FORMAT_HELP },
  { name: 'no-trunc', kind: 'bool', usage: "Don't truncate output" },
  { name: 'quiet', short: 'q', kind: 'bool', usage: 'Only show image IDs' },
  { name: 'memory', short: 'm', kind: 'bytes', usage: 'Memory limit' },
];

function fails(argv: string[], message: string, interspersed = true) {
  assert.throws(() => parseFlags(images, argv, { interspersed }), (e: unknown) => e instanceof FlagError && e.message === message);
}

test('long, short, combined and valued flags as pflag parses them', () => {
  const p = parseFlags(images, ['-aq', '--format', '{{.ID}}', 'busybox', '--filter=dangling=true', '-f', 'label=x', '--no-trunc']);
  assert.equal(p.values.all, true);
  assert.equal(p.values.quiet, true);
  assert.equal(p.values.format, '{{.ID}}');
  assert.deepEqual(p.values.filter, ['dangling=true', 'label=x']);
  assert.equal(p.values['no-trunc'], true);
  assert.deepEqual(p.args, ['busybox']);
  assert.deepEqual([...p.changed].sort(), ['all', 'filter', 'format', 'no-trunc', 'quiet']);
  assert.deepEqual(parseFlags(images, ['-fdangling=true']).values.filter, ['dangling=true']);
  assert.equal(parseFlags(images, ['--format={{json .}}']).values.format, '{{json .}}');
  assert.equal(parseFlags(images, ['--all=false']).values.all, false);
  assert.equal(parseFlags(images, ['-a=false']).values.all, false);
  assert.equal(parseFlags(images, ['-m', '64m']).values.memory, 67108864);
});

test('-- ends flags, and non-interspersed commands stop at the first argument', () => {
  assert.deepEqual(parseFlags(images, ['-a', '--', '-q', 'x']).args, ['-q', 'x']);
  const p = parseFlags(images, ['-a', 'busybox', 'sh', '-c', 'echo -q'], { interspersed: false });
  assert.deepEqual(p.args, ['busybox', 'sh', '-c', 'echo -q']);
  assert.equal(p.values.quiet, false);
  assert.deepEqual(parseFlags(images, ['-']).args, ['-']);
});

test("errors carry pflag's wording", () => {
  fails(['--bogus'], 'unknown flag: --bogus');
  fails(['-z'], "unknown shorthand flag: 'z' in -z");
  fails(['-qz'], "unknown shorthand flag: 'z' in -z");
  fails(['-zq'], "unknown shorthand flag: 'z' in -zq");
  fails(['--format'], 'flag needs an argument: --format');
  fails(['-f'], "flag needs an argument: 'f' in -f");
  fails(['--all=garbage'], 'invalid argument "garbage" for "-a, --all" flag: strconv.ParseBool: parsing "garbage": invalid syntax');
  fails(['--filter=garbage'], 'invalid argument "garbage" for "-f, --filter" flag: bad format of filter (expected name=value)');
  fails(['-m', 'garbage'], 'invalid argument "garbage" for "-m, --memory" flag: invalid size: \'garbage\'');
});

test('help lists flags as docker images --help does (80 columns)', () => {
  const expected = [
    '  -a, --all             Show all images (default hides intermediate images)',
    '      --digests         Show digests',
    '  -f, --filter filter   Filter output based on conditions provided',
    '      --format string   Format output using a custom template:',
    "                        'table':            Print output in table format",
    '                        with column headers (default)',
    "                        'table TEMPLATE':   Print output in table format",
    '                        using the given Go template',
    "                        'json':             Print in JSON format",
    "                        'TEMPLATE':         Print output using the given",
    '                        Go template.',
    '                        Refer to https://docs.docker.com/go/formatting/',
    '                        for more information about formatting output with',
    '                        templates',
    "      --no-trunc        Don't truncate output",
    '  -q, --quiet           Only show image IDs',
    '',
  ].join('\n');
  assert.equal(flagUsages(images.filter((f) => f.name !== 'memory'), 79), expected);
  assert.equal(
    flagUsages([{ name: 'human', short: 'H', kind: 'bool', usage: 'Print sizes and dates in human readable format', default: true }, { name: 'format', kind: 'string', usage: 'x' }], 79),
    '      --format string   x\n  -H, --human           Print sizes and dates in human readable format\n                        (default true)\n',
  );
});
