// run-store.mjs - keeps the last training run's checkpoint (from wasm/worker.mjs), its curves
// and its settings in IndexedDB, so a reload or a crashed tab can resume the run exactly.
// One record, key 'last'. Every function resolves (null/false) rather than throwing when
// IndexedDB is unavailable (private windows, file://), so training never depends on it.

const DB = 'excite', STORE = 'runs', VERSION = 1;

function open() {
  return new Promise((resolve, reject) => {
    if (!globalThis.indexedDB) { reject(new Error('no IndexedDB')); return; }
    const r = indexedDB.open(DB, VERSION);
    r.onupgradeneeded = () => { if (!r.result.objectStoreNames.contains(STORE)) r.result.createObjectStore(STORE); };
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}

async function tx(mode, f) {
  const db = await open();
  try {
    return await new Promise((resolve, reject) => {
      const t = db.transaction(STORE, mode);
      const req = f(t.objectStore(STORE));
      t.oncomplete = () => resolve(req && req.result);
      t.onerror = () => reject(t.error);
      t.onabort = () => reject(t.error);
    });
  } finally {
    db.close();
  }
}

// The checkpoint's trainer states (megabytes each) are stored as Blobs: put() then hands
// them over as they are, where typed arrays would be serialized (and compressed) on the main
// thread, some 0.4 s per save of two models that the training threads need on two cores.
// Callers see Uint8Arrays either way.
const trainersOf = (record) => (record && record.checkpoint && record.checkpoint.trainers) || null;
const withTrainers = (record, trainers) => ({ ...record, checkpoint: { ...record.checkpoint, trainers } });

export async function saveRun(record, key = 'last') {
  try {
    const t = trainersOf(record);
    const stored = t ? withTrainers(record, Object.fromEntries(Object.entries(t).map(([k, v]) => [k, ArrayBuffer.isView(v) ? new Blob([v]) : v]))) : record;
    await tx('readwrite', (s) => s.put(stored, key));
    return true;
  } catch (e) { console.warn('run-store: not saved:', e); return false; }
}
export async function loadRun(key = 'last') {
  try {
    const rec = (await tx('readonly', (s) => s.get(key))) || null, t = trainersOf(rec);
    if (!t) return rec;
    const trainers = {};
    for (const [k, v] of Object.entries(t)) trainers[k] = v instanceof Blob ? new Uint8Array(await v.arrayBuffer()) : v;
    return withTrainers(rec, trainers);
  } catch { return null; }
}
export async function deleteRun(key = 'last') {
  try { await tx('readwrite', (s) => s.delete(key)); return true; } catch { return false; }
}
