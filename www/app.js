// The demo: webcam → Worker → top-5 over the live video, with α/ρ/type pickers, the cost model,
// measured latency, the accuracy-vs-cost chart and an auto mode. Uses only the package's public
// API (served under /pkg/).
import { MobileNet, MobileNetError, cost } from '/pkg/index.js';
import { ALPHAS, RESOLUTIONS, alphaName, published } from './zoo.js';

const $ = (id) => document.getElementById(id);
const ui = {
  video: $('video'), still: $('still'), top: $('top'), viewport: $('viewport'), cameraState: $('camera-state'),
  camera: $('camera'), file: $('file'), samples: $('samples'), alpha: $('alpha'), resolution: $('resolution'),
  dtype: $('dtype'), auto: $('auto'), target: $('target'), progress: $('progress'), status: $('model-status'),
  autoStatus: $('auto-status'), chart: $('chart'), error: $('error'),
};

const state = {
  files: [], // [{ file, bytes }] from the server
  net: null,
  netFile: null,
  stream: null,
  inFlight: false,
  frameTimes: [], // [t, latency] of the last second
  measured: new Map(), // `${α}_${ρ}_${dtype}` → median ms measured here
  costs: new Map(), // `${α}_${ρ}` → { macs, params }
};

// Every model call goes through this queue: a model takes one call at a time.
let queue = Promise.resolve();
const serial = (f) => (queue = queue.then(f, f));

/** What this browser gives the engine, and why threads are off when they are. */
function showCapabilities(info) {
  const caps = MobileNet.capabilities();
  const yes = (b) => (b ? 'yes' : 'no');
  const why = info?.threadsReason ?? caps.reason;
  $('capabilities').textContent = `SIMD128 ${yes(caps.simd128)}, relaxed SIMD ${yes(caps.relaxedSimd)}, `
    + `threads ${yes(caps.threads && !info?.threadsReason)}${why ? ` — ${why}` : ''}`;
}

function showError(e) {
  ui.error.textContent = e ? (e instanceof MobileNetError ? `${e.code}: ${e.message}` : String(e.message ?? e)) : '';
}

const config = () => ({ alpha: Number(ui.alpha.value), resolution: Number(ui.resolution.value), dtype: ui.dtype.value });
const key = (c) => `${c.alpha}_${c.resolution}_${c.dtype}`;
const millions = (n) => `${(n / 1e6).toFixed(1)} M`;

/** The file to run for α, ρ and type: the official one for exactly α×ρ when the server has it,
 *  else the file of that α trained at another size (run at ρ). */
function fileFor({ alpha, resolution, dtype }) {
  const a = alphaName(alpha);
  const quant = dtype === 'uint8';
  const exact = `mobilenet_v1_${a}_${resolution}${quant ? '_quant' : ''}.tflite`;
  const pattern = quant ? new RegExp(`^mobilenet_v1_${a}_(\\d+)_quant\\.tflite$`)
    : new RegExp(`^mobilenet_v1_${a}_(\\d+)(_float)?\\.tflite$`);
  const hit = state.files.find((f) => f.file === exact) ?? state.files.find((f) => pattern.test(f.file));
  if (!hit) return null;
  return { ...hit, trained: Number(hit.file.match(/_(\d+)(_quant|_float)?\.tflite$/)[1]) };
}

