// node-compat.js - prepended to the Emscripten 3.1.6 ES-module output (--extern-pre-js):
// that output expects CommonJS `require` and `__dirname` when it runs under Node.js, which
// ES modules do not have. In browsers and workers this defines two unused undefined names.
const nodeCjs = (typeof process == 'object' && process.versions && process.versions.node)
    ? await import('module').then((m) => {
        const require = m.createRequire(import.meta.url);
        const dir = require('path').dirname(require('url').fileURLToPath(import.meta.url));
        return { require, dir };
    })
    : {};
const require = nodeCjs.require, __dirname = nodeCjs.dir;
