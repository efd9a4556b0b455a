// fuzz_corpus_wasm.test.mjs - the fuzz corpora (fuzz/corpus, fuzz/regressions) through the
// WebAssembly build, where the same C parsers run as 32-bit code (size_t is 32 bits there):
// every safetensors input and every checkpoint input, plus seeded mutations of them, either
// loads or throws an Error with the core's message; a failed load leaves the model as it was
// (its saved bytes are unchanged); and the malloc heap is where it started once the models
// are freed (no leak on any error path). The file forms ('H' header mode with a synthesised
// data section, or raw) are those of fuzz/fuzz_safetensors.c and fuzz/fuzz_checkpoint.c.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadExcite } from '../wasm/excite.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
let failures = 0;
function check(ok, what) {
    console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
    if (!ok) failures++;
}

// The bytes a fuzz input stands for.
function fileOf(input) {
    if (input.length >= 5 && input[0] === 0x48 /* 'H' */) {
        const dataLen = input.readUInt32LE(1);
        const header = input.subarray(5);
        const out = Buffer.alloc(8 + header.length + dataLen);
        out.writeBigUInt64LE(BigInt(header.length), 0);
        header.copy(out, 8);
        // 0.5f in every aligned slot of the data section (as the targets do when its length
        // is a multiple of 4)
        const start = 8 + header.length;
        for (let i = 0; i + 4 <= dataLen; i += 4) out.writeUInt32LE(0x3f000000, start + i);
        return out;
    }
    return input.length ? input.subarray(1) : input;
}
function inputs(name) {
    const out = [];
    for (const dir of ['regressions', 'corpus']) {
        const d = path.join(ROOT, 'fuzz', dir, name);
        if (!fs.existsSync(d)) continue;
        for (const f of fs.readdirSync(d).sort()) {
            if (f.startsWith('README')) continue;
            out.push({ name: `${dir}/${name}/${f}`, bytes: fs.readFileSync(path.join(d, f)) });
        }
    }
    return out;
}
function rng(seed) {
    let s = seed >>> 0;
    return () => { s = (s + 0x6D2B79F5) >>> 0; let t = s; t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61); return ((t ^ (t >>> 14)) >>> 0) / 4294967296; };
}
// Mutate an input: in 'H' form only the header (and sometimes the data length), else anywhere.
function mutate(input, rand) {
    const h = input[0] === 0x48 && input.length >= 5;
    const from = h ? 5 : 1;
    let b = Buffer.from(input);
    const edits = 1 + Math.floor(rand() * 4);
    for (let k = 0; k < edits; k++) {
        if (b.length <= from) break;
        const at = from + Math.floor(rand() * (b.length - from));
        const op = Math.floor(rand() * 6);
        const digits = '0123456789-+.e';
        if (op === 0) b[at] = digits.charCodeAt(Math.floor(rand() * digits.length));
        else if (op === 1) b[at] ^= 1 << Math.floor(rand() * 8);
        else if (op === 2) b = Buffer.concat([b.subarray(0, at), b.subarray(at + 1 + Math.floor(rand() * 8))]);
        else if (op === 3) b = Buffer.concat([b.subarray(0, at), Buffer.from(['9', '[', ']', '"', ',', '{', '}', '\\u0000'][Math.floor(rand() * 8)]), b.subarray(at)]);
        else if (op === 4 && h) b.writeUInt32LE(Math.max(0, b.readUInt32LE(1) + Math.floor((rand() - 0.5) * 64)), 1);
        else b = b.subarray(0, at);
    }
    return b;
}

const ex = await loadExcite({ build: 'simd', threads: false });