/** Loads (or re-plans) the model for the picked configuration; the camera keeps running. */
async function applyConfig() {
  const c = config();
  const target = fileFor(c);
  if (!target) {
    ui.status.textContent = `no ${c.dtype} model file for α ${alphaName(c.alpha)} on this server`;
    return;
  }
  showError(null);
  try {
    if (state.netFile !== target.file) {
      ui.status.textContent = `loading ${target.file}…`;
      ui.progress.hidden = false;
      ui.progress.value = 0;
      const next = await MobileNet.load(`/models/${target.file}`, {
        worker: true,
        cache: true,
        onProgress: (loaded, total) => { if (total) ui.progress.value = loaded / total; },
        onRestart: (reason) => {
          ui.error.textContent = `The engine failed (${reason}) and was restarted; it is running again.`;
          ui.error.dataset.restarted = 'true';
        },
      });
      state.net?.dispose();
      state.net = next;
      state.netFile = target.file;
    }
    await state.net.setResolution(c.resolution);
  } catch (e) {
    ui.status.textContent = `could not load ${target.file}`;
    showError(e);
    return;
  } finally {
    ui.progress.hidden = true;
  }
  state.frameTimes = [];
  showModel(c, target);
  drawChart();
}

function showModel(c, target) {
  const info = state.net.info;
  const trainedNote = target.trained !== c.resolution ? ` (trained at ${target.trained})` : '';
  ui.status.textContent = `${target.file}: α ${alphaName(info.alpha)}, ${info.dtype}, running at `
    + `${info.resolution}×${info.resolution}${trainedNote}`;
  ui.status.dataset.file = target.file;
  $('macs').textContent = millions(info.macs);
  $('params').textContent = millions(info.params);
  $('file-name').textContent = `${target.file}, trained at ${target.trained}×${target.trained}`;
  $('size').textContent = `${(target.bytes / 1e6).toFixed(1)} MB`;
  $('backend').textContent = `${info.backend}, ${info.threads} thread${info.threads > 1 ? 's' : ''}`;
  showCapabilities(info);
  const acc = published(c.alpha, c.resolution, c.dtype);
  const floatNote = c.dtype === 'float32' && !/^mobilenet_v1_[\d.]+_\d+\.tflite$/.test(target.file)
    ? '; the float file here is a rewrite of the uint8 model, not the published float one' : '';
  $('accuracy').textContent = acc
    ? `${acc.top1}% / ${acc.top5}% as published for ${alphaName(c.alpha)}×${c.resolution}`
      + `${target.trained !== c.resolution ? ` — the running file was trained at ${target.trained}, so it is less accurate here` : ''}${floatNote}`
    : '–';
  $('latency').textContent = '–';
  $('fps').textContent = '–';
}

// ------------------------------------------------------------------------------- results

function render(top) {
  ui.top.replaceChildren(...top.map((t) => {
    const li = document.createElement('li');
    li.textContent = `${t.label} — ${(t.score * 100).toFixed(1)}%`;
    const bar = document.createElement('span');
    bar.className = 'bar';
    bar.style.width = `${Math.max(1, t.score * 100)}%`;
    li.append(bar);
    return li;
  }));
  ui.top.dataset.top1 = top[0]?.label ?? '';
}

function record(ms) {
  const now = performance.now();
  state.frameTimes.push([now, ms]);
  state.frameTimes = state.frameTimes.filter(([t]) => now - t <= 1000);
  const lat = state.frameTimes.map(([, l]) => l).sort((a, b) => a - b);
  const median = lat[Math.floor(lat.length / 2)];
  $('latency').textContent = `${median.toFixed(1)} ms`;
  $('latency').dataset.ms = median.toFixed(2);
  $('fps').textContent = String(state.frameTimes.length);
  state.measured.set(key(config()), median);
  // Keep the chart's latency labels current, redrawing at most once a second.
  if (!(now - (state.chartDrawn ?? 0) < 1000)) drawChart();
}

/** Classifies one frame (an ImageBitmap) if the model is free; never queues a backlog. */
async function classifyFrame(bitmap) {
  if (!state.net || state.inFlight) {
    bitmap.close?.();
    return;
  }
  state.inFlight = true;
  await serial(async () => {
    const t0 = performance.now();
    try {
      render(await state.net.classify(bitmap, { topK: 5 }));
      record(performance.now() - t0);
    } catch (e) {
      showError(e);
    } finally {
      bitmap.close?.();
    }
  });
  state.inFlight = false;
}

