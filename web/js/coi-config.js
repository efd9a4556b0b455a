// coi-config.js - settings of the cross-origin-isolation service worker
// (vendor/coi-serviceworker.js), which `make site` adds to the page for hosts that cannot send
// COOP/COEP headers (GitHub Pages): with it, a top-level visit is reloaded once after its first
// load and then gets the threaded WebAssembly build. A classic script, loaded just before it.
//   - not inside an iframe: the course page around it decides about isolation there;
//   - never reload while a training run is loading, running or paused (a new version of the
//     service worker is then picked up at the next visit instead).
window.coi = {
  shouldRegister: () => window.top === window,
  quiet: true,
  doReload: () => {
    const s = document.querySelector('#panel-train > div')?.dataset.state;
    if (s === 'running' || s === 'paused' || s === 'loading') return;
    window.location.reload();
  },
};
