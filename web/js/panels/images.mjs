// images.mjs - the "Your images" panel: the user's classes (add, rename, delete), their
// pictures as thumbnails (add by picker, drop, paste or camera; delete one), the size stored,
// the split, and export/import as an ImageFolder .zip. The set lives in services.userImages
// (shell/user-data.mjs); the rules are user-set.mjs's; pictures come in through images-add.mjs.

import { el } from '../dom.mjs';
import { chwToCanvas } from '../images.mjs';
import { strings } from './images-strings.mjs';
import { inputsFromFiles, filesOfDrop, skippedText, cameraCard } from './images-add.mjs';
import { readZip, testFraction } from '../user-set.mjs';

export default {
  id: 'images',
  title: { en: 'Your images', zh: '你的图片' },
  mount(root, services) {
    const { i18n, errors } = services, t = i18n.t, ud = services.userImages;
    i18n.addStrings(strings);
    const show = (e) => errors.show(e && e.code && e.vars ? { code: e.code, vars: e.vars } : e);

    const nameIn = el('input', { type: 'text', id: 'ui-name', testid: 'ui-name', maxlength: '63', autocomplete: 'off' });
    const addB = el('button', { type: 'button', testid: 'ui-add-class' });
    const size = el('p', { class: 'caption', testid: 'ui-size', 'aria-live': 'polite' });
    const exportB = el('button', { type: 'button', class: 'secondary', testid: 'ui-export' });
    const importIn = el('input', { type: 'file', id: 'ui-import', testid: 'ui-import', accept: '.zip,application/zip', class: 'visually-hidden' });
    const importL = el('label', { class: 'button secondary', for: 'ui-import' }, el('span'));
    const useB = el('button', { type: 'button', testid: 'ui-use' });
    const target = el('select', { id: 'ui-target', testid: 'ui-target' });
    const targetL = el('label', { for: 'ui-target' });
    const list = el('div', { class: 'ui-classes', testid: 'ui-classes' });
    const splitBox = el('div', { testid: 'ui-split' });
    const head = el('div', { class: 'card' }, el('h2', { i18n: 'ui.title' }), el('p', { class: 'caption', i18n: 'ui.intro' }),
      el('div', { class: 'row' }, el('label', { for: 'ui-name', i18n: 'ui.newClass' }), nameIn, addB), size,
      el('div', { class: 'row' }, exportB, importIn, importL, useB));
    const cam = cameraCard({ t, ex: services.models.ex, onError: show, targetName: () => cur()?.name || '',
      onSnap: (bytes) => { const c = cur(); if (!c) throw Object.assign(new Error('ui.err.noClass'), { code: 'ui.err.noClass', vars: {} }); return ud.addPictures(c.id, [bytes]); } });
    const camCard = el('div', { class: 'card' }, el('h2', { i18n: 'ui.camera' }), el('div', { class: 'row' }, targetL, target), cam.card);
    const splitCard = el('div', { class: 'card' }, el('h2', { i18n: 'ui.split' }), el('p', { class: 'caption', testid: 'ui-split-caption' }), splitBox);
    root.append(head, camCard, list, splitCard);
    let selected = null;   // class id pictures from the camera and paste go to
    const cur = () => ud.classes().find((c) => c.id === selected) || ud.classes()[0] || null;

    function labels() {
      addB.textContent = t('ui.addClass'); exportB.textContent = t('ui.export'); importL.firstChild.textContent = t('ui.import');
      useB.textContent = t('ui.use'); targetL.textContent = t('ui.camera.target');
      cam.relabel();
    }

    // ---- the classes and their pictures
    function classCard(c) {
      const renameIn = el('input', { type: 'text', value: c.name, maxlength: '63', 'aria-label': t('ui.renameLabel', { name: c.name }), testid: 'ui-rename-input' });
      const renameB = el('button', { type: 'button', class: 'secondary', text: t('ui.rename'), testid: 'ui-rename' });
      const delB = el('button', { type: 'button', class: 'secondary', text: t('ui.deleteClass'), testid: 'ui-delete-class' });
      const fid = `ui-files-${c.id}`;
      const files = el('input', { type: 'file', multiple: '', accept: 'image/*', id: fid, class: 'visually-hidden', testid: 'ui-files' });
      const filesL = el('label', { class: 'button', for: fid }, el('span', { text: t('ui.addFiles') }));
      const thumbs = el('div', { class: 'ui-thumbs' });
      c.images.forEach((im, i) => {
        const cv = chwToCanvas(im.bytes);
        cv.className = 'pixelated';
        cv.setAttribute('role', 'img'); cv.setAttribute('aria-label', t('ui.picture', { name: c.name, i: i + 1 }));
        const x = el('button', { type: 'button', class: 'ui-del', text: '×', 'aria-label': t('ui.deletePicture', { name: c.name, i: i + 1 }), testid: 'ui-delete-picture' });
        x.addEventListener('click', () => run(() => ud.deleteImage(c.id, im.id)));
        thumbs.append(el('div', { class: 'ui-thumb' }, cv, x));
      });
      const drop = el('div', { class: 'dropzone', testid: 'ui-drop' }, filesL, el('span', { text: ' ' + t('ui.drop') }));
      const card = el('div', { class: 'card ui-class', testid: 'ui-class' },
        el('h3', {}, el('span', { text: c.name, testid: 'ui-class-name' }), el('span', { class: 'caption', text: ' · ' + t('ui.count', { n: c.images.length }), testid: 'ui-class-count' })),
        el('div', { class: 'row' }, renameIn, renameB, delB), files, drop, thumbs);
      card.dataset.name = c.name;
      card.dataset.count = String(c.images.length);
      renameB.addEventListener('click', () => run(() => ud.rename(c.id, renameIn.value)));
      renameIn.addEventListener('keydown', (e) => { if (e.key === 'Enter') renameB.click(); });
      delB.addEventListener('click', () => { if (c.images.length === 0 || confirm(t('ui.deleteClassConfirm', { name: c.name, n: c.images.length }))) run(() => ud.deleteClass(c.id)); });
      files.addEventListener('change', () => { const fs = [...files.files]; files.value = ''; addFiles(c, fs); });
      drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
      drop.addEventListener('dragleave', () => drop.classList.remove('over'));
      drop.addEventListener('drop', async (e) => { e.preventDefault(); drop.classList.remove('over'); addFiles(c, await filesOfDrop(e.dataTransfer)); });
      return card;
    }
    async function run(f) {
      try { errors.clear(); await f(); } catch (e) { show(e); }
    }
    let adding = Promise.resolve();
    function addFiles(c, fs) {
      adding = adding.then(async () => {
        errors.clear();
        const { inputs, skipped } = await inputsFromFiles(fs, services.models.ex());
        try { await ud.addPictures(c.id, inputs); } catch (e) { show(e); return; }
        if (skipped.length) errors.show({ code: 'ui.skipped', vars: { n: skipped.length, list: skippedText(skipped, t) } });
        if (inputs.length) errors.notice({ code: inputs.length === 1 ? 'ui.added1' : 'ui.added', vars: { n: inputs.length, name: c.name } });
        root.dataset.added = String(Number(root.dataset.added || 0) + 1);
      });
      return adding;
    }

    async function render() {
      const cs = ud.classes();
      list.replaceChildren(...(cs.length ? cs.map(classCard) : [el('p', { class: 'card caption', text: t('ui.none') })]));
      target.replaceChildren(...cs.map((c) => { const o = el('option', { value: String(c.id), text: c.name }); o.selected = c.id === cur()?.id; return o; }));
      const n = ud.count(), kb = (ud.bytes() / 1024).toFixed(0);
      const est = await ud.estimate();
      size.textContent = est && est.quota ? t('ui.sizeQuota', { n, c: cs.length, kb, used: (est.usage / 1048576).toFixed(1), quota: (est.quota / 1048576).toFixed(0) }) : t('ui.size', { n, c: cs.length, kb });
      renderSplit();
      root.dataset.classes = String(cs.length);
      root.dataset.pictures = String(n);
    }
    function renderSplit() {
      const cs = ud.classes(), ex = services.models.ex();
      splitCard.querySelector('[data-testid=ui-split-caption]').textContent = ex ? t('ui.split.caption', { pct: Math.round(testFraction(ex) * 100), seed: ud.seed() }) : '';
      if (!cs.length) { splitBox.replaceChildren(); return; }
      const p = ud.trainProblem();
      if (p) { splitBox.replaceChildren(el('p', { class: 'caption', text: t(p.code, p.vars) })); return; }
      let counts;
      try { ({ counts } = ud.split()); } catch (e) { splitBox.replaceChildren(el('p', { class: 'caption', text: t(e.code || 'ui.err.engine', e.vars || {}) })); return; }
      const tb = el('tbody', {}, ...counts.map((k) => el('tr', {}, el('th', { scope: 'row', text: k.name }), el('td', { text: String(k.train) }), el('td', { text: String(k.test) }))));
      splitBox.replaceChildren(el('table', { class: 'ui-split' }, el('thead', {}, el('tr', {}, ...['ui.split.class', 'ui.split.train', 'ui.split.test'].map((k) => el('th', { scope: 'col', text: t(k) })))), tb));
    }

    // ---- header actions
    // (the field is cleared only if it still holds the name added: what was typed meanwhile stays)
    addB.addEventListener('click', () => run(async () => { const v = nameIn.value; selected = await ud.addClass(v); if (nameIn.value === v) nameIn.value = ''; }));
    nameIn.addEventListener('keydown', (e) => { if (e.key === 'Enter') addB.click(); });
    target.addEventListener('change', () => { selected = Number(target.value); });
    exportB.addEventListener('click', () => run(async () => {
      const bytes = ud.exportZip(), name = 'your-images.zip';
      const a = el('a', { href: URL.createObjectURL(new Blob([bytes], { type: 'application/zip' })), download: name });
      a.click();
      setTimeout(() => URL.revokeObjectURL(a.href), 60000);
      errors.notice({ code: 'ui.exported', vars: { name } });
    }));
    importIn.addEventListener('change', () => {
      const f = importIn.files[0];
      importIn.value = '';
      if (f) run(() => importZip(f));
    });
    // every picture of the zip goes through the core's pipeline (a 32x32 PNG the page wrote
    // comes back as the same bytes); files in name order; added to the set (user-data.mjs)
    async function importZip(f) {
      const z = readZip(new Uint8Array(await f.arrayBuffer()));
      const classes = [], skipped = z.skipped.map((p) => ({ name: p, reason: 'ui.reason.type' }));
      for (const c of z.classes) {
        const { inputs, skipped: s } = await inputsFromFiles(c.files.map((x) => new File([x.bytes], x.path)), services.models.ex());
        skipped.push(...s);
        classes.push({ name: c.name, images: inputs });
      }
      const n = classes.reduce((a, c) => a + c.images.length, 0);
      await ud.importSet(classes);
      // files that are not pictures are left out and named, as excite train --images does
      if (skipped.length) errors.show({ code: 'ui.skipped', vars: { n: skipped.length, list: skippedText(skipped, t) } });
      errors.notice({ code: 'ui.imported', vars: { n, c: classes.length, name: f.name } });
    }
    useB.addEventListener('click', () => run(() => {
      const p = ud.trainProblem();
      if (p) throw Object.assign(new Error(p.code), p);
      services.data.use('user');
      services.page.showPanel('train');
    }));
    // paste while this panel is shown: the pictures go to the chosen class
    document.addEventListener('paste', (e) => {
      if (root.closest('section')?.hidden) return;
      const fs = [...(e.clipboardData?.files || [])];
      if (!fs.length) return;
      e.preventDefault();
      const c = cur();
      if (!c) { show({ code: 'ui.err.noClass', vars: {} }); return; }
      addFiles(c, fs);
    });

    services.events.addEventListener('user-set-changed', () => { render(); });
    labels();
    ud.ready.then(() => { if (ud.loadError()) show(ud.loadError()); render(); });
    return {
      update(what) { if (what === 'lang-changed') { labels(); render(); } if (what === 'shown') render(); },
      destroy() { cam.close(); },
    };
  },
};
