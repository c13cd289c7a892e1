// The playground's terminal pieces without a browser: shell word splitting, the canonical-mode line
// discipline of a command's stdin, and the prompt's line editor.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ShellSyntaxError, splitWords } from '../../host-browser/cli/shell-words.ts';
import { LineDiscipline, type DisciplineEvent } from '../../host-browser/cli/line-discipline.ts';
import { LineEditor, type EditorEvent } from '../../host-browser/cli/line-editor.ts';
import { splitKeys } from '../../host-browser/cli/keys.ts';
import { crlf } from '../../host-browser/cli/terminal-device.ts';

test('words: blanks, quotes and backslashes as sh splits them', () => {
  assert.deepEqual(splitWords('  berth   run --rm busybox echo hello  '), ['berth', 'run', '--rm', 'busybox', 'echo', 'hello']);
  assert.deepEqual(splitWords(`berth run busybox sh -c 'echo "a  b"; exit 3'`), ['berth', 'run', 'busybox', 'sh', '-c', 'echo "a  b"; exit 3']);
  assert.deepEqual(splitWords(`echo "x \\"y\\" \\n \\$HOME" a\\ b ''`), ['echo', 'x "y" \\n $HOME', 'a b', '']);
  assert.deepEqual(splitWords(`--format "{{.Repository}}:{{.Tag}}"x`), ['--format', '{{.Repository}}:{{.Tag}}x']);
  assert.deepEqual(splitWords(''), []);
  assert.deepEqual(splitWords(' \t '), []);
  assert.throws(() => splitWords(`echo 'open`), ShellSyntaxError);
  assert.throws(() => splitWords(`echo "open`), /unterminated quoted string/);
});

test('keys: escape sequences stay whole', () => {
  assert.deepEqual(splitKeys('a\x1b[A\x1bOH\x1b[3~b\x1bxé'), ['a', '\x1b[A', '\x1bOH', '\x1b[3~', 'b', '\x1bx', 'é']);
});

const echoed = (evs: DisciplineEvent[]) => evs.filter((e) => e.kind === 'echo').map((e) => (e as { text: string }).text).join('');
const lines = (evs: DisciplineEvent[]) => evs.filter((e) => e.kind === 'line').map((e) => (e as { text: string }).text);

test('line discipline: echo, erase, lines on Enter', () => {
  const ld = new LineDiscipline();
  let evs = ld.feed('helo');
  assert.equal(echoed(evs), 'helo');
  assert.deepEqual(lines(evs), []);
  evs = ld.feed('\x7fl\x7flo\r');
  assert.equal(echoed(evs), '\b \bl\b \blo\r\n');
  assert.deepEqual(lines(evs), ['hello\n']);
  // ctrl-u drops the whole pending line, ctrl-w the last word
  evs = ld.feed('one two\x17three\r');
  assert.deepEqual(lines(evs), ['one three\n']);
  evs = ld.feed('gone\x15kept\n');
  assert.deepEqual(lines(evs), ['kept\n']);
  // backspace on an empty line echoes nothing
  assert.equal(echoed(ld.feed('\x7f')), '');
  // arrows are not text in canonical mode
  assert.deepEqual(lines(ld.feed('a\x1b[Ab\r')), ['ab\n']);
});

test('line discipline: ctrl-c interrupts and drops the line, ctrl-d ends input or hands over a partial line', () => {
  const ld = new LineDiscipline();
  let evs = ld.feed('partial\x03');
  assert.deepEqual(evs.at(-1), { kind: 'interrupt' });
  assert.match(echoed(evs), /\^C\r\n$/);
  assert.deepEqual(lines(ld.feed('\r')), ['\n'], 'the interrupted text is gone');
  evs = ld.feed('abc\x04');
  assert.deepEqual(lines(evs), ['abc'], 'ctrl-d after text hands the text over without a newline');
  assert.ok(!evs.some((e) => e.kind === 'eof'));
  assert.deepEqual(ld.feed('\x04'), [{ kind: 'eof' }]);
});

test('line discipline: no echo for secrets, but ^C still shows', () => {
  const ld = new LineDiscipline();
  ld.echo = false;
  const evs = ld.feed('s3cret\r');
  assert.equal(echoed(evs), '');
  assert.deepEqual(lines(evs), ['s3cret\n']);
  assert.equal(echoed(ld.feed('\x03')), '^C\r\n');
});

