// tabs.mjs - the tab bar and one <section> per panel (index.html #tabs, #panels), with the
// keyboard of the WAI-ARIA tabs pattern (arrows, Home, End).

import { el } from '../dom.mjs';

// The tab that key moves to from current among ids, or null for other keys.
export function tabAfterKey(ids, current, key) {
  const i = Math.max(0, ids.indexOf(current));
  if (key === 'ArrowRight') return ids[(i + 1) % ids.length];
  if (key === 'ArrowLeft') return ids[(i + ids.length - 1) % ids.length];
  if (key === 'Home') return ids[0];
  if (key === 'End') return ids[ids.length - 1];
  return null;
}

// -> { mounted: Map(id -> { panel, section, tab, instance }), show(id, {focus}), current(),
//      relabel(lang) }. onShow(id) after a switch.
export function createTabs({ nav, main, panels, onShow }) {
  const mounted = new Map();
  let current = null;
  for (const p of panels) {
    const tab = el('button', { type: 'button', role: 'tab', id: `tab-${p.id}`, 'aria-controls': `panel-${p.id}`, text: p.title.en });
    tab.addEventListener('click', () => show(p.id));
    nav.append(tab);
    const section = el('section', { class: 'panel', id: `panel-${p.id}`, role: 'tabpanel', 'aria-labelledby': tab.id }, el('div'));
    section.hidden = true;
    main.append(section);
    mounted.set(p.id, { panel: p, section, tab, instance: null });
  }
  function show(id, { focus = false } = {}) {
    if (!mounted.has(id)) id = panels[0].id;
    current = id;
    for (const [pid, m] of mounted) {
      const on = pid === id;
      m.section.hidden = !on;
      m.tab.setAttribute('aria-selected', String(on));
      m.tab.tabIndex = on ? 0 : -1;
    }
    if (focus) mounted.get(id).tab.focus();
    onShow(id);
  }
  nav.addEventListener('keydown', (e) => {
    const next = tabAfterKey([...mounted.keys()], current, e.key);
    if (next === null) return;
    show(next, { focus: true });
    e.preventDefault();
  });
  return {
    mounted,
    show,
    current: () => current,
    relabel(lang) { for (const { panel, tab } of mounted.values()) tab.textContent = panel.title[lang] || panel.title.en; },
  };
}
