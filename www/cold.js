// Cold start: page load → first result, for one engine, one model, one thread count. The page
// loads only that engine's files (as an app using it would), fetches the model by URL, runs one
// inference on the cat and records performance.now() — milliseconds since navigation started.
// bench/coldstart.mjs opens it in a fresh browser context each time (empty HTTP cache: engine
// files fetched and compiled from scratch).
// Query: ?engine=ours|tfjs|litert&model=1.0_224_quant&threads=1|2
// Result: window.coldDone (a Promise) resolves to { ms, loadedMs, top1, engine, model, threads, backend }
// (loadedMs: when the model was loaded, before its first inference and the input's copy).
const q = new URLSearchParams(location.search);
const engine = q.get('engine') || 'ours';
const model = q.get('model') || '0.25_128_quant';
const threads = Number(q.get('threads') || 1);
const MODEL_URL = `/models/mobilenet_v1_${model}.tflite`;

const inputPromise = fetch(`/reference/mobilenet_v1_${model}/cat.input.bin`)
  .then((r) => r.arrayBuffer())
  .then((b) => (model.endsWith('quant') ? new Uint8Array(b) : new Float32Array(b)));

const argmax = (v) => v.reduce((best, x, i) => (x > v[best] ? i : best), 0);

function script(src) {
  return new Promise((resolve, reject) => {
    const s = document.createElement('script');
    s.src = src;
    s.onload = resolve;
    s.onerror = () => reject(new Error(`${src} failed to load`));
    document.head.append(s);
  });
}

async function ours() {
  const { MobileNet } = await import('/pkg/index.js');
  const net = await MobileNet.load(MODEL_URL, { threads });
  const loaded = performance.now();
  const out = await net.infer(await inputPromise);
  const done = performance.now();
  return { out, loaded, done, backend: () => `${net.info.backend}, ${net.info.threads} thread(s)` };
}

async function tfjs() {
  for (const s of ['tfjs-core/dist/tf-core.min.js', 'tfjs-backend-cpu/dist/tf-backend-cpu.min.js',
    'tfjs-tflite/dist/tf-tflite.min.js']) await script(`/node_modules/@tensorflow/${s}`);
  tflite.setWasmPath('/node_modules/@tensorflow/tfjs-tflite/wasm/');
  const m = await tflite.loadTFLiteModel(MODEL_URL, { numThreads: threads });
  const loaded = performance.now();
  const runner = m.modelRunner;
  runner.getInputs()[0].data().set(await inputPromise);
  if (!runner.infer()) throw new Error('tfjs-tflite inference failed');
  const out = runner.getOutputs()[0].data().slice();
  return { out, loaded, done: performance.now(), backend: () => `tfjs-tflite, numThreads ${threads}` };
}

async function litert() {
  const { Tensor, loadAndCompile, loadLiteRt } = await import('@litertjs/core');
  await loadLiteRt('/node_modules/@litertjs/core/wasm/', { threads: threads > 1 });
  const m = await loadAndCompile(MODEL_URL, { accelerator: 'wasm', cpuOptions: { numThreads: threads } });
  const loaded = performance.now();
  const x = new Tensor(await inputPromise, [...m.getInputDetails()[0].shape]);
  const outs = await m.run(x);
  const out = outs[0].toTypedArray().slice();
  return { out, loaded, done: performance.now(), backend: () => `LiteRT.js wasm, numThreads ${threads}` };
}

// The result's time is taken as the output arrives; what the page asks afterwards for the report
// (the engine's info, the top-1) is not part of it.
window.coldDone = ({ ours, tfjs, litert })[engine]().then(({ out, loaded, done: ms, backend }) => {
  document.getElementById('status').textContent = `first result after ${ms.toFixed(0)} ms`;
  // Where the time went: every resource the page fetched (start → end, ms since navigation).
  const resources = performance.getEntriesByType('resource')
    .map((e) => `${e.name.replace(location.origin, '')} ${e.startTime.toFixed(0)}→${e.responseEnd.toFixed(0)}`);
  return { ms, loadedMs: loaded, top1: argmax(out), engine, model, threads, backend: backend(), resources };
});
