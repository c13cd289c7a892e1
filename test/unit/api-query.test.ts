// Query values and filters as dockerd reads them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { boolParam, parseFilters, parseTimestampNanos } from '../../core/api/query.ts';

test('boolParam follows dockerd\'s BoolValue', () => {
  const q = new URLSearchParams('a=1&b=true&c=0&d=false&e=no&f=none&g=&h=yes');
  assert.deepEqual(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'missing'].map((k) => boolParam(q, k)), [true, true, false, false, false, false, false, true, false]);
});

test('filters in map-of-bools and list forms', () => {
  assert.deepEqual(parseFilters('{"type":{"image":true,"container":true},"event":["pull"]}'), new Map([['type', ['image', 'container']], ['event', ['pull']]]));
  assert.deepEqual(parseFilters('{"dangling":{"true":false}}'), new Map([['dangling', []]]));
  assert.deepEqual(parseFilters(null), new Map());
  assert.throws(() => parseFilters('{bad'), /invalid filter/);
  assert.throws(() => parseFilters('{"x":["1"]}', ['dangling']), /invalid filter 'x'/);
});

test('timestamps: seconds with nanoseconds, or RFC 3339', () => {
  assert.equal(parseTimestampNanos('1700000000.000000001'), 1700000000000000001n);
  assert.equal(parseTimestampNanos('1700000000'), 1700000000000000000n);
  assert.equal(parseTimestampNanos('2024-01-01T00:00:00Z'), 1704067200000000000n);
  assert.throws(() => parseTimestampNanos('yesterday'), /failed to parse value as time or duration/);
});
