// i18n.mjs - English and Chinese strings of the page shell, the class names, and t().
// Panels register their own strings with addStrings({en, zh}); a missing Chinese string
// falls back to English, a missing key shows the key (so gaps are visible, not silent).

import { CLASSES } from '../../wasm/excite.mjs';

const dict = { en: {}, zh: {} };
let lang = 'en';
export const LANGS = ['en', 'zh'];

export const CLASS_NAMES = {
  en: CLASSES,   // the core's names (wasm/excite.mjs), in label order
  zh: ['飞机', '汽车', '鸟', '猫', '鹿', '狗', '青蛙', '马', '船', '卡车'],
};

export function addStrings(s) {
  for (const l of LANGS) Object.assign(dict[l], s[l] || {});
}
export function setLang(l) {
  lang = LANGS.includes(l) ? l : 'en';
  if (globalThis.document) document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
}
export function getLang() { return lang; }
export function className(i, l = lang) { return (CLASS_NAMES[l] || CLASS_NAMES.en)[i] ?? String(i); }

export function t(key, vars) {
  let s = dict[lang][key] ?? dict.en[key] ?? key;
  if (vars) s = s.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m));
  return s;
}

// Fill every element with data-i18n="key" (textContent), data-i18n-aria="key" (aria-label),
// data-i18n-title="key" (title) and data-i18n-placeholder under root.
export function translateDom(root = document) {
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll('[data-i18n-aria]')) el.setAttribute('aria-label', t(el.dataset.i18nAria));
  for (const el of root.querySelectorAll('[data-i18n-title]')) el.title = t(el.dataset.i18nTitle);
}

