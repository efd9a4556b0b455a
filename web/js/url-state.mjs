// url-state.mjs - the view a teacher links to lives in the query string:
// panel, model, img (test-set index), cls (Grad-CAM class), block, seed, lang, embed, lesson.
// set() rewrites the URL with history.replaceState (no reload, no history spam).

const listeners = new Set();

export function get(key) {
  return new URLSearchParams(location.search).get(key);
}
export function getInt(key, fallback = null) {
  const v = get(key);
  if (v === null || v === '' || !/^-?\d+$/.test(v)) return fallback;
  return parseInt(v, 10);
}
export function all() {
  return Object.fromEntries(new URLSearchParams(location.search));
}
export function set(obj) {
  const p = new URLSearchParams(location.search);
  let changed = false;
  for (const [k, v] of Object.entries(obj)) {
    const s = v === null || v === undefined || v === '' ? null : String(v);
    if (p.get(k) !== s) {
      changed = true;
      if (s === null) p.delete(k); else p.set(k, s);
    }
  }
  if (!changed) return;
  const q = p.toString();
  history.replaceState(null, '', location.pathname + (q ? '?' + q : '') + location.hash);
  for (const f of listeners) f(obj);
}
export function onChange(f) { listeners.add(f); return () => listeners.delete(f); }

// The URL of the current view for an iframe: embed=1 added.
export function embedUrl() {
  const u = new URL(location.href);
  u.searchParams.set('embed', '1');
  u.searchParams.delete('lesson');
  return u.toString();
}
