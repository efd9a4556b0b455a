// protocol.js - a classic script (it runs from file://, where ES modules cannot load): marks
// <html data-protocol="file"> so that main.css shows only the "serve this page" hint.
document.documentElement.dataset.protocol = location.protocol === 'file:' ? 'file' : 'http';
