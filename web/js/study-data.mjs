// study-data.mjs - the studies' numbers the page quotes, as scripts/*.py write them from the
// committed logs (web/data/*.json; the model card's tables come from the same logs):
// se-study.json (dead SE units per reduction ratio, scripts/se_study.py) and full-study.json
// (CNN vs CNN_SE on the full schedule, scripts/full_study.py). Each is fetched once per page;
// a failed fetch is tried again at the next call.

const cache = new Map();

export function loadStudy(name) {
    if (!cache.has(name)) {
        const url = new URL(`../data/${name}.json`, import.meta.url);
        const p = fetch(url).then((r) => {
            if (!r.ok) throw new Error(`${url.pathname}: HTTP ${r.status}`);
            return r.json();
        });
        p.catch(() => cache.delete(name));
        cache.set(name, p);
    }
    return cache.get(name);
}
