// user-store.mjs - the "Your images" set in IndexedDB (database 'excite-images'), so a reload
// keeps it: the classes { id, name } and the pictures { id, cls, bytes: Uint8Array(3072) }
// (the 32x32 inputs; the original files are never stored). Every change is one transaction:
// when the browser refuses it (QuotaExceededError, or any other failure) nothing of it is
// written and everything stored before stays. Failures reject with an Error whose .code is a
// message key ('ui.err.quota', 'ui.err.store').

const DB = 'excite-images', VERSION = 1;

function open() {
  return new Promise((resolve, reject) => {
    if (!globalThis.indexedDB) { reject(coded('ui.err.noStore', {})); return; }
    const r = indexedDB.open(DB, VERSION);
    r.onupgradeneeded = () => {
      const db = r.result;
      if (!db.objectStoreNames.contains('classes')) db.createObjectStore('classes', { keyPath: 'id', autoIncrement: true });
      if (!db.objectStoreNames.contains('images')) db.createObjectStore('images', { keyPath: 'id', autoIncrement: true }).createIndex('cls', 'cls');
    };
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(coded('ui.err.store', { msg: String(r.error && r.error.message) }));
  });
}

function coded(code, vars, cause) { const e = new Error(code); e.code = code; e.vars = vars; if (cause) e.cause = cause; return e; }
const failure = (err) => (err && err.name === 'QuotaExceededError'
  ? coded('ui.err.quota', {}, err) : coded('ui.err.store', { msg: (err && (err.message || err.name)) || 'unknown' }, err));

// Run f(stores, results) in one readwrite/readonly transaction over both stores; resolves
// with whatever f put in results once the transaction has committed.
async function tx(mode, f) {
  const db = await open();
  try {
    return await new Promise((resolve, reject) => {
      let t;
      const out = {};
      try {
        t = db.transaction(['classes', 'images'], mode);
        f({ classes: t.objectStore('classes'), images: t.objectStore('images') }, out);
      } catch (e) { try { t && t.abort(); } catch { /* already aborted */ } reject(failure(e)); return; }
      t.oncomplete = () => resolve(out);
      t.onabort = () => reject(failure(t.error));
      t.onerror = (ev) => { ev.preventDefault(); };
    });
  } finally { db.close(); }
}

// -> [{ id, name, images: [{ id, bytes }] }] in the order they were made (ids ascending)
export async function load() {
  const r = await tx('readonly', (s, out) => {
    s.classes.getAll().onsuccess = (e) => { out.classes = e.target.result; };
    s.images.getAll().onsuccess = (e) => { out.images = e.target.result; };
  });
  const classes = r.classes.map((c) => ({ id: c.id, name: c.name, images: [] }));
  const byId = new Map(classes.map((c) => [c.id, c]));
  for (const im of r.images) byId.get(im.cls)?.images.push({ id: im.id, bytes: new Uint8Array(im.bytes) });
  return classes;
}

export async function addClass(name) {
  const r = await tx('readwrite', (s, out) => { s.classes.add({ name }).onsuccess = (e) => { out.id = e.target.result; }; });
  return r.id;
}
export const renameClass = (id, name) => tx('readwrite', (s) => { s.classes.put({ id, name }); });
export const deleteClass = (id) => tx('readwrite', (s) => {
  s.classes.delete(id);
  s.images.index('cls').openKeyCursor(IDBKeyRange.only(id)).onsuccess = (e) => { const c = e.target.result; if (c) { s.images.delete(c.primaryKey); c.continue(); } };
});
export const deleteImage = (id) => tx('readwrite', (s) => { s.images.delete(id); });

// Add pictures (Uint8Array(3072) each) to class cls, all or none -> their ids.
export async function addImages(cls, list) {
  const r = await tx('readwrite', (s, out) => {
    out.ids = [];
    list.forEach((bytes, k) => { s.images.add({ cls, bytes }).onsuccess = (e) => { out.ids[k] = e.target.result; }; });
  });
  return r.ids;
}

// Add an imported set, all or nothing: [{ id (an existing class) or name (a new one), images:
// [bytes] }] -> the stored classes as load() returns them.
export async function addSet(entries) {
  await tx('readwrite', (s) => {
    const addTo = (cls, images) => { for (const bytes of images) s.images.add({ cls, bytes }); };
    for (const e of entries) {
      if (e.id !== undefined) addTo(e.id, e.images);
      else s.classes.add({ name: e.name }).onsuccess = (ev) => addTo(ev.target.result, e.images);
    }
  });
  return load();
}

// { usage, quota } of the origin's storage (bytes), or null when the browser does not say.
export async function estimate() {
  try { const e = await navigator.storage.estimate(); return { usage: e.usage || 0, quota: e.quota || 0 }; } catch { return null; }
}