addStrings({
  en: {
    'app.title': 'excite — channel attention, live',
    'app.subtitle': 'A CNN and the same CNN with Squeeze-and-Excitation blocks, trained and opened up in your browser.',
    'app.backend': 'Engine',
    'app.backend.loading': 'loading WebAssembly…',
    'app.backend.failed': 'WebAssembly failed to load',
    'app.backend.train': 'training: {build}, {threads} thread(s)',
    'app.backend.train.models': 'training: {build}, {threads} thread(s) per model',
    'app.backend.inspect': 'inspection: {build}',
    'app.lang': 'Language',
    'app.embed': 'Embed this view',
    'app.embed.title': 'Embed this view in a lesson',
    'app.embed.copy': 'Copy',
    'app.embed.copied': 'Copied.',
    'app.embed.close': 'Close',
    'app.embed.help': 'Paste this into a lesson page; it shows only the current view, with the current image, model and language.',
    'app.embed.parts': 'Show only these parts (none ticked: the whole view)',
    'app.tabs': 'Views',
    'app.models': 'Models',
    'app.model.random': 'untrained (random weights)',
    'app.model.pretrained': 'pretrained',
    'app.model.trained': 'trained here',
    'app.model.file': 'loaded from {name}',
    'app.usePretrained': 'Use pretrained',
    'app.pretrainedMissing': 'No pretrained weights on this server yet (weights/cnn.safetensors, weights/cnn_se.safetensors). Train here or load a .safetensors file.',
    'app.pretrainedLoaded': 'Pretrained weights loaded in {ms} ms.',
    'app.loadWeights': 'Load weights…',
    'app.saveWeights': 'Save weights',
    'app.weightsLoaded': 'Loaded {name} into {model}.',
    'app.weightsError': 'Could not load weights from “{name}”: {msg}',
    'app.data': 'Data',
    'app.data.demo': 'CIFAR-10 demo subset: {train} training, {test} test images',
    'app.data.full': 'CIFAR-10, full set: {train} training, {test} test images',
    'app.data.other': 'CIFAR-10 “{id}”: {train} training, {test} test images',
    'app.data.archive': 'CIFAR-10 from {name}: {train} training, {test} test images',
    'app.data.nothing': 'no CIFAR-10 on this server',
    'app.data.listing': 'looking for CIFAR-10…',
    'app.data.using': 'Data: {set}.',
    'app.data.tooBig': 'This run needs {train} training and {test} test images; the data in use has {haveTrain} and {haveTest}. Pick fewer images, or serve the full CIFAR-10 set (make data, then make demo).',
    'app.data.pick': 'Open cifar-10-binary.tar.gz…',
    'app.data.loading': 'Reading the archive…',
    'app.data.error': 'Could not read the dataset archive “{name}”: {msg}',
    'app.data.needed': 'This needs the CIFAR-10 data: it is not on this server. Open cifar-10-binary.tar.gz from your disk (it stays in your browser).',
    'app.error.dismiss': 'Dismiss',
    'app.footer': 'Runs entirely in this browser tab: no data or image leaves your computer. CIFAR-10 images: 32×32 pixels, 10 classes.',
    'app.skip': 'Skip to the view',
    'app.openFull': 'excite: open the full page ↗',
    'app.embed.noThreads': 'Embedded here, each model trains on one thread (the course page is not cross-origin isolated).',
    'app.embed.noCamera': 'This course page does not let the embedded view use the camera.',
    'app.embed.openTab': 'Open it in a new tab ↗',
  },
  zh: {
    'app.title': 'excite —— 通道注意力，实时可见',
    'app.subtitle': '一个卷积网络，和加入了挤压-激励（SE）模块的同一个网络，在浏览器里训练并打开来看。',
    'app.backend': '引擎',
    'app.backend.loading': '正在加载 WebAssembly…',
    'app.backend.failed': 'WebAssembly 加载失败',
    'app.backend.train': '训练：{build}，{threads} 个线程',
    'app.backend.train.models': '训练：{build}，每个模型 {threads} 个线程',
    'app.backend.inspect': '观察：{build}',
    'app.lang': '语言',
    'app.embed': '嵌入此视图',
    'app.embed.title': '把此视图嵌入课件',
    'app.embed.copy': '复制',
    'app.embed.copied': '已复制。',
    'app.embed.close': '关闭',
    'app.embed.help': '把这段代码粘贴到课件网页中；它只显示当前视图，保留当前的图片、模型和语言。',
    'app.embed.parts': '只显示这些部分（都不勾选：整个视图）',
    'app.tabs': '视图',
    'app.models': '模型',
    'app.model.random': '未训练（随机权重）',
    'app.model.pretrained': '预训练',
    'app.model.trained': '在此训练',
    'app.model.file': '来自 {name}',
    'app.usePretrained': '使用预训练权重',
    'app.pretrainedMissing': '服务器上还没有预训练权重（weights/cnn.safetensors、weights/cnn_se.safetensors）。可以在这里训练，或加载一个 .safetensors 文件。',
    'app.pretrainedLoaded': '预训练权重已加载，用时 {ms} 毫秒。',
    'app.loadWeights': '加载权重…',
    'app.saveWeights': '保存权重',
    'app.weightsLoaded': '已把 {name} 加载到 {model}。',
    'app.weightsError': '无法从“{name}”加载权重：{msg}',
    'app.data': '数据',
    'app.data.demo': 'CIFAR-10 演示子集：{train} 张训练图片，{test} 张测试图片',
    'app.data.full': 'CIFAR-10 完整数据集：{train} 张训练图片，{test} 张测试图片',
    'app.data.other': 'CIFAR-10“{id}”：{train} 张训练图片，{test} 张测试图片',
    'app.data.archive': '来自 {name} 的 CIFAR-10：{train} 张训练图片，{test} 张测试图片',
    'app.data.nothing': '本服务器上没有 CIFAR-10',
    'app.data.listing': '正在查找 CIFAR-10…',
    'app.data.using': '数据：{set}。',
    'app.data.tooBig': '这次训练需要 {train} 张训练图片和 {test} 张测试图片，而当前数据只有 {haveTrain} 张和 {haveTest} 张。请选择更少的图片，或提供完整的 CIFAR-10 数据集（先 make data，再 make demo）。',
    'app.data.pick': '打开 cifar-10-binary.tar.gz…',
    'app.data.loading': '正在读取压缩包…',
    'app.data.error': '无法读取数据集压缩包“{name}”：{msg}',
    'app.data.needed': '这里需要 CIFAR-10 数据，但本服务器上没有。请从电脑中打开 cifar-10-binary.tar.gz（数据只留在你的浏览器里）。',
    'app.error.dismiss': '关闭',
    'app.footer': '全部在此浏览器标签页中运行：任何数据和图片都不会离开你的电脑。CIFAR-10 图片：32×32 像素，10 个类别。',
    'app.skip': '跳到视图',
    'app.openFull': 'excite：打开完整页面 ↗',
    'app.embed.noThreads': '嵌入在这里时，每个模型只用一个线程训练（课程网页没有跨源隔离）。',
    'app.embed.noCamera': '这个课程网页不允许嵌入的视图使用摄像头。',
    'app.embed.openTab': '在新标签页中打开 ↗',
  },
});
