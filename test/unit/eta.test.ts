import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { formatBytes, formatCount, formatDuration, RateMeter } from '../../src/shared/eta';
import { describeUpdate } from '../../src/worker/updateLoop';

test('durations read 0:40, 12:05, 1:02:03', () => {
  assert.equal(formatDuration(40), '0:40');
  assert.equal(formatDuration(0), '0:00');
  assert.equal(formatDuration(725), '12:05');
  assert.equal(formatDuration(3723), '1:02:03');
  assert.equal(formatDuration(-5), '0:00');
});

test('counts have thousands separators whatever the locale; bytes have units', () => {
  assert.equal(formatCount(1762), '1,762');
  assert.equal(formatCount(999), '999');
  assert.equal(formatCount(1234567), '1,234,567');
  assert.equal(formatBytes(8_400_000), '8.4 MB');
  assert.equal(formatBytes(512_000), '512 KB');
  assert.equal(formatBytes(900), '900 B');
});

test('the time left comes from the measured rate, only once there is one', () => {
  const m = new RateMeter();
  assert.equal(m.sample('a|embedding', 0, 1762, 0), undefined, 'no rate yet');
  assert.equal(m.sample('a|embedding', 20, 1762, 1000), undefined, 'under 2 s of progress');
  // 20 chunks/s (the first sample, at 0 s, is older than the 20 s window): 1,240 done at 62 s, 522 left -> 26 s.
  assert.equal(m.sample('a|embedding', 1240, 1762, 62_000), 26);
  assert.equal(m.perSecond, 20, 'the rate itself, for the status bar');
  // A new phase starts over.
  assert.equal(m.sample('a|saving', 0, 10, 63_000), undefined);
  assert.equal(m.perSecond, undefined);
});

test('the rate follows the last 20 s, not the whole run', () => {
  const m = new RateMeter();
  // 10/s for 60 s, then 40/s.
  let t = 0;
  let done = 0;
  for (; t <= 60_000; t += 1000, done += 10) m.sample('k', done, 10_000, t);
  let eta: number | undefined;
  for (let i = 0; i < 30; i++, t += 1000, done += 40) eta = m.sample('k', done, 10_000, t);
  const left = 10_000 - (done - 40);
  assert.equal(eta, Math.round(left / 40));
});

test('an update ends with one line: duration, counts, rate', () => {
  const line = describeUpdate('express', { files: 210, chunks: 1762, embedded: 1762, reused: 0, deleted: 2, skipped: 3, seconds: 31.2 });
  assert.equal(line, 'Updated express in 31.2 s: 210 files and 1,762 chunks in the index; 1,762 chunks embedded (56.5/s), 2 files removed, 3 skipped.');
});
