// embed.mjs - embedding a view in a lesson (?embed=1): the <iframe> snippet of the "Embed this
// view" dialog, and what an embedding took away (threads, the camera), so the view can offer
// to open itself in a new tab. Pure functions except limits(), which reads the document.

// Heights (CSS px) that show a whole panel, with its results, in an iframe 900 px wide (the
// document heights measured there) without an inner scroll bar; wider frames need less,
// narrower ones scroll inside. Parts of a view (?view=) are shorter.
export const HEIGHTS = { train: 1800, inspect: 2550, evaluate: 1850, anatomy: 2600 };
export const PART_HEIGHT = 520;

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');

// The snippet for url (already with embed=1 and ?view=), panel id, its title and the parts.
// allow: the camera for Inspect, and cross-origin isolation so that a course page that is
// itself isolated (COOP/COEP) gives the view threads; browsers ignore features they do not know.
export function snippet({ url, panel, title, parts = [] }) {
  const h = parts.length && parts.length <= 2 ? PART_HEIGHT : (HEIGHTS[panel] || 1200);
  return `<iframe src="${esc(url)}" width="100%" height="${h}" title="${esc(title)}" ` +
    'loading="lazy" allow="camera; cross-origin-isolated"></iframe>';
}

// Inside an iframe: which features the embedding (not the browser) keeps from this view.
//   threads: the page is not cross-origin isolated, so training runs on one thread;
//   camera: the permissions policy of the iframe does not allow the camera.
export function limits(win = globalThis) {
  let framed = false;
  try { framed = win.top !== win; } catch { framed = true; }
  if (!framed) return { framed, threads: false, camera: false };
  const policy = win.document.permissionsPolicy || win.document.featurePolicy;
  const camera = !!(policy && typeof policy.allowsFeature === 'function' && !policy.allowsFeature('camera'));
  return { framed, threads: win.crossOriginIsolated !== true, camera };
}
