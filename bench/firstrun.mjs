// A model's first inferences after its load, against warm ones: where a cold start's first
// inference goes. In headless Chromium (or --browser firefox|webkit), cross-origin isolated, a
// fresh page per sample: the package imported, the model loaded (MobileNet.load, `--threads`,
// on the page's thread), an optional pause of `--pause` ms, then `net.profile()` four times
// (the first inferences, timed per layer) and 30 `net.infer()` calls (the warm median). Prints
// per sample the load, the four first inferences and the warm median; with --layers, each first
// inference's milliseconds per layer too (no results file: a diagnostic).
// Usage: node bench/firstrun.mjs [--model 1.0_224_quant] [--threads 1] [--samples 4] [--pause 0]
//   [--layers] [--browser chromium] [--pkg DIR]
import { parseArgs } from 'node:util';
import { intOption } from '../tools/args.mjs';
import { openBrowser, serve } from '../tools/browsers.mjs';

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: '1.0_224_quant' },
    threads: { type: 'string', default: '1' },
    samples: { type: 'string', default: '4' },
    pause: { type: 'string', default: '0' },
    layers: { type: 'boolean', default: false },
    browser: { type: 'string', default: 'chromium' },
    pkg: { type: 'string' },
  },
});
for (const k of ['threads', 'samples']) intOption(values, k);
if (!(Number(values.pause) >= 0)) throw new Error(`--pause must be milliseconds, not '${values.pause}'`);
const server = await serve(values.pkg ? ['--pkg', values.pkg] : []);
const engine = await openBrowser(values.browser, { timeout: 600_000 });
const f = (x) => x.toFixed(1);
try {
  for (let i = 0; i < Number(values.samples); i++) {
    const page = await engine.newPage(`${server.base}blank.html`);
    const r = JSON.parse(await page.evaluate(async ({ model, threads, pause }) => {
      const input = fetch(`/reference/mobilenet_v1_${model}/cat.input.bin`).then((res) => res.arrayBuffer());
      const { MobileNet } = await import('/pkg/index.js');
      const t0 = performance.now();
      const net = await MobileNet.load(`/models/mobilenet_v1_${model}.tflite`, { threads, worker: false });
      const load = performance.now() - t0;
      const raw = new Uint8Array(await input);
      const x = model.endsWith('quant') ? raw : new Float32Array(raw.buffer);
      if (pause > 0) await new Promise((resolve) => { setTimeout(resolve, pause); });
      const first = [];
      for (let k = 0; k < 4; k++) {
        const a = performance.now();
        const layers = await net.profile(x);
        first.push({ ms: performance.now() - a, layers: layers.map((l) => l.ms) });
      }
      const warm = [];
      for (let k = 0; k < 30; k++) {
        const a = performance.now();
        await net.infer(x);
        warm.push(performance.now() - a);
      }
      warm.sort((a, b) => a - b);
      net.dispose();
      return JSON.stringify({ load, first, warm: warm[15] });
    }, { model: values.model, threads: Number(values.threads), pause: Number(values.pause) }, { timeout: 600_000 }));
    await page.close();
    console.log(`${values.model}, ${values.threads} thread(s), sample ${i + 1}: load ${f(r.load)} ms; `
      + `first inferences ${r.first.map((x) => f(x.ms)).join(', ')} ms; warm median ${f(r.warm)} ms`);
    if (values.layers) r.first.forEach((x, k) => console.log(`  inference ${k + 1}, ms per layer: ${x.layers.map(f).join(' ')}`));
  }
} finally {
  await engine.close();
  server.stop();
}