// -------------------------------------------------------------------------------- camera

const CAMERA_ERRORS = {
  NotAllowedError: ['denied', 'Camera permission was denied. Allow the camera in the site settings and press Start camera again, or classify an image.'],
  SecurityError: ['denied', 'The camera is blocked here. Classify an image instead.'],
  NotFoundError: ['none', 'No camera was found. Plug one in and press Start camera, or classify an image.'],
  OverconstrainedError: ['none', 'No camera matches. Classify an image instead.'],
  NotReadableError: ['busy', 'The camera is busy (another application is using it). Close it and press Start camera again, or classify an image.'],
  AbortError: ['busy', 'The camera could not start. Press Start camera to try again, or classify an image.'],
};

function cameraState(kind, text, error = true) {
  ui.cameraState.dataset.state = error ? 'error' : kind;
  ui.cameraState.dataset.kind = kind;
  ui.cameraState.textContent = text;
}

async function startCamera() {
  if (!window.isSecureContext || !navigator.mediaDevices?.getUserMedia) {
    cameraState('insecure', 'The camera needs a secure page (https or localhost). Classify an image instead.');
    return;
  }
  try {
    state.stream = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 }, audio: false });
  } catch (e) {
    const [kind, text] = CAMERA_ERRORS[e.name] ?? ['failed', `The camera could not start (${e.name}). Classify an image instead.`];
    cameraState(kind, text);
    return;
  }
  const [track] = state.stream.getVideoTracks();
  track.addEventListener('ended', () => {
    cameraState('ended', 'The camera stopped (unplugged, or taken by another application). Press Start camera to reconnect, or classify an image.');
    ui.camera.textContent = 'Start camera';
    state.stream = null;
  });
  ui.video.srcObject = state.stream;
  ui.video.hidden = false;
  ui.still.hidden = true;
  await ui.video.play();
  cameraState('live', `Camera: ${track.label || 'on'}`, false);
  ui.camera.textContent = 'Stop camera';
  requestFrame();
}

function stopCamera() {
  state.stream?.getTracks().forEach((t) => t.stop());
  state.stream = null;
  ui.camera.textContent = 'Start camera';
  cameraState('idle', 'Camera stopped.', false);
}

/** Asks for the next camera frame; pauses by itself while the tab is hidden. */
function requestFrame() {
  if (!state.stream || document.hidden) return;
  if (ui.video.requestVideoFrameCallback) ui.video.requestVideoFrameCallback(onFrame);
  else requestAnimationFrame(onFrame);
}

async function onFrame() {
  if (!state.stream || document.hidden) return;
  requestFrame();
  if (!state.inFlight && ui.video.readyState >= 2 && ui.video.videoWidth > 0) {
    await classifyFrame(await createImageBitmap(ui.video));
  }
}

document.addEventListener('visibilitychange', () => {
  // Hidden: the frame loop stops by itself. Visible again: resume with the newest frame.
  if (!document.hidden) requestFrame();
});

// ---------------------------------------------------------------------------- still images

async function useImage(blob) {
  showError(null);
  let bitmap;
  try {
    bitmap = await createImageBitmap(blob);
  } catch {
    showError(new Error('that file is not an image this browser can decode'));
    return;
  }
  stopCamera();
  const c = ui.still;
  c.width = bitmap.width;
  c.height = bitmap.height;
  c.getContext('2d').drawImage(bitmap, 0, 0);
  c.hidden = false;
  ui.video.hidden = true;
  state.lastStill = bitmap;
  await classifyFrame(await createImageBitmap(bitmap));
}

// --------------------------------------------------------------------------------- chart

async function computeCosts() {
  for (const alpha of ALPHAS) {
    for (const resolution of RESOLUTIONS) {
      const c = await cost({ alpha, resolution, classes: 1001 });
      state.costs.set(`${alpha}_${resolution}`, { macs: c.macs, params: c.params });
    }
  }
}

