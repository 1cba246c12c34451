// The demo: webcam → the package's live loop (net.classifyVideo; small models on the page's thread, large ones in a Worker) → top 5
// over the video, with α/ρ/type pickers, the cost model, measured latency, the accuracy-vs-cost
// chart, an auto mode and a Teach mode (your own classes). Uses only the package's public API
// (served under /pkg/). This module wires the others: camera.js (the camera and its states),
// models.js (model selection), results.js (the top 5 and the live figures), chart.js, auto.js,
// teach.js.
import { MobileNet, MobileNetError, ZOO, cost, parseZooFileName, zooAlphaName } from '/pkg/index.js';
import { autoPick } from './auto.js';
import { Camera } from './camera.js';
import { drawChart } from './chart.js';
import { Models } from './models.js';
import { LiveStats, renderTop } from './results.js';
import { TeachMode } from './teach.js';
import { published } from './accuracy.js';

const $ = (id) => document.getElementById(id);
const ui = {
  video: $('video'), still: $('still'), top: $('top'), viewport: $('viewport'), file: $('file'), samples: $('samples'),
  alpha: $('alpha'), resolution: $('resolution'), dtype: $('dtype'), auto: $('auto'), target: $('target'),
  status: $('model-status'), autoStatus: $('auto-status'), chart: $('chart'), error: $('error'),
};

const state = {
  live: null, // the running classifyVideo loop
  lastStill: null, // the last image classified (an ImageBitmap)
  measured: new Map(), // `${α}_${ρ}_${dtype}` → median ms measured here
  costs: new Map(), // `${α}_${ρ}` → { macs, params }
  chartDrawn: 0,
  threadsShown: 0,
};

const stats = new LiveStats();
const models = new Models({
  progress: $('progress'),
  onRestart: (reason) => {
    ui.error.textContent = `The engine failed (${reason}) and was restarted; it is running again.`;
    ui.error.dataset.restarted = 'true';
  },
});

const config = () => ({ alpha: Number(ui.alpha.value), resolution: Number(ui.resolution.value), dtype: ui.dtype.value });
const key = (c) => `${c.alpha}_${c.resolution}_${c.dtype}`;
const millions = (n) => `${(n / 1e6).toFixed(1)} M`;

function showError(e) {
  ui.error.textContent = e ? (e instanceof MobileNetError ? `${e.code}: ${e.message}` : String(e.message ?? e)) : '';
}

/** What this browser gives the engine, and why threads are off when they are. */
function showCapabilities(info) {
  const caps = MobileNet.capabilities();
  const yes = (b) => (b ? 'yes' : 'no');
  const why = info?.threadsReason ?? caps.reason;
  $('capabilities').textContent = `SIMD128 ${yes(caps.simd128)}, relaxed SIMD ${yes(caps.relaxedSimd)}, `
    + `threads ${yes(caps.threads && !info?.threadsReason)}${why ? ` — ${why}` : ''}`;
}

function redrawChart() {
  const c = config();
  drawChart(ui.chart, { costs: state.costs, current: c, measured: (alpha, resolution) => state.measured.get(key({ alpha, resolution, dtype: c.dtype })) });
  state.chartDrawn = performance.now();
}

/** How the running model's threads were used so far (net.threadStats): with several, the share
 *  of inferences on the team and the times the engine measured with it and alone. */
async function showThreadsUsed() {
  const net = models.net;
  const el = $('threads-used');
  if (net.info.threads < 2) {
    el.textContent = 'one thread';
    return;
  }
  const s = await net.threadStats();
  const runs = s.teamRuns + s.soloRuns;
  const measured = [[s.teamMs, 'with the team'], [s.soloMs, 'alone']]
    .filter(([x]) => x != null).map(([x, how]) => `${Number(x).toFixed(1)} ms ${how}`);
  el.textContent = runs === 0 ? '–'
    : `the team of ${net.info.threads} in ${Math.round((100 * s.teamRuns) / runs)}% of ${runs} inference${runs === 1 ? '' : 's'}`
      + `${measured.length ? ` (measured: ${measured.join(', ')})` : ''}`;
}

