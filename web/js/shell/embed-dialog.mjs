// embed-dialog.mjs - the "Embed this view" dialog (index.html #embed-dialog): the <iframe>
// snippet of the current view (embed.mjs), with a tick box per part the panel can show
// alone (panel.views); and, inside an iframe, the note of what the embedding keeps from it.

import { el } from '../dom.mjs';
import * as embed from '../embed.mjs';

const $ = (id) => document.getElementById(id);

// currentPanel(): the panel module on screen; embedUrl(): the view's URL with embed=1.
export function wireEmbedDialog({ i18n, currentPanel, embedUrl }) {
  const titleOf = (p) => p.title[i18n.lang] || p.title.en;
  function renderSnippet() {
    const u = new URL(embedUrl());
    const parts = [...document.querySelectorAll('#embed-parts input:checked')].map((i) => i.value);
    if (parts.length) u.searchParams.set('view', parts.join(',')); else u.searchParams.delete('view');
    const p = currentPanel();
    $('embed-code').value = embed.snippet({ url: u.toString(), panel: p && p.id, title: `excite — ${p ? titleOf(p) : ''}`, parts });
  }
  $('embed-button').addEventListener('click', () => {
    const box = $('embed-parts');
    for (const l of box.querySelectorAll('label')) l.remove();
    const views = currentPanel()?.views;
    box.hidden = !views;
    for (const [id, title] of Object.entries(views || {})) {
      const cb = el('input', { type: 'checkbox', value: id });
      cb.addEventListener('change', renderSnippet);
      box.append(el('label', {}, cb, title[i18n.lang] || title.en));
    }
    renderSnippet();
    $('embed-copied').textContent = '';
    $('embed-dialog').showModal();
    $('embed-code').select();
  });
  $('embed-copy').addEventListener('click', async () => {
    $('embed-code').select();
    try { await navigator.clipboard.writeText($('embed-code').value); } catch { document.execCommand?.('copy'); }
    $('embed-copied').textContent = i18n.t('app.embed.copied');
  });
  $('embed-close').addEventListener('click', () => $('embed-dialog').close());
}

// The reasons an embedded view cannot do all it can in a tab (threads, camera), translated.
export function embedLimitReasons(lim, panelId, t) {
  const why = [];
  if (lim.threads && panelId === 'train') why.push(t('app.embed.noThreads'));
  if (lim.camera && panelId === 'inspect') why.push(t('app.embed.noCamera'));
  return why;
}

// An embedded view (?embed=1): no page chrome, links to the full page, the limits note.
export function setUpEmbedded({ events, t, currentPanelId }) {
  document.body.classList.add('embed');
  const u = new URL(location.href); u.searchParams.delete('embed'); u.searchParams.delete('view');
  for (const a of [$('embed-home'), $('embed-open')]) a.href = u.toString();
  $('embed-home').hidden = false;
  const render = () => {
    const why = embedLimitReasons(embed.limits(window), currentPanelId(), t);
    $('embed-why').textContent = why.join(' ');
    $('embed-limits').hidden = !why.length;
  };
  events.addEventListener('panel-shown', render);
  events.addEventListener('lang-changed', render);
}