function drawChart() {
  const svg = ui.chart;
  const ns = 'http://www.w3.org/2000/svg';
  const el = (name, attrs, text) => {
    const e = document.createElementNS(ns, name);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
    if (text !== undefined) e.textContent = text;
    return e;
  };
  const c = config();
  const [W, H, L, B] = [420, 260, 36, 28];
  const x = (macs) => L + ((Math.log10(macs) - Math.log10(10e6)) / (Math.log10(700e6) - Math.log10(10e6))) * (W - L - 10);
  const y = (acc) => H - B - ((acc - 35) / (75 - 35)) * (H - B - 10);
  const nodes = [el('line', { class: 'axis', x1: L, y1: H - B, x2: W - 5, y2: H - B }),
    el('line', { class: 'axis', x1: L, y1: 5, x2: L, y2: H - B })];
  for (const m of [10e6, 30e6, 100e6, 300e6]) nodes.push(el('text', { x: x(m) - 10, y: H - B + 12 }, `${m / 1e6}M`));
  for (const a of [40, 50, 60, 70]) nodes.push(el('text', { x: 4, y: y(a) + 3 }, `${a}%`));
  nodes.push(el('text', { x: W / 2 - 40, y: H - 4 }, 'multiply-adds (log)'));
  for (const alpha of ALPHAS) {
    for (const resolution of RESOLUTIONS) {
      const cc = state.costs.get(`${alpha}_${resolution}`);
      const acc = published(alpha, resolution, c.dtype);
      if (!cc || !acc) continue;
      const [px, py] = [x(cc.macs), y(acc.top1)];
      const ms = state.measured.get(key({ alpha, resolution, dtype: c.dtype }));
      const point = el('circle', { class: `point ${c.dtype}`, cx: px, cy: py, r: 4,
        'data-config': `${alpha}_${resolution}`, ...(ms ? { 'data-ms': ms.toFixed(3) } : {}) });
      point.append(el('title', {}, `α ${alphaName(alpha)} × ${resolution}: ${acc.top1}% top-1, ${millions(cc.macs)} `
        + `multiply-adds${ms ? `, ${ms.toFixed(1)} ms here` : ''}`));
      nodes.push(point);
      if (ms) {
        const right = px > W - 50; // keep labels inside the chart
        nodes.push(el('text', { x: right ? px - 36 : px + 5, y: py - 4, class: 'latency' }, `${ms.toFixed(1)}ms`));
      }
      if (alpha === c.alpha && resolution === c.resolution) {
        nodes.push(el('circle', { class: 'current', cx: px, cy: py, r: 8, 'data-current': `${alpha}_${resolution}` }));
      }
    }
  }
  svg.replaceChildren(...nodes);
  state.chartDrawn = performance.now();
}

// ----------------------------------------------------------------------------------- auto

/** Measures every α×ρ of the current type on a frame, then picks the most accurate one whose
 *  latency meets the frame-rate target (or the fastest if none does). */
