// worker_node_shim.mjs - runs wasm/worker.mjs in a Node.js worker thread as a browser would
// run it in a module Web Worker: self.postMessage goes to the parent, the parent's messages
// arrive at self.onmessage (those sent while the module loads are delivered once it has
// loaded, as a browser queues them). Used by tests/worker_shapes.test.mjs (not a test itself).
import { parentPort } from 'node:worker_threads';

globalThis.self = globalThis;
globalThis.postMessage = (msg, transfer) => parentPort.postMessage(msg, transfer);
const early = [];
parentPort.on('message', (data) => (globalThis.onmessage ? globalThis.onmessage({ data }) : early.push(data)));
await import('../wasm/worker.mjs');
for (const data of early.splice(0)) globalThis.onmessage({ data });
