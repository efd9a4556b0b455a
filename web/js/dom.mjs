// dom.mjs - building DOM nodes without HTML strings (nothing from a user is ever parsed as HTML).

// el('div', { class, i18n, testid, text, ...attributes }, ...children)
export function el(tag, attrs = {}, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') e.className = v;
    else if (k === 'i18n') e.dataset.i18n = v;
    else if (k === 'testid') e.dataset.testid = v;
    else if (k === 'text') e.textContent = v;
    else e.setAttribute(k, v);
  }
  e.append(...kids);
  return e;
}
