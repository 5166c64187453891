/** The side panel's pure pieces (src/webview): cluster colours, the map's zoom and pan, highlighting. */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { clusterColors } from '../../src/webview/colors';
import { fit, HOME, MIN_SIZE, pan, scaleOf, zoomAt } from '../../src/webview/mapView';
import { highlightPieces } from '../../src/webview/highlight';

test('cluster colours never repeat, up to the 60 clusters the panel allows', () => {
  for (let n = 1; n <= 60; n++) {
    const c = clusterColors(n);
    assert.equal(c.length, n);
    assert.equal(new Set(c).size, n, `n=${n}: ${c.join(' ')}`);
  }
  // Up to 12, hues at least 30° apart.
  const hues = clusterColors(12).map((c) => Number(/hsl\(([\d.]+)/.exec(c)![1]));
  for (let i = 0; i < hues.length; i++) for (let j = i + 1; j < hues.length; j++) {
    const d = Math.abs(hues[i] - hues[j]);
    assert.ok(Math.min(d, 360 - d) >= 29.9, `${hues[i]} ${hues[j]}`);
  }
});

test('map zoom keeps the point under the pointer in place, within limits; pan stays over the map', () => {
  const v = zoomAt(HOME, 2, 30, 70);
  assert.ok(Math.abs(v.w - HOME.w / 2) < 1e-9);
  // (30, 70) is at the same fraction of the view before and after.
  assert.ok(Math.abs((30 - HOME.x) / HOME.w - (30 - v.x) / v.w) < 1e-9);
  assert.ok(Math.abs((70 - HOME.y) / HOME.h - (70 - v.y) / v.h) < 1e-9);
  let deep = HOME;
  for (let i = 0; i < 50; i++) deep = zoomAt(deep, 2, 50, 50);
  assert.equal(deep.w, MIN_SIZE);
  assert.deepEqual(zoomAt(HOME, 0.5, 50, 50), HOME, 'no zooming out past the whole map');
  const moved = pan(v, 1000, -1000);
  assert.ok(moved.x + moved.w <= HOME.x + HOME.w + 1e-9 && moved.y >= HOME.y - 1e-9);
  assert.equal(scaleOf(HOME), 1);
  assert.ok(Math.abs(scaleOf(v) - 0.5) < 1e-9);
});

test('fit frames a set of points with a margin', () => {
  const v = fit([{ x: 10, y: 10 }, { x: 30, y: 20 }]);
  assert.ok(v.x <= 10 && v.y <= 10 && v.x + v.w >= 30 && v.y + v.h >= 20);
  assert.ok(v.w < HOME.w / 2);
  assert.deepEqual(fit([]), HOME);
});

test('highlighting marks query words and identifier parts, case-insensitive, and keeps the text whole', () => {
  const text = 'function readUserFile(path) { return fs.readFile(path) }';
  const pieces = highlightPieces(text, 'read user_file');
  assert.equal(pieces.map((p) => p.text).join(''), text);
  assert.deepEqual(
    pieces.filter((p) => p.match).map((p) => p.text),
    ['read', 'User', 'File', 'read', 'File'],
  );
  assert.deepEqual(highlightPieces('a <b> & c', 'zz'), [{ text: 'a <b> & c', match: false }]);
});
