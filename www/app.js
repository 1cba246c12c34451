// Minimal demo: classify an image file with a model picked from the server's models folder,
// through the package's public API.
import { MobileNet, MobileNetError } from '/pkg/index.js';

const $ = (id) => document.getElementById(id);
const modelSelect = $('model');
const resolutionSelect = $('resolution');
const status = $('model-status');
const progress = $('progress');
let net = null;
let bitmap = null;
// One model operation at a time: a model accepts one call in flight (others get INVALID_STATE).
let queue = Promise.resolve();
const serial = (f) => (queue = queue.then(f, f));

function showError(e) {
  $('error').textContent = e instanceof MobileNetError ? `${e.code}: ${e.message}` : String(e?.message ?? e);
}

async function loadModel() {
  const file = modelSelect.value;
  if (!file) return;
  $('error').textContent = '';
  net?.dispose();
  net = null;
  status.textContent = `loading ${file}…`;
  progress.hidden = false;
  progress.value = 0;
  try {
    net = await MobileNet.load(`/models/${file}`, {
      onProgress: (loaded, total) => { if (total) progress.value = loaded / total; },
    });
    await applyResolution();
  } catch (e) {
    status.textContent = `could not load ${file}`;
    showError(e);
  } finally {
    progress.hidden = true;
  }
  await classify();
}

async function applyResolution() {
  if (!net) return;
  const r = Number(resolutionSelect.value) || net.info.trained_resolution;
  try {
    await net.setResolution(r);
  } catch (e) {
    showError(e);
  }
  const i = net.info;
  status.textContent = `${modelSelect.value}: α ${i.alpha}, ${i.dtype}, running at ${i.resolution}×${i.resolution}`
    + ` (trained at ${i.trained_resolution}), ${(i.macs / 1e6).toFixed(1)} M multiply-adds, `
    + `${(i.params / 1e6).toFixed(2)} M parameters, backend ${i.backend}`;
}

async function classify() {
  if (!net || !bitmap) return;
  try {
    const t0 = performance.now();
    const top = await net.classify(bitmap, { topK: 5 });
    const ms = performance.now() - t0;
    const ol = $('top');
    ol.replaceChildren(...top.map((t) => {
      const li = document.createElement('li');
      li.textContent = `${t.label} — ${(t.score * 100).toFixed(1)}%`;
      const bar = document.createElement('span');
      bar.className = 'bar';
      bar.style.width = `${Math.max(1, t.score * 100)}%`;
      li.append(bar);
      return li;
    }));
    ol.dataset.top1 = top[0]?.label ?? '';
    $('timing').textContent = `${ms.toFixed(1)} ms (preprocessing + inference)`;
  } catch (e) {
    showError(e);
  }
}

function drawPreview() {
  const c = $('preview');
  const ctx = c.getContext('2d');
  const side = Math.min(bitmap.width, bitmap.height);
  ctx.drawImage(bitmap, (bitmap.width - side) / 2, (bitmap.height - side) / 2, side, side, 0, 0, c.width, c.height);
}

async function useImage(blob) {
  $('error').textContent = '';
  try {
    bitmap = await createImageBitmap(blob);
  } catch {
    showError(new Error('that file is not an image this browser can decode'));
    return;
  }
  drawPreview();
  await serial(classify);
}

async function init() {
  const res = await fetch('/models/index.json');
  const models = res.ok ? await res.json() : [];
  if (models.length === 0) {
    status.textContent = 'no models found: run ./build.sh models, or pass --models DIR to the server';
    return;
  }
  for (const m of models) {
    const o = document.createElement('option');
    o.value = m.file;
    o.textContent = `${m.file.replace(/\.tflite$/, '')} (${(m.bytes / 1e6).toFixed(1)} MB)`;
    modelSelect.append(o);
  }
  modelSelect.value = models.find((m) => m.file.includes('1.0_224_quant'))?.file ?? models[0].file;
  for (const name of ['cat.bmp', 'bird.bmp', 'parrot.jpg']) {
    const b = document.createElement('button');
    b.type = 'button';
    b.textContent = name;
    b.addEventListener('click', async () => {
      const r = await fetch(`/images/${name}`);
      if (r.ok) await useImage(await r.blob());
      else showError(new Error(`sample image ${name} is not available`));
    });
    $('samples').append(b);
  }
  modelSelect.addEventListener('change', () => serial(loadModel));
  resolutionSelect.addEventListener('change', () => serial(async () => { await applyResolution(); await classify(); }));
  $('file').addEventListener('change', (ev) => { const f = ev.target.files?.[0]; if (f) useImage(f); });
  serial(loadModel);
}

init().catch(showError);