function showModel(c, target) {
  const info = models.net.info;
  const trainedNote = target.trained !== c.resolution ? ` (trained at ${target.trained})` : '';
  ui.status.textContent = `${target.file}: α ${zooAlphaName(info.alpha)}, ${info.dtype}, running at `
    + `${info.resolution}×${info.resolution}${trainedNote}`;
  ui.status.dataset.file = target.file;
  $('macs').textContent = millions(info.macs);
  $('params').textContent = millions(info.params);
  $('file-name').textContent = `${target.file}, trained at ${target.trained}×${target.trained}`;
  $('size').textContent = `${(target.bytes / 1e6).toFixed(1)} MB`;
  $('backend').textContent = `${info.backend}, ${info.threads} thread${info.threads > 1 ? 's' : ''}, `
    + `${info.runsIn === 'worker' ? 'in a Worker' : 'on the page\'s thread'}`;
  showCapabilities(info);
  showThreadsUsed().catch(() => {});
  const acc = published(c.alpha, c.resolution, c.dtype);
  const floatNote = c.dtype === 'float32' && !parseZooFileName(target.file)?.official
    ? '; the float file here is a rewrite of the uint8 model, not the published float one' : '';
  $('accuracy').textContent = acc
    ? `${acc.top1}% / ${acc.top5}% as published for ${zooAlphaName(c.alpha)}×${c.resolution}`
      + `${target.trained !== c.resolution ? ` — the running file was trained at ${target.trained}, so it is less accurate here` : ''}${floatNote}`
    : '–';
  stats.reset();
}

/** Loads (or re-plans) the model for the picked configuration; the camera keeps running. */
async function applyConfig() {
  const c = config();
  showError(null);
  if (!models.fileFor(c)) {
    ui.status.textContent = `no ${c.dtype} model file for α ${zooAlphaName(c.alpha)} on this server`;
    return;
  }
  if (models.file !== models.fileFor(c).file) ui.status.textContent = `loading ${models.fileFor(c).file}…`;
  let applied;
  try {
    applied = await models.apply(c);
  } catch (e) {
    ui.status.textContent = e.target ? `could not load ${e.target.file}` : e.message;
    showError(e);
    return;
  }
  if (!applied) return; // a newer pick took over
  if (applied.previous) {
    state.live?.setModel(applied.net); // the next frame goes to the new model
    applied.previous.dispose();
  }
  showModel(c, applied.target);
  redrawChart();
  await teach.modelChanged();
  if (teach.active) return;
  if (camera.live && !state.live) startLive(ui.video);
  if (state.lastStill && !state.live) await classifyStill();
}

// ------------------------------------------------------------------------------ live loop

function onResult(r) {
  renderTop(ui.top, r.classes);
  const median = stats.add(r.frameToResultMs, r.inferMs);
  state.measured.set(key(config()), median);
  // Keep the chart's latency labels current, redrawing at most once a second, and the threads'
  // use.
  if (!(performance.now() - state.chartDrawn < 1000)) redrawChart();
  if (!(performance.now() - state.threadsShown < 1000)) {
    state.threadsShown = performance.now();
    // (A model being swapped may be disposed meanwhile: the next second shows the new one.)
    showThreadsUsed().catch(() => {});
  }
}

function startLive(video) {
  state.live?.stop();
  state.live = models.net.classifyVideo(video, onResult, {
    topK: 5,
    onError: (e) => {
      state.live = null;
      if (e.code === 'CAMERA') camera.ended();
      else showError(e);
    },
  });
}

function stopLive() {
  state.live?.stop();
  state.live = null;
}

const camera = new Camera({
  video: ui.video, stateEl: $('camera-state'), button: $('camera'),
  onLive: (video) => {
    ui.still.hidden = true;
    if (teach.active) teach.cameraLive();
    else if (models.net) startLive(video);
  },
  onStop: stopLive,
});

const teach = new TeachMode({
  video: ui.video,
  camera,
  still: () => state.lastStill,
  net: () => models.net,
  modelName: () => `${models.file} at ${models.net.info.resolution}`,
  onEnter: () => {
    stopLive();
    ui.top.hidden = true;
  },
  onLeave: () => {
    ui.top.hidden = false;
    if (camera.live && models.net) startLive(ui.video);
    else classifyStill();
  },
  showError,
});

