// The CSP test page's script (inline scripts are what a strict policy forbids): loads a uint8
// model (?model=NAME, default the 1.0/224 one) with the options in the query (?worker=1,
// ?threads=N), classifies the cat and puts the outcome, or the error, in window.__result.
import { MobileNet } from '/pkg/index.js';

const query = new URLSearchParams(location.search);
const options = {};
if (query.has('threads')) options.threads = Number(query.get('threads'));
if (query.has('worker')) options.worker = query.get('worker') === '1';
const model = query.get('model') ?? 'mobilenet_v1_1.0_224_quant';

async function main() {
  const started = performance.now();
  try {
    const net = await MobileNet.load(`/models/${model}.tflite`, options);
    const image = await createImageBitmap(await (await fetch('/images/cat.bmp')).blob());
    const top = await net.classify(image, { topK: 1 });
    const { backend, threads, threadsReason, runsIn } = net.info;
    net.dispose();
    return { ok: true, label: top[0].label, backend, threads, threadsReason, runsIn, ms: performance.now() - started };
  } catch (e) {
    return { ok: false, name: e.name, code: e.code, message: e.message, ms: performance.now() - started };
  }
}

main().then((r) => {
  window.__result = { ...r, isolated: globalThis.crossOriginIsolated === true, capabilities: MobileNet.capabilities() };
  document.getElementById('out').textContent = JSON.stringify(window.__result);
});