async function autoPick() {
  const target = Math.max(1, Number(ui.target.value) || 15);
  const budget = 1000 / target;
  const dtype = ui.dtype.value;
  const frame = state.stream ? await createImageBitmap(ui.video) : state.lastStill;
  if (!frame) {
    ui.autoStatus.textContent = 'Auto needs a camera frame or an image to measure with.';
    return;
  }
  ui.autoStatus.textContent = 'measuring every configuration on this device…';
  await serial(async () => {
    for (const alpha of ALPHAS) {
      const f = fileFor({ alpha, resolution: 224, dtype });
      if (!f) continue;
      const net = await MobileNet.load(`/models/${f.file}`, { worker: true, cache: true });
      for (const resolution of RESOLUTIONS) {
        await net.setResolution(resolution);
        await net.classify(frame); // warm-up
        const times = [];
        for (let i = 0; i < 3; i++) {
          const t0 = performance.now();
          await net.classify(frame);
          times.push(performance.now() - t0);
        }
        times.sort((a, b) => a - b);
        state.measured.set(key({ alpha, resolution, dtype }), times[1]);
      }
      net.dispose();
    }
  });
  const candidates = ALPHAS.flatMap((alpha) => RESOLUTIONS.map((resolution) => ({ alpha, resolution,
    ms: state.measured.get(key({ alpha, resolution, dtype })), acc: published(alpha, resolution, dtype)?.top1 ?? 0 })))
    .filter((c) => c.ms !== undefined);
  if (candidates.length === 0) return;
  const fitting = candidates.filter((c) => c.ms <= budget).sort((a, b) => b.acc - a.acc || a.ms - b.ms);
  const pick = fitting[0] ?? candidates.sort((a, b) => a.ms - b.ms)[0];
  ui.alpha.value = String(pick.alpha);
  ui.resolution.value = String(pick.resolution);
  await serial(applyConfig);
  ui.autoStatus.textContent = `auto: α ${alphaName(pick.alpha)} × ${pick.resolution} — ${pick.acc}% published top-1, `
    + `${pick.ms.toFixed(1)} ms here ${fitting.length ? `(fits ${target} frames/s)` : `(the fastest; nothing reaches ${target} frames/s)`}`;
  ui.autoStatus.dataset.measured = JSON.stringify(candidates.map((m) => [`${m.alpha}_${m.resolution}`, m.ms]));
  ui.autoStatus.dataset.pick = `${pick.alpha}_${pick.resolution}`;
}

// ----------------------------------------------------------------------------------- init

async function init() {
  const res = await fetch('/models/index.json');
  state.files = res.ok ? await res.json() : [];
  if (state.files.length === 0) {
    ui.status.textContent = 'no models found: run ./build.sh models, or pass --models DIR to the server';
    return;
  }
  // Start with the 1.0 uint8 model where there is one.
  if (!fileFor(config())) ui.alpha.value = '0.25';
  await computeCosts();
  for (const name of ['cat.bmp', 'bird.bmp', 'parrot.jpg']) {
    const b = document.createElement('button');
    b.type = 'button';
    b.textContent = name;
    b.addEventListener('click', async () => {
      const r = await fetch(`/images/${name}`);
      if (r.ok) await useImage(await r.blob());
      else showError(new Error(`sample image ${name} is not available`));
    });
    ui.samples.append(b);
  }
  for (const select of [ui.alpha, ui.resolution, ui.dtype]) {
    select.addEventListener('change', () => {
      ui.auto.checked = false;
      serial(applyConfig).then(() => state.lastStill && !state.stream && classifyStill());
    });
  }
  ui.auto.addEventListener('change', () => { if (ui.auto.checked) autoPick().catch(showError); });
  ui.target.addEventListener('change', () => { if (ui.auto.checked) autoPick().catch(showError); });
  ui.camera.addEventListener('click', () => (state.stream ? stopCamera() : startCamera()));
  ui.file.addEventListener('change', (ev) => { const f = ev.target.files?.[0]; if (f) useImage(f); });
  ui.viewport.addEventListener('dragover', (ev) => { ev.preventDefault(); ui.viewport.classList.add('dragging'); });
  ui.viewport.addEventListener('dragleave', () => ui.viewport.classList.remove('dragging'));
  ui.viewport.addEventListener('drop', (ev) => {
    ev.preventDefault();
    ui.viewport.classList.remove('dragging');
    const f = ev.dataTransfer?.files?.[0];
    if (f) useImage(f);
  });
  await serial(applyConfig);
  if (new URLSearchParams(location.search).has('camera')) await startCamera();
}

async function classifyStill() {
  if (state.lastStill) await classifyFrame(await createImageBitmap(state.lastStill));
}

init().catch(showError);
