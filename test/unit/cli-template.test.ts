import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseTemplate, GO_TYPE, goJSON } from '../../core/cli/template.ts';
import { tabulate } from '../../core/cli/tabwriter.ts';
import { renderFormat, FormatError } from '../../core/cli/formatter.ts';
import { ImageContext, IMAGE_HEADER, imageFormat, imageRows, type ImageSummary } from '../../core/cli/commands/images.ts';

const run = (t: string, data: unknown) => parseTemplate(t).execute(data);

test('fields, maps, missing keys and printing like Go', () => {
  const d = { A: 'x', M: { k: 'v', z: 1 }, L: ['a', 'b'], N: null, F: 1.5, Big: 1982263 };
  assert.equal(run('{{.A}} {{.M.k}} {{.Missing}} {{.M}} {{.L}} {{.N}} {{.F}} {{.Big}}', d), 'x v <no value> map[k:v z:1] [a b] <nil> 1.5 1982263');
  assert.equal(run('{{json .}}', { a: '<x>', b: [1, null] }), '{"a":"<x>","b":[1,null]}');
  assert.equal(run('{{json .M}}', d), '{"k":"v","z":1}');
  assert.equal(run('{{index .M "k"}}|{{index .L 1}}', d), 'v|b');
  assert.throws(() => run('{{.N.x}}', d), /template: :1:2: executing "" at <.N.x>: nil pointer evaluating interface \{\}.x/);
});

