// Our engine per layer type in each browser, one thread: where a browser's code for a kernel is
// slower than another's. Each browser opens a blank cross-origin isolated page, loads the model
// (`threads: 1`), warms it up, then takes `net.profile()` `--rounds` times (median per layer,
// summed per layer type: ms and GMAC/s) and the median of 10 plain `net.infer()` calls. Prints
// one line per browser and model (no results file: a diagnostic). It found Firefox running the
// GEMM at half Chromium's speed (2026-12-06; README, Firefox).
// Usage: node bench/layers.mjs [--browsers chromium,firefox,webkit] [--models 1.0_224_quant,1.0_224_float]
//   [--rounds 9] [--pkg DIR]
import { parseArgs } from 'node:util';
import { openBrowser, serve } from '../tools/browsers.mjs';

const { values } = parseArgs({
  options: {
    browsers: { type: 'string', default: 'chromium,firefox,webkit' },
    models: { type: 'string', default: '1.0_224_quant,1.0_224_float' },
    rounds: { type: 'string', default: '9' },
    pkg: { type: 'string' },
  },
});
const server = await serve(values.pkg ? ['--pkg', values.pkg] : []);
try {
  for (const name of values.browsers.split(',')) {
    const browser = await openBrowser(name, { timeout: 600_000 });
    try {
      const page = await browser.newPage(`${server.base}blank.html`);
      for (const model of values.models.split(',')) {
        const r = await page.evaluate(async ({ model, rounds }) => {
          const { MobileNet } = await import('/pkg/index.js');
          const bytes = new Uint8Array(await (await fetch(`/models/mobilenet_v1_${model}.tflite`)).arrayBuffer());
          const raw = new Uint8Array(await (await fetch(`/reference/mobilenet_v1_${model}/cat.input.bin`)).arrayBuffer());
          const x = model.endsWith('quant') ? raw : new Float32Array(raw.buffer);
          const net = await MobileNet.load(bytes, { threads: 1 });
          for (let i = 0; i < 10; i++) await net.infer(x);
          const runs = [];
          for (let i = 0; i < rounds; i++) runs.push(await net.profile(x));
          const median = (a) => [...a].sort((p, q) => p - q)[a.length >> 1];
          /** @type {Record<string, { ms: number, macs: number }>} */
          const types = {};
          runs[0].forEach((layer, l) => {
            const type = layer.type ?? layer.op;
            types[type] ??= { ms: 0, macs: 0 };
            types[type].ms += median(runs.map((run) => run[l].ms));
            types[type].macs += layer.macs;
          });
          const infer = [];
          for (let i = 0; i < 10; i++) {
            const t0 = performance.now();
            await net.infer(x);
            infer.push(performance.now() - t0);
          }
          const { backend } = net.info;
          net.dispose();
          return { backend, infer: median(infer), types };
        }, { model, rounds: Number(values.rounds) }, { timeout: 600_000 });
        const cells = Object.entries(r.types)
          .filter(([, t]) => t.ms >= 0.005)
          .map(([type, t]) => `${type} ${t.ms.toFixed(2)} ms${t.macs ? ` (${(t.macs / t.ms / 1e6).toFixed(1)} GMAC/s)` : ''}`);
        console.log(`${browser.version} ${model} (${r.backend}): infer ${r.infer.toFixed(2)} ms; ${cells.join('; ')}`);
      }
    } finally {
      await browser.close();
    }
  }
} finally {
  server.stop();
}
