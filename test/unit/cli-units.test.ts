import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bytesSize, createdSince, formatG, goTimeString, humanDuration, humanSize, humanSizeWithPrecision, ramInBytes, rfc3339Local } from '../../core/cli/units.ts';

test('sizes as go-units prints them', () => {
  assert.equal(humanSizeWithPrecision(1982263, 3), '1.98MB');
  assert.equal(humanSize(1982263), '1.982MB');
  assert.equal(humanSizeWithPrecision(4261412, 3), '4.26MB');
  assert.equal(humanSizeWithPrecision(1090, 3), '1.09kB');
  assert.equal(humanSizeWithPrecision(3, 3), '3B');
  assert.equal(humanSizeWithPrecision(0, 3), '0B');
  assert.equal(humanSizeWithPrecision(999999, 3), '1e+03kB');
  assert.equal(humanSize(36445), '36.45kB');
  assert.equal(humanSize(1088530), '1.089MB');
  assert.equal(bytesSize(25282220032), '23.55GiB');
  assert.equal(bytesSize(64 * 1024 * 1024), '64MiB');
  assert.equal(formatG(0.5, 3), '0.5');
  assert.equal(formatG(100, 3), '100');
});

test('RAMInBytes', () => {
  assert.equal(ramInBytes('64m'), 67108864);
  assert.equal(ramInBytes('64M'), 67108864);
  assert.equal(ramInBytes('1g'), 1073741824);
  assert.equal(ramInBytes('1.5kb'), 1536);
  assert.equal(ramInBytes('100'), 100);
  assert.throws(() => ramInBytes('garbage'), /^Error: invalid size: 'garbage'$/);
  assert.throws(() => ramInBytes('-1'), /invalid size/);
  assert.throws(() => ramInBytes('1.2.3m'), /^Error: invalid size: '1.2.3m'$/);
});

test('HumanDuration and CREATED', () => {
  assert.equal(humanDuration(500), 'Less than a second');
  assert.equal(humanDuration(1000), '1 second');
  assert.equal(humanDuration(59_000), '59 seconds');
  assert.equal(humanDuration(90_000), 'About a minute');
  assert.equal(humanDuration(14 * 60_000), '14 minutes');
  assert.equal(humanDuration(60 * 60_000), 'About an hour');
  assert.equal(humanDuration(5 * 3_600_000), '5 hours');
  assert.equal(humanDuration(3 * 86_400_000), '3 days');
  assert.equal(humanDuration(20 * 86_400_000), '2 weeks');
  assert.equal(humanDuration(90 * 86_400_000), '3 months');
  assert.equal(humanDuration(800 * 86_400_000), '2 years');
  const now = new Date('2026-01-01T00:10:00Z');
  assert.equal(createdSince(Date.parse('2026-01-01T00:00:00Z') / 1000, now), '10 minutes ago');
  assert.equal(createdSince(0, now), '');
});

test("Go's time layouts", () => {
  assert.equal(goTimeString(new Date('2026-11-24T06:48:59Z'), { timeZone: 'UTC' }), '2026-11-24 06:48:59 +0000 UTC');
  assert.equal(rfc3339Local(new Date('2026-11-24T06:48:59Z'), { timeZone: 'UTC' }), '2026-11-24T06:48:59Z');
});
