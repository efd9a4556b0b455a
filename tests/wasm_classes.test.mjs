// wasm_classes.test.mjs - the class names the page uses before the module loads
// (wasm/excite.mjs CLASSES, also the default of wasm/cifar.mjs) are the core's
// (c/cifar.c CIFAR_CLASSES, what `excite predict` prints), in label order. No data needed.
import { loadExcite, CLASSES } from '../wasm/excite.mjs';

let failures = 0;
for (const build of ['simd', 'plain']) {
    const ex = await loadExcite({ build, threads: false });
    const core = [];
    for (let i = 0; i < 10; i++) core.push(ex._str(ex._m._ex_class_name(i)));
    const outside = [ex._m._ex_class_name(-1), ex._m._ex_class_name(10)];
    const ok = core.length === CLASSES.length && core.every((c, i) => c === CLASSES[i]) && outside.every((p) => p === 0);
    console.log(`${ok ? 'ok  ' : 'FAIL'} ${build}: the core's class names ${JSON.stringify(core)} are excite.mjs CLASSES; none outside 0..9`);
    if (!ok) failures++;
    ex.dispose();
}
if (failures) { console.log(`wasm_classes: ${failures} FAILED`); process.exit(1); }
console.log('wasm_classes: ok');
