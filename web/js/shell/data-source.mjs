// data-source.mjs - the CIFAR-10 in use (data-sets.mjs: the sets web/data/index.json lists,
// or a cifar-10-binary.tar.gz the user opened): its test images for the gallery and
// evaluation, and training data for the Train panel. Announces 'data-changed' on events.

import * as dataSets from '../data-sets.mjs';

const CIFAR_URL = new URL('../../../wasm/cifar.mjs', import.meta.url);
const IMG = 3072;

// data service. urlState: { get, set }; t: translator (error messages); user: the "Your
// images" set (user-data.mjs), source 'user' (its split: training and test pictures).
export function createDataSource({ events, urlState, t, user = null }) {
  let cifarModule = null;
  const cifar = async () => cifarModule || (cifarModule = await import(CIFAR_URL.href));
  let sets = null;               // [{ id, base, train, test }] once index.json is read
  let current = { source: null, id: null, name: null, train: 0, test: 0 };
  let testCache = null;          // { id, n, images, labels } of the source in use
  let archive = null;            // { train, test, name } from the archive the user opened
  const testLoads = new Map();   // "id|n" -> Promise, so panels asking at once share one download

  let userSplit = null;          // the user set's split, made when needed
  const userInfo = () => {
    if (!user || !user.classes().length) return null;
    if (user.trainProblem()) return { classes: user.classes().length, train: 0, test: 0 };
    try { userSplit = userSplit || user.split(); } catch { return { classes: user.classes().length, train: 0, test: 0 }; }   // the module is loading
    return { classes: user.classes().length, train: userSplit.train.n, test: userSplit.test.n };
  };
  // the user's set changed: new split; if it is in use, its test images and sizes change too
  if (user) events.addEventListener('user-set-changed', () => {
    userSplit = null;
    if (current.id === 'user') {
      testCache = null;
      if (!user.classes().length) { choose(null); return; }
      current = dataSets.sourceFor('user', sets, null, userInfo());
      events.dispatchEvent(new CustomEvent('data-changed', { detail: {} }));
    }
    events.dispatchEvent(new CustomEvent('data-list-changed'));
  });

  function choose(id, { initial = false } = {}) {
    const src = dataSets.sourceFor(id, sets, archive && { name: archive.name, train: archive.train.n, test: archive.test.n }, userInfo());
    const changed = src.id !== current.id;
    current = src;
    if (changed) testCache = null;
    // ?data= only when the choice is not the default (an embed then trains on the same set)
    if (!initial) urlState.set({ data: (src.source === 'server' && src.id !== sets?.[0]?.id) || src.id === 'user' ? src.id : null });
    events.dispatchEvent(new CustomEvent('data-list-changed'));
    if (changed) events.dispatchEvent(new CustomEvent('data-changed', { detail: {} }));
  }
  const listed = Promise.all([dataSets.listSets(), user && user.ready]).then(([s]) => { sets = s; choose(urlState.get('data'), { initial: true }); return s; });

  return {
    listed,
    choose,
    // the source in use (see dataSets.sourceFor)
    current: () => current,
    // every source to offer: the listed sets, then the opened archive
    sources() {
      const u = userInfo();
      return [...(sets || []), ...(archive ? [{ id: 'archive', name: archive.name, train: archive.train.n, test: archive.test.n }] : []),
        ...(u ? [{ id: 'user', ...u }] : [])];
    },
    // the class names of the source in use (label order), or null for CIFAR-10's
    classNames: () => (current.id === 'user' && user ? user.names() : null),
    get listing() { return sets === null; },

    // The first n test images (at least n, up to what the source holds).
    async testSet(n = 1000) {
      await listed;
      const src = current;
      if (!src.source) throw new Error(t('app.data.needed'));
      n = Math.min(n, src.test);
      if (testCache && testCache.id === src.id && testCache.n >= n) return testCache;
      if (src.source === 'user') {
        const p = user.trainProblem();
        if (p) throw new Error(t(p.code, p.vars));
        userSplit = userSplit || user.split();
        return (testCache = { id: 'user', ...userSplit.test });
      }
      if (src.source === 'archive') return (testCache = { id: 'archive', ...archive.test });
      for (const [k, p] of testLoads) { const [id, m] = k.split('|'); if (id === src.id && Number(m) >= n) return p; }
      const key = `${src.id}|${n}`;
      const p = (async () => {
        const c = await cifar();
        const { test } = await c.loadCifarFromServer({ baseUrl: src.base, trainSize: 0, testSize: n });
        if (current.id === src.id && (!testCache || testCache.id !== src.id || test.n > testCache.n)) testCache = { id: src.id, ...test };
        return { id: src.id, ...test };
      })();
      testLoads.set(key, p);
      try { return await p; } finally { testLoads.delete(key); }
    },

    // Training data: { train, test } copies of subsets (the caller may transfer them), or
    // { baseUrl } when the worker can fetch from the server itself.
    async trainData({ trainSize, testSize, seed }) {
      await listed;
      const src = current;
      if (!src.source) throw new Error(t('app.data.needed'));
      if (src.source === 'user') {
        const p = user.trainProblem();
        if (p) throw new Error(t(p.code, p.vars));
        if (seed !== undefined) user.setSeed(seed);   // the run's split (its test pictures are Evaluate's)
        const { train, test } = user.split();         // fresh copies: the caller transfers them
        return { train, test, classes: user.names() };
      }
      const why = dataSets.tooBig(src, trainSize, testSize, t);
      if (why) throw new Error(why);
      if (src.source === 'archive') {
        const cut = (d, n) => ({ n, images: d.images.slice(0, n * IMG), labels: d.labels.slice(0, n) });
        return { train: cut(archive.train, trainSize), test: cut(archive.test, testSize) };
      }
      return { baseUrl: src.base };
    },

    // Read a cifar-10-binary.tar.gz and use it (throws with the reason).
    async openArchive(file) {
      const c = await cifar();
      const d = await c.loadCifarFromTarGz(file, { trainSize: 50000, testSize: 10000 });
      archive = { train: d.train, test: d.test, name: file.name };
      choose('archive');
    },
  };
}
