// user_set.test.mjs - the "Your images" rules without a browser (web/js/user-set.mjs): class
// names (any script, duplicates, folder-safe), the label order, the PNG of a 32x32 input, the
// zip export read back, paths outside the zip's root, the seeded stratified split.
import assert from 'node:assert/strict';
import { zipSync } from '../web/vendor/fflate.mjs';
import * as us from '../web/js/user-set.mjs';
import { loadExcite } from '../wasm/excite.mjs';

const ex = await loadExcite({ threads: false });

let n = 0;
const ok = (what, f) => { f(); n++; console.log(`  ok   ${what}`); };
const cls = (...names) => names.map((name, id) => ({ id, name, images: [] }));

ok('names: Chinese accepted, duplicates (case, NFC, spaces) and folder-unsafe names refused', () => {
  assert.equal(us.nameProblem('猫', cls('cat')), null);
  assert.equal(us.nameProblem(' Cat ', cls('cat')).code, 'ui.err.nameDup');
  assert.equal(us.nameProblem('e\u0301', cls('\u00e9')).code, 'ui.err.nameDup');
  assert.equal(us.nameProblem('cat', cls('cat'), 0), null, 'renaming a class to its own name');
  for (const bad of ['a/b', '..', 'x:y', 'a\\b']) assert.equal(us.nameProblem(bad, []).code, 'ui.err.nameChars', bad);
  assert.equal(us.nameProblem('   ', []).code, 'ui.err.nameEmpty');
  assert.equal(us.nameProblem('x'.repeat(us.MAX_NAME_BYTES + 1), []).code, 'ui.err.nameLong');
  assert.equal(us.nameProblem('猫'.repeat(21), []), null);
  assert.equal(us.nameProblem('猫'.repeat(22), []).code, 'ui.err.nameLong', '22 Chinese characters are 66 bytes');
  assert.equal(us.addClassProblem(cls(...'abcdefghij')).code, 'ui.err.tooMany');
  assert.equal(us.addClassProblem(cls(...'abcdefghi')), null);
});

ok('label order is code-point order (as ImageFolder numbers its folders)', () => {
  assert.deepEqual(us.ordered(cls('方块', 'stripes', 'Disc', 'disc')).map((c) => c.name), ['Disc', 'disc', 'stripes', '方块']);
});

ok('training needs 2..10 classes, each with pictures', () => {
  const one = [{ id: 0, name: 'a', images: [{ bytes: new Uint8Array(3072) }] }];
  assert.equal(us.trainProblem(one).code, 'ui.err.fewClasses');
  assert.equal(us.trainProblem([...one, { id: 1, name: 'b', images: [] }]).code, 'ui.err.emptyClass');
  const two = [{ bytes: new Uint8Array(3072) }, { bytes: new Uint8Array(3072) }];
  assert.equal(us.trainProblem([{ id: 0, name: 'a', images: two }, { id: 1, name: 'b', images: two }]), null);
});

const pic = (seed) => { const b = new Uint8Array(3072); let s = seed; for (let i = 0; i < b.length; i++) { s = (s * 1103515245 + 12345) >>> 0; b[i] = s >>> 24; } return b; };
ok('a 32x32 input -> PNG -> the same bytes; the PNG is deterministic', () => {
  const x = pic(7), p = us.inputToPng(x);
  assert.deepEqual([...p.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  assert.deepEqual(us.pngToInput(p), x);
  assert.deepEqual(us.inputToPng(x), p);
});

ok('export zip: <class>/0001.png ... in label order, read back with the same bytes and order', () => {
  const set = [{ id: 1, name: '方块', images: [pic(1), pic(2)].map((bytes, id) => ({ id, bytes })) },
    { id: 2, name: 'disc', images: [pic(3), pic(4), pic(5)].map((bytes, id) => ({ id, bytes })) }];
  const z = us.exportZip(set);
  const r = us.readZip(z);
  assert.deepEqual(r.classes.map((c) => c.name), ['disc', '方块']);
  assert.deepEqual(r.classes[0].files.map((f) => f.path), ['disc/0001.png', 'disc/0002.png', 'disc/0003.png']);
  assert.deepEqual(r.classes[1].files.map((f) => us.pngToInput(f.bytes)), [pic(1), pic(2)]);
  assert.deepEqual(us.exportZip(set), z, 'the same set gives the same zip bytes');
});

ok('zip import: a top folder is accepted; ../ and absolute paths, damaged and empty zips are refused', () => {
  const png = us.inputToPng(pic(9));
  const r = us.readZip(zipSync({ 'set/a/0.png': png, 'set/b/0.png': png, 'set/b/1.png': png }));
  assert.deepEqual(r.classes.map((c) => [c.name, c.files.length]), [['a', 1], ['b', 2]]);
  const code = (f) => { try { f(); } catch (e) { return e.code; } return null; };
  assert.equal(code(() => us.readZip(zipSync({ 'a/0.png': png, '../b/0.png': png }))), 'ui.err.zipPath');
  assert.equal(code(() => us.readZip(zipSync({ '/etc/0.png': png }))), 'ui.err.zipPath');
  assert.equal(code(() => us.readZip(zipSync({ 'a/../../0.png': png }))), 'ui.err.zipPath');
  assert.equal(code(() => us.readZip(new Uint8Array([1, 2, 3, 4, 5]))), 'ui.err.zipBad');
  assert.equal(code(() => us.readZip(zipSync({ 'readme.txt': new Uint8Array(3) }))), 'ui.err.zipEmpty');
});

ok('split: the core\'s (ex.splitImages), seeded, stratified 80/20, every picture once', () => {
  const counts = [50, 59, 7, 2];
  const classes = counts.map((n, c) => ({ name: `c${c}`, images: Array.from({ length: n }, (_, i) => ({ bytes: pic(c * 100 + i) })) }));
  const s = us.split(classes, { ex });
  const all = [...s.train, ...s.test].sort((a, b) => a - b);
  assert.deepEqual(all, Array.from({ length: 118 }, (_, i) => i), 'every picture once');
  let o = 0;
  const perClass = counts.map((n) => { const k = s.test.filter((i) => i >= o && i < o + n).length; o += n; return k; });
  assert.deepEqual(perClass, [10, 12, 1, 1]);
  assert.equal(us.testFraction(ex), 0.2);
  assert.deepEqual(us.split(classes, { ex }), s);
  assert.notDeepEqual(us.split(classes, { ex, seed: 2 }), s);
  const a = us.splitArrays(classes.slice(2), { ex });
  assert.equal(a.train.n + a.test.n, 9);
  assert.deepEqual([...a.test.labels], [0, 1]);
  assert.deepEqual(a.counts, [{ name: 'c2', train: 6, test: 1 }, { name: 'c3', train: 1, test: 1 }]);
  assert.equal(us.trainProblem([classes[0], { name: 'x', images: [classes[0].images[0]] }]).code, 'ui.err.onePicture');
});
ex.dispose();
console.log(`user_set.test: ${n} checks passed`);
