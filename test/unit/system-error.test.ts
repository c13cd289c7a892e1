// Node's system errors in Go's words, as dockerd's answers read them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, rename } from 'node:fs/promises';
import { BerthError } from '../../core/errors.ts';
import { errorText, isStorageFailure, systemErrorText } from '../../core/system-error.ts';

test("a real fs error reads as Go's os.PathError", async () => {
  const e = await readFile('/nonexistent/berth-file').catch((err: unknown) => err);
  assert.equal(systemErrorText(e), 'open /nonexistent/berth-file: no such file or directory');
  // Two paths: Go names the first.
  const r = await rename('/nonexistent/a', '/nonexistent/b').catch((err: unknown) => err);
  assert.equal(errorText(r), 'rename /nonexistent/a: no such file or directory');
});

test('a write without a path, and which errors mean the disk cannot take it now', () => {
  const enospc = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', syscall: 'write', errno: -28 });
  assert.equal(errorText(enospc), 'write: no space left on device');
  assert.equal(isStorageFailure(enospc), true);
  assert.equal(isStorageFailure(Object.assign(new Error('EDQUOT: disk quota exceeded, write'), { code: 'EDQUOT' })), true);
  assert.equal(isStorageFailure(Object.assign(new Error('ENOENT: no such file or directory, open'), { code: 'ENOENT' })), false);
});

test("berth's own errors and plain ones keep their message", () => {
  assert.equal(errorText(new BerthError('not_found', 'No such container: x')), 'No such container: x');
  assert.equal(errorText(new Error('something else')), 'something else');
  assert.equal(errorText('a string'), 'a string');
});
