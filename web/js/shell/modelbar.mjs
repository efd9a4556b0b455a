// modelbar.mjs - the header's engine line and the model bar (index.html #backend,
// #model-status, #data-set): what is loaded, where each model's weights came from, and the
// CIFAR-10 set in use.

import { el } from '../dom.mjs';
import * as dataSets from '../data-sets.mjs';

// The engine line: { text, title } from the training worker's info and the inspection build.
export function backendText({ ex, workerInfo, failed }, t) {
  if (!ex && !workerInfo) return { text: failed ? t('app.backend.failed') : t('app.backend.loading'), title: '' };
  const parts = [];
  // modelWorkers: a second model trains in a worker of its own (wasm/README.md)
  if (workerInfo) {
    parts.push(t(workerInfo.modelWorkers ? 'app.backend.train.models' : 'app.backend.train',
                 { build: workerInfo.build, threads: workerInfo.threads }));
  }
  if (ex) parts.push(t('app.backend.inspect', { build: ex.build }));
  return { text: parts.join(' · '), title: ex ? `kernel ${ex.kernel}` : '' };
}

// Where a model's weights came from, translated ('…' before the module loaded).
export function weightsSource(info, t) {
  if (!info) return '…';
  return info.source === 'file' ? t('app.model.file', { name: info.name }) : t(`app.model.${info.source}`);
}

const $ = (id) => document.getElementById(id);

export function renderBackend(state, t) {
  const b = $('backend'), { text, title } = backendText(state, t);
  b.textContent = text;
  b.title = title;
}

export function renderModelStatus(kinds, infoOf, t) {
  const box = $('model-status');
  box.replaceChildren(el('strong', { text: t('app.models') + ':' }));
  for (const k of kinds) box.append(el('span', {}, el('span', { class: `swatch ${k.toLowerCase()}` }), `${k}: ${weightsSource(infoOf(k), t)}`));
}

// The data <select>: every source, the one in use selected.
export function renderDataSelect(data, t, lang) {
  const sel = $('data-set');
  sel.replaceChildren();
  const all = data.sources();
  for (const s of all) {
    const o = el('option', { value: s.id, text: dataSets.label(s, t, lang) });
    o.selected = s.id === data.current().id;
    sel.append(o);
  }
  if (!all.length) sel.append(el('option', { text: t(data.listing ? 'app.data.listing' : 'app.data.nothing') }));
  sel.disabled = all.length < 2;
}