// ---------------------------------------------------------------------------- still images

async function classifyStill() {
  if (!state.lastStill || !models.net) return;
  try {
    renderTop(ui.top, await models.net.classify(state.lastStill, { topK: 5 }));
  } catch (e) {
    showError(e);
  }
}

async function useImage(blob) {
  showError(null);
  let bitmap;
  try {
    bitmap = await createImageBitmap(blob);
  } catch {
    showError(new Error('that file is not an image this browser can decode'));
    return;
  }
  camera.stop();
  stopLive();
  const c = ui.still;
  c.width = bitmap.width;
  c.height = bitmap.height;
  c.getContext('2d').drawImage(bitmap, 0, 0);
  c.hidden = false;
  ui.video.hidden = true;
  state.lastStill = bitmap;
  if (teach.active) await teach.predictStill(bitmap);
  else await classifyStill();
}

// ----------------------------------------------------------------------------------- auto

async function runAuto() {
  const target = Math.max(1, Number(ui.target.value) || 15);
  const frame = camera.live ? await createImageBitmap(ui.video) : state.lastStill;
  if (!frame) {
    ui.autoStatus.textContent = 'Auto needs a camera frame or an image to measure with.';
    return;
  }
  ui.autoStatus.textContent = 'measuring every configuration on this device…';
  state.live?.pause(); // the measurements have the machine to themselves
  let r;
  try {
    r = await autoPick({ models, frame, dtype: ui.dtype.value, target,
      record: (alpha, resolution, ms) => state.measured.set(key({ alpha, resolution, dtype: ui.dtype.value }), ms) });
  } finally {
    state.live?.resume();
  }
  if (!r) return;
  const { pick, fitting, candidates } = r;
  ui.alpha.value = String(pick.alpha);
  ui.resolution.value = String(pick.resolution);
  await applyConfig();
  ui.autoStatus.textContent = `auto: α ${zooAlphaName(pick.alpha)} × ${pick.resolution} — ${pick.acc}% published top-1, `
    + `${pick.ms.toFixed(1)} ms here ${fitting.length ? `(fits ${target} frames/s)` : `(the fastest; nothing reaches ${target} frames/s)`}`;
  ui.autoStatus.dataset.measured = JSON.stringify(candidates.map((m) => [`${m.alpha}_${m.resolution}`, m.ms]));
  ui.autoStatus.dataset.pick = `${pick.alpha}_${pick.resolution}`;
}

// ----------------------------------------------------------------------------------- init

async function init() {
  if (!(await models.init())) {
    ui.status.textContent = 'no models found: run ./build.sh models, or pass --models DIR to the server';
    return;
  }
  // Start with the 1.0 uint8 model where there is one.
  if (!models.fileFor(config())) ui.alpha.value = '0.25';
  for (const alpha of ZOO.alphas) {
    for (const resolution of ZOO.resolutions) {
      const c = await cost({ alpha, resolution, classes: 1001 });
      state.costs.set(`${alpha}_${resolution}`, { macs: c.macs, params: c.params });
    }
  }
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
      applyConfig();
    });
  }
  ui.auto.addEventListener('change', () => { if (ui.auto.checked) runAuto().catch(showError); });
  ui.target.addEventListener('change', () => { if (ui.auto.checked) runAuto().catch(showError); });
  ui.file.addEventListener('change', (ev) => { const f = ev.target.files?.[0]; if (f) useImage(f); });
  ui.viewport.addEventListener('dragover', (ev) => { ev.preventDefault(); ui.viewport.classList.add('dragging'); });
  ui.viewport.addEventListener('dragleave', () => ui.viewport.classList.remove('dragging'));
  ui.viewport.addEventListener('drop', (ev) => {
    ev.preventDefault();
    ui.viewport.classList.remove('dragging');
    const f = ev.dataTransfer?.files?.[0];
    if (f) useImage(f);
  });
  await applyConfig();
  const params = new URLSearchParams(location.search);
  if (params.has('teach') || localStorage.getItem('mobilenet-demo-mode') === 'teach') await teach.enter();
  if (params.has('camera')) await camera.start();
}

init().catch(showError);
