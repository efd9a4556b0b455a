// card_figures.test.mjs - the model card's generated sections, weights/se-study.svg,
// web/data/se-study.json and web/data/full-study.json are what scripts/se_study.py,
// scripts/robustness_card.py and scripts/full_study.py make of the committed logs
// (weights/logs/se-study/, se-why/, robustness-*.csv, full-study/): no number in them is typed
// by hand. Then, in a copy, a changed log value makes each check fail.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const PY = process.env.PYTHON || '/usr/bin/python3';
let failures = 0;
function check(ok, what) {
    console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
    if (!ok) failures++;
}
function run(cwd, script) {
    try {
        const out = execFileSync(PY, [path.join(ROOT, 'scripts', script), '--check'], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
        return { ok: true, out };
    } catch (e) {
        return { ok: false, out: String(e.stderr || e.message) };
    }
}

const FILES = ['weights/README.md', 'weights/se-study.svg', 'web/data/se-study.json', 'web/data/full-study.json', 'weights/logs', 'scripts/recipe.sh'];
for (const [script, what] of [['se_study.py', 'the dead-unit study'], ['robustness_card.py', 'the robustness table'],
    ['full_study.py', 'the full-schedule study']]) {
    const r = run(ROOT, script);
    check(r.ok, `${what}: the committed card section and figures are what ${script} makes of the logs${r.ok ? '' : ': ' + r.out.trim()}`);
}

// a copy with one log value changed: both checks must notice
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'excite-card-'));
try {
    for (const f of FILES) fs.cpSync(path.join(ROOT, f), path.join(tmp, f), { recursive: true });
    const study = path.join(tmp, 'weights/logs/se-study/r16.csv');
    const rows = fs.readFileSync(study, 'utf8').trim().split('\n');
    const acc = rows[0].split(',').indexOf('test_accuracy');
    for (let i = 1; i < rows.length; i++) {   // every row's accuracy 1 point lower: the table's mean moves
        const c = rows[i].split(',');
        c[acc] = (Number(c[acc]) - 0.01).toFixed(6);
        rows[i] = c.join(',');
    }
    fs.writeFileSync(study, rows.join('\n') + '\n');
    const r1 = run(tmp, 'se_study.py');
    check(!r1.ok && /se-study\.json|README/.test(r1.out), `a changed study log makes the check fail (${r1.out.trim().slice(0, 120)})`);
    const rob = path.join(tmp, 'weights/logs/robustness-shipped.csv');
    fs.writeFileSync(rob, fs.readFileSync(rob, 'utf8').replace(/,clean,0,,0,0\.(\d+)/, (m, d) => `,clean,0,,0,0.${String(Number(d) - 1000).padStart(d.length, '0')}`));
    const r2 = run(tmp, 'robustness_card.py');
    check(!r2.ok && /README/.test(r2.out), `a changed robustness log makes the check fail (${r2.out.trim().slice(0, 120)})`);
    // one test image's outcome flipped for CNN_SE seed 1: the McNemar counts move
    const corr = path.join(tmp, 'weights/logs/full-study/cnn_se-s1-correct.txt');
    const bits = fs.readFileSync(corr, 'utf8');
    fs.writeFileSync(corr, (bits[0] === '1' ? '0' : '1') + bits.slice(1));
    const r3 = run(tmp, 'full_study.py');
    check(!r3.ok && /full-study\.json|README/.test(r3.out), `a changed study log makes the check fail (${r3.out.trim().slice(0, 120)})`);
} finally {
    fs.rmSync(tmp, { recursive: true, force: true });
}
if (failures) { console.error(`card_figures: ${failures} failure(s)`); process.exit(1); }
console.log('all checks passed');
