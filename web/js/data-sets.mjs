// data-sets.mjs - the CIFAR-10 the page trains, shows and evaluates on. The server lists its
// sets in web/data/index.json: the committed demo subset (web/data/cifar10-demo/, the first
// 5,000 training and 1,000 test records of the official batches) always, the full set
// (/data/cifar10/) first when scripts/serve.mjs serves one. Listing them in one file means the
// page never requests a batch that is not there. A cifar-10-binary.tar.gz the user opens is
// one more source. One source is in use at a time; its sizes bound the page's choices.

export const INDEX = new URL('../data/index.json', import.meta.url);

// [{ id, base (absolute URL of the folder), train, test }] of a parsed index.json, relative
// bases resolved against indexUrl; entries that are not well formed are left out.
export function parseIndex(json, indexUrl = INDEX) {
  const sets = Array.isArray(json && json.sets) ? json.sets : [];
  const ok = (n, max) => Number.isInteger(n) && n > 0 && n <= max;
  return sets.filter((s) => s && typeof s.id === 'string' && /^[a-z0-9-]{1,32}$/.test(s.id) &&
                            typeof s.base === 'string' && ok(s.train, 50000) && ok(s.test, 10000))
    .map((s) => ({ id: s.id, base: new URL(s.base.endsWith('/') ? s.base : s.base + '/', indexUrl).href, train: s.train, test: s.test }));
}

export async function listSets() {
  try {
    const r = await fetch(INDEX, { cache: 'no-cache' });
    return r.ok ? parseIndex(await r.json()) : [];
  } catch { return []; }
}

// The set to start with: the one the URL names (?data=), else the first listed.
export function pickDefault(sets, wanted) {
  return sets.find((s) => s.id === wanted) || sets[0] || null;
}

// Translated name of a source ({ id, train, test, name }).
export function label(src, t, lang) {
  if (!src) return t('app.data.nothing');
  const fmt = (n) => n.toLocaleString(lang === 'zh' ? 'zh-CN' : 'en');
  const vars = { train: fmt(src.train), test: fmt(src.test), name: src.name || '' };
  if (src.id === 'archive') return t('app.data.archive', vars);
  if (src.id === 'user') return t('app.data.user', { ...vars, classes: src.classes });
  if (src.id === 'full') return t('app.data.full', vars);
  if (src.id === 'demo') return t('app.data.demo', vars);
  return t('app.data.other', { ...vars, id: src.id });
}

// Whether a run of trainSize/testSize images fits the source; else the translated reason.
export function tooBig(src, trainSize, testSize, t) {
  if (trainSize <= src.train && testSize <= src.test) return null;
  return t('app.data.tooBig', { train: trainSize, test: testSize, haveTrain: src.train, haveTest: src.test });
}

// Disable the options of a <select> of image counts above max (the source in use holds no
// more); a value above it moves to the largest one left.
export function limitSelect(select, max) {
  if (!max) return;
  let best = null;
  for (const o of select.options) { o.disabled = Number(o.value) > max; if (!o.disabled) best = o; }
  if (Number(select.value) > max && best) select.value = best.value;
}

// The source for id ('demo', 'full', 'archive', ...) among the listed sets and an opened
// archive ({ name, train, test } with image counts) and the user's set ({ classes, train,
// test }); unknown ids fall back to the default set.
// -> { source: 'server'|'archive'|'user'|null, id, name, base?, train, test, classes? }.
export function sourceFor(id, sets, archive, user = null) {
  if (id === 'user' && user) return { source: 'user', id: 'user', name: null, ...user };
  if (id === 'archive' && archive) return { source: 'archive', id: 'archive', name: archive.name, train: archive.train, test: archive.test };
  const s = pickDefault(sets || [], id);
  return s ? { source: 'server', ...s, name: null } : { source: null, id: null, name: null, train: 0, test: 0 };
}