const submitted = (evs: EditorEvent[]) => evs.flatMap((e) => (e.kind === 'submit' ? [e.line] : []));
const shown = (evs: EditorEvent[]) => evs.flatMap((e) => (e.kind === 'output' ? [e.text] : [])).join('');

test('line editor: insert in the middle, delete, home/end', () => {
  const ed = new LineEditor();
  ed.feed('berth imges');
  assert.equal(shown(ed.feed('\x1b[D\x1b[D\x1b[D')), '\x1b[1D\x1b[1D\x1b[1D');
  // typing inside the line redraws its rest and steps back over it
  assert.equal(shown(ed.feed('a')), 'ages\x1b[3D');
  assert.equal(ed.text, 'berth images');
  ed.feed('\x01\x1b[3~\x1b[3~\x1b[3~\x1b[3~\x1b[3~\x1b[3~');
  assert.equal(ed.text, 'images');
  ed.feed('\x05 -q\x17\x17');
  assert.equal(ed.text, '');
  assert.deepEqual(submitted(ed.feed('berth ps -a\x1b[D\x1b[D\x0b\r')), ['berth ps ']);
});

test('line editor: history with up/down keeps the draft; blank and repeated lines are not remembered', () => {
  const ed = new LineEditor();
  for (const l of ['berth images', 'berth ps', 'berth ps', '   ']) ed.feed(l + '\r');
  assert.deepEqual(ed.entries, ['berth images', 'berth ps']);
  ed.feed('berth ver');
  ed.feed('\x1b[A');
  assert.equal(ed.text, 'berth ps');
  ed.feed('\x1b[A\x1b[A');
  assert.equal(ed.text, 'berth images', 'up stops at the oldest entry');
  ed.feed('\x1b[B\x1b[B');
  assert.equal(ed.text, 'berth ver', 'down past the newest entry gives the draft back');
  ed.feed('\x1b[A');
  assert.deepEqual(submitted(ed.feed('\r')), ['berth ps']);
});

test('line editor: ctrl-c cancels the line, ctrl-l asks for a clear screen', () => {
  const ed = new LineEditor();
  const evs = ed.feed('berth pu\x03');
  assert.deepEqual(evs.at(-1), { kind: 'cancel' });
  assert.equal(ed.text, '');
  assert.deepEqual(ed.feed('\x0c'), [{ kind: 'clear' }]);
  assert.deepEqual(ed.entries, []);
});

test('line editor: a line longer than the terminal is edited by row and column', () => {
  // 10 columns, a prompt of 2: the line's positions 0-7 are on the first row, 8-17 on the second.
  const ed = new LineEditor({ columns: () => 10, promptWidth: 2 });
  assert.equal(shown(ed.feed('abcdefg')), 'abcdefg');
  // the 8th character fills the row: the cursor is stepped onto the next row explicitly
  assert.equal(shown(ed.feed('h')), 'h \r');
  assert.equal(shown(ed.feed('ij')), 'ij');
  assert.equal(shown(ed.feed('\x01')), '\x1b[1A\x1b[3G', 'home goes up a row, to the column after the prompt');
  assert.equal(shown(ed.feed('\x05')), '\x1b[1B\x1b[3G');
  // inserting at the start redraws both rows and comes back
  ed.feed('\x01');
  assert.equal(shown(ed.feed('X')), 'Xabcdefghij\x1b[1A\x1b[4G');
  assert.equal(ed.text, 'Xabcdefghij');
  // a shorter history entry clears the rows the long line used
  ed.feed('\r');
  ed.feed('ls\r');
  ed.feed('\x1b[A\x1b[A');
  assert.equal(ed.text, 'Xabcdefghij');
  assert.equal(shown(ed.feed('\x1b[B')), '\x1b[1A\x1b[3Gls\x1b[J');
});

test('output: LF becomes CRLF for the terminal, an existing CRLF stays', () => {
  assert.equal(crlf('a\nb\r\nc\n'), 'a\r\nb\r\nc\r\n');
  assert.deepEqual(crlf(new TextEncoder().encode('a\nb\r\n')), new TextEncoder().encode('a\r\nb\r\n'));
  const untouched = new Uint8Array([0x61, 0x62]);
  assert.equal(crlf(untouched), untouched);
});

test('line editor: a restored history is browsed like a typed one', () => {
  const ed = new LineEditor();
  ed.restoreHistory(['berth images', 'berth ps']);
  ed.feed('\x1b[A\x1b[A');
  assert.equal(ed.text, 'berth images');
  ed.feed('\r');
  assert.deepEqual(ed.entries, ['berth images', 'berth ps', 'berth images']);
});
