// user-data.mjs - the "Your images" set the page holds: the classes and their 32x32 inputs in
// memory, kept in IndexedDB by user-store.mjs (each change is stored first and applied in
// memory only once stored, so a refused write loses nothing), the split and the training
// arrays (user-set.mjs). Announces 'user-set-changed' on events.
//
//   classes(): [{ id, name, images: [{ id, bytes: Uint8Array(3072) }] }] in label order

import * as store from '../user-store.mjs';
import * as set from '../user-set.mjs';

const coded = (code, vars = {}) => { const e = new Error(code); e.code = code; e.vars = vars; return e; };

// seed(): the seed of the split when none is given (the Train panel's default run seed)
export function createUserData({ events, ex = () => null, seed = () => 1 }) {
  let list = [];                      // label order (set.ordered)
  let loadError = null, splitSeed = null;
  const changed = (what) => events.dispatchEvent(new CustomEvent('user-set-changed', { detail: { what } }));
  const byId = (id) => { const c = list.find((x) => x.id === id); if (!c) throw coded('ui.err.noClass'); return c; };
  const ready = store.load().then((cs) => { list = set.ordered(cs); changed('load'); }, (e) => { loadError = e; changed('load'); });

  const api = {
    ready,
    loadError: () => loadError,
    classes: () => list,
    names: () => list.map((c) => c.name),
    count: () => list.reduce((s, c) => s + c.images.length, 0),
    bytes: () => api.count() * set.IMG,
    async addClass(name) {
      const p = set.addClassProblem(list) || set.nameProblem(name, list);
      if (p) throw coded(p.code, p.vars);
      const n = set.cleanName(name);
      const id = await store.addClass(n);
      list = set.ordered([...list, { id, name: n, images: [] }]);
      changed('classes');
      return id;
    },
    async rename(id, name) {
      const c = byId(id);
      const p = set.nameProblem(name, list, id);
      if (p) throw coded(p.code, p.vars);
      const n = set.cleanName(name);
      await store.renameClass(id, n);
      c.name = n;
      list = set.ordered(list);
      changed('classes');
    },
    async deleteClass(id) {
      byId(id);
      await store.deleteClass(id);
      list = list.filter((c) => c.id !== id);
      changed('classes');
    },
    // inputs: [Uint8Array(3072)], all stored or none (the error says why)
    async addPictures(id, inputs) {
      const c = byId(id);
      if (!inputs.length) return [];
      const ids = await store.addImages(id, inputs);
      inputs.forEach((bytes, k) => c.images.push({ id: ids[k], bytes }));
      changed('images');
      return ids;
    },
    async deleteImage(id, imageId) {
      const c = byId(id);
      await store.deleteImage(imageId);
      c.images = c.images.filter((im) => im.id !== imageId);
      changed('images');
    },
    // [{ name, images: [bytes] }] (an imported zip) added to the set, all or nothing: pictures
    // of a class whose name is taken (ignoring case) join that class, other names are new classes
    async importSet(classes) {
      const entries = [], names = [...list];
      for (const c of classes) {
        const key = set.cleanName(c.name).toLocaleLowerCase();
        const same = list.find((x) => x.name.toLocaleLowerCase() === key);
        if (same) { entries.push({ id: same.id, images: c.images }); continue; }
        const p = set.nameProblem(c.name, names);
        if (p) throw coded(p.code, p.vars);
        names.push({ id: -1 - names.length, name: set.cleanName(c.name) });
        entries.push({ name: set.cleanName(c.name), images: c.images });
      }
      if (names.length > set.MAX_CLASSES) throw coded('ui.err.importTooMany', { n: names.length, max: set.MAX_CLASSES });
      list = set.ordered(await store.addSet(entries));
      changed('import');
    },
    exportZip: () => set.exportZip(list),
    trainProblem: () => set.trainProblem(list),
    // { train, test, counts } (copies: the caller may transfer them) of the split seed
    split: () => {
      if (!ex()) throw coded('ui.err.engine');
      return set.splitArrays(list, { ex: ex(), seed: api.seed() });
    },
    // the split's seed: the last run's (setSeed, from the Train panel), else the default run seed
    seed: () => splitSeed ?? seed(),
    setSeed(s) { if (s !== api.seed()) { splitSeed = s; changed('seed'); } },
    estimate: store.estimate,
  };
  return api;
}