test('control structures, variables and pipelines', () => {
  const d = { L: ['a', 'b', 'c'], M: { b: 2, a: 1 }, T: true, E: '', Z: [] };
  assert.equal(run('{{range $i, $v := .L}}{{if $i}},{{end}}{{$i}}={{$v}}{{end}}', d), '0=a,1=b,2=c');
  assert.equal(run('{{range $k, $v := .M}}{{$k}}{{$v}} {{end}}', d), 'a1 b2 ');
  assert.equal(run('{{range .Z}}x{{else}}empty{{end}}', d), 'empty');
  assert.equal(run('{{range .L}}{{if eq . "b"}}{{break}}{{end}}{{.}}{{end}}', d), 'a');
  assert.equal(run('{{range .L}}{{if eq . "b"}}{{continue}}{{end}}{{.}}{{end}}', d), 'ac');
  assert.equal(run('{{if .E}}1{{else if .T}}2{{else}}3{{end}}', d), '2');
  assert.equal(run('{{with .M}}{{.a}}{{else}}none{{end}}{{with .E}}x{{else}}none{{end}}', d), '1none');
  assert.equal(run('{{$x := "v"}}{{$x = "w"}}{{$x}} {{$.T}}', d), 'w true');
  assert.throws(() => run('{{range .E}}x{{end}}', d), /range can't iterate over/);
  assert.equal(run('{{join .L "-" | upper | printf "[%-7s]"}}', d), '[A-B-C  ]');
  assert.equal(run('{{- " a " -}}  {{/* note */}}  {{- "b" }}', d), ' a b');
  assert.equal(run('{{and 1 0}} {{or 0 "" "z"}} {{not .T}} {{len .L}} {{slice "hello" 1 3}}', d), '0 z false 3 el');
  assert.equal(run('{{lt 1 2}} {{ge 2 2}} {{ne "a" "b"}} {{eq 1 2 1}}', d), 'true true true true');
  assert.equal(run('{{printf "%d|%5s|%-4d|%q|%v|%x" 42 "ab" 7 "q" .L 255}}', d), '42|   ab|7   |"q"|[a b c]|ff');
  assert.equal(run('{{print "a" 1 2 "b"}}{{println "x" 1}}', d), 'a1 2bx 1\n');
});

test("docker's template functions", () => {
  assert.equal(run('{{split "a,b,c" ","}} {{title "hello world"}} {{lower "AB"}} {{upper "ab"}}', {}), '[a b c] Hello World ab AB');
  assert.equal(run('[{{pad "x" 1 2}}][{{pad "" 1 2}}] {{truncate "abcdef" 3}} {{truncate "ab" 3}}', {}), '[ x  ][] abc ab');
});

test("Go's parse and exec errors", () => {
  assert.throws(() => parseTemplate('{{.ID}'), /^TemplateError: template: :1: bad character U\+007D '\}'$/);
  assert.throws(() => parseTemplate('{{bogus .ID}}'), /^TemplateError: template: :1: function "bogus" not defined$/);
  assert.throws(() => parseTemplate('{{if .A}}'), /unexpected EOF/);
  const s = { [GO_TYPE]: '*formatter.imageContext', ID: () => 'x' };
  assert.equal(run('{{.ID}}', s), 'x');
  assert.throws(() => run('{{.Foo}}', s), (e: Error) => e.message === 'template: :1:2: executing "" at <.Foo>: can\'t evaluate field Foo in type *formatter.imageContext');
  const t = parseTemplate('{{.NoSuch}}');
  t.missingKeyError = true;
  assert.throws(() => t.execute({}), /at <.NoSuch>: map has no entry for key "NoSuch"/);
  assert.equal(goJSON({ a: '\u2028&' }, true), '{"a":"\\u2028\\u0026"}');
});

test('tabwriter aligns like Go text/tabwriter with docker settings', () => {
  const out = tabulate('REPOSITORY\tTAG\tIMAGE ID\tCREATED\tSIZE\nbusybox\tlatest\t48819a934ca9\tLess than a second ago\t1.98MB\n127.0.0.1:5055/demo/busybox\tv1\t0c54d9623f6a\t5 minutes ago\t1.98MB\n');
  assert.equal(out, [
    'REPOSITORY                    TAG       IMAGE ID       CREATED                  SIZE',
    'busybox                       latest    48819a934ca9   Less than a second ago   1.98MB',
    '127.0.0.1:5055/demo/busybox   v1        0c54d9623f6a   5 minutes ago            1.98MB',
    '',
  ].join('\n'));
  // A line without tabs ends the column block; trailing cells are not padded.
  assert.equal(tabulate('a\tb\nlonger\tc\nplain\nx\ty\n', { minwidth: 0, tabwidth: 1, padding: 1 }), 'a      b\nlonger c\nplain\nx y\n');
  assert.equal(tabulate(' Version:\t1\n API version:\t2\n', { minwidth: 20, tabwidth: 1, padding: 1 }), ' Version:           1\n API version:       2\n');
});

const now = new Date('2026-11-24T07:03:59Z');
const created = Date.parse('2026-11-24T06:48:59Z') / 1000;
const imgs: ImageSummary[] = [
  { Id: 'sha256:0c54d9623f6a' + '0'.repeat(52), RepoTags: ['127.0.0.1:5055/demo/busybox:v1', 'demo:v1'], RepoDigests: ['127.0.0.1:5055/demo/busybox@sha256:' + '6'.repeat(64)], Created: created, Size: 1982266, SharedSize: -1, Containers: -1 },
  { Id: 'sha256:42138aadadaa' + '1'.repeat(52), RepoTags: [], RepoDigests: [], Created: created, Size: 1982263 },
];

test('images table, --digests and {{json .}} as docker renders them', () => {
  const rows = (digest: boolean, f: string) => imageRows(imgs, { trunc: true, digest, needDigest: digest || f.includes('{{.Digest}}'), now });
  const table = imageFormat('table', false, false);
  assert.equal(renderFormat(table, rows(false, table), IMAGE_HEADER), [
    'REPOSITORY                    TAG       IMAGE ID       CREATED          SIZE',
    '127.0.0.1:5055/demo/busybox   v1        0c54d9623f6a   15 minutes ago   1.98MB',
    'demo                          v1        0c54d9623f6a   15 minutes ago   1.98MB',
    '<none>                        <none>    42138aadadaa   15 minutes ago   1.98MB',
    '',
  ].join('\n'));
  const dig = imageFormat('table', false, true);
  assert.match(renderFormat(dig, rows(true, dig), IMAGE_HEADER), /^REPOSITORY +TAG +DIGEST +IMAGE ID +CREATED +SIZE\n127\.0\.0\.1:5055\/demo\/busybox +v1 +sha256:6{64} +0c54d9623f6a/);
  assert.equal(renderFormat(imageFormat('table', true, false), rows(false, ''), IMAGE_HEADER), '0c54d9623f6a\n0c54d9623f6a\n42138aadadaa\n');
  const json = renderFormat('{{json .}}', rows(false, '').slice(1, 2), IMAGE_HEADER);
  assert.equal(json, '{"Containers":"N/A","CreatedAt":"' + new ImageContext(imgs[0]!, '', '', '', true, now).CreatedAt() +
    '","CreatedSince":"15 minutes ago","Digest":"\\u003cnone\\u003e","ID":"0c54d9623f6a","Repository":"demo","SharedSize":"N/A","Size":"1.98MB","Tag":"v1","UniqueSize":"N/A","VirtualSize":"1.982MB"}\n');
  assert.equal(renderFormat('table {{upper .Repository}} {{json .Tag}} {{pad .ID 1 2}}|', rows(false, '').slice(1, 2), IMAGE_HEADER),
    'REPOSITORY TAG  IMAGE ID  |\nDEMO "v1"  0c54d9623f6a  |\n');
  assert.throws(() => renderFormat('{{.Foo}}', rows(false, ''), IMAGE_HEADER), (e: unknown) => e instanceof FormatError &&
    e.message === 'template parsing error: template: :1:2: executing "" at <.Foo>: can\'t evaluate field Foo in type *formatter.imageContext');
});
