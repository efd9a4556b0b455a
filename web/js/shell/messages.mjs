// messages.mjs - the page's error region and notice line (index.html #error, #notice).
// Both take a string or a translatable { code, vars }; the latter is re-rendered when the
// language changes while it is on screen. Text only: nothing is parsed as HTML.

// What a message says: a string, a { code, vars } translated by t, or an Error's message.
export function messageText(e, t) {
  if (typeof e === 'string') return e;
  if (e && e.code && e.vars) return t(e.code, e.vars);
  return (e && e.message) || String(e);
}

export const NOTICE_MS = 6000;

// errors service: { show(e), clear(), notice(msg), retranslate() }.
export function createMessages({ t, isQuiet = () => false }) {
  const $ = (id) => document.getElementById(id);
  let lastError = null, lastNotice = null, timer = 0;
  const api = {
    show(e) {
      lastError = e;
      $('error-text').textContent = messageText(e, t);
      $('error').hidden = false;
      if (e instanceof Error && !isQuiet(e)) console.warn(e);
    },
    clear() { lastError = null; $('error').hidden = true; $('error-text').textContent = ''; },
    notice(msg) {
      const n = $('notice');
      lastNotice = msg || null;
      n.textContent = msg ? messageText(msg, t) : ''; n.hidden = !msg;
      clearTimeout(timer);
      if (msg) timer = setTimeout(() => { n.hidden = true; lastNotice = null; }, NOTICE_MS);
    },
    retranslate() {
      if (lastError && !$('error').hidden) $('error-text').textContent = messageText(lastError, t);
      if (lastNotice && !$('notice').hidden) $('notice').textContent = messageText(lastNotice, t);
    },
  };
  $('error-dismiss').addEventListener('click', api.clear);
  return api;
}