// One pass over everything; the second, identical pass must not grow the heap.
function pass(report, label) {
    // ---- safetensors ----------------------------------------------------------------------
    {
        const models = { CNN: ex.createModel('CNN', { seed: 1, maxBatch: 1 }), CNN_SE: ex.createModel('CNN_SE', { seed: 2, maxBatch: 1 }) };
        const saved = { CNN: models.CNN.saveSafetensors(), CNN_SE: models.CNN_SE.saveSafetensors() };
        const seeds = inputs('safetensors');
        const rand = rng(11);
        const cases = [...seeds, ...Array.from({ length: 200 }, (_, i) => {
            const s = seeds.filter((x) => x.bytes[0] === 0x48)[i % 13] || seeds[i % seeds.length];
            return { name: `mutation ${i} of ${s.name}`, bytes: mutate(s.bytes, rand) };
        })];
        let loaded = 0, refused = 0;
        const problems = [];
        for (const c of cases) {
            const file = new Uint8Array(fileOf(c.bytes));
            for (const k of ['CNN', 'CNN_SE']) {
                try {
                    models[k].loadSafetensors(file);
                    loaded++;
                    saved[k] = models[k].saveSafetensors();
                } catch (e) {
                    refused++;
                    if (!(e instanceof Error) || e.message.length < 8) problems.push(`${c.name} ${k}: thrown ${e}`);
                    const now = models[k].saveSafetensors();
                    if (Buffer.compare(Buffer.from(now), Buffer.from(saved[k])) !== 0) problems.push(`${c.name} ${k}: a refused load changed the model`);
                }
            }
        }
        report.push(() => check(problems.length === 0, `${label}safetensors: ${seeds.length} committed inputs and 200 mutations into CNN and CNN_SE: ${loaded} loads, ${refused} refusals with a message, refused loads change nothing ${JSON.stringify(problems.slice(0, 3))}`));
        report.push(() => check(loaded > 0 && refused > 0, `${label}both outcomes occur (the inputs reach the model checks)`));
        models.CNN.free();
        models.CNN_SE.free();
    }

    // ---- checkpoints ----------------------------------------------------------------------
    {
        const bytesOf = (n) => new Uint8Array(n * 3072).map((_, i) => (i * 37) & 255);
        const train = ex.createDataset(bytesOf(3), new Uint8Array([1, 2, 3]));
        const test = ex.createDataset(bytesOf(1), new Uint8Array([4]));
        const seeds = inputs('checkpoint');
        const rand = rng(12);
        const cases = [...seeds, ...Array.from({ length: 40 }, (_, i) => {
            const s = seeds[i % seeds.length];
            return { name: `mutation ${i} of ${s.name}`, bytes: mutate(s.bytes, rand) };
        })];
        let resumed = 0, refused = 0;
        const problems = [];
        for (const c of cases) {
            const file = new Uint8Array(fileOf(c.bytes));
            let cfg = null;
            try { cfg = ex.readCheckpointConfig(file); } catch (e) {
                if (!(e instanceof Error) || e.message.length < 8) problems.push(`${c.name}: config: thrown ${e}`);
            }
            if (!cfg || cfg.config.batchSize > 64) { refused++; continue; }
            let t = null;
            try {
                t = ex.resumeTrainer(file, train, test);
                resumed++;
                if (!t.done) { if (t.epochFinished) t.endEpoch(); else t.step(); }
                const again = ex.resumeTrainer(t.checkpoint(), train, test);
                again.free();
            } catch (e) {
                refused++;
                if (!(e instanceof Error) || e.message.length < 8) problems.push(`${c.name}: thrown ${e}`);
            } finally {
                if (t) t.free();
            }
        }
        report.push(() => check(problems.length === 0, `${label}checkpoints: ${seeds.length} committed inputs and 40 mutations: ${resumed} resumed (and stepped, saved, resumed again), ${refused} refused with a message ${JSON.stringify(problems.slice(0, 3))}`));
        report.push(() => check(resumed >= seeds.length, `${label}every committed checkpoint seed resumes`));
        train.free();
        test.free();
    }

}
const results = [];
pass(results, 'pass 1: ');
const heap0 = ex.heapUsed();
pass(results, 'pass 2: ');
for (const r of results) r();
const heap1 = ex.heapUsed();   // after the second pass
check(heap1 === heap0, `the second identical pass leaves the malloc heap where the first left it (no leak on any path) (${heap0} -> ${heap1} bytes)`);
ex.dispose?.();
if (failures) {
    console.log(`fuzz_corpus_wasm: ${failures} failed`);
    process.exit(1);
}
console.log('fuzz_corpus_wasm: all passed');
