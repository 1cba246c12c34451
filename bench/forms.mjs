// Worker form vs the page's own thread, 2 threads, our engine alone: what the Worker costs per
// inference (the round trip, and the caller's waits for its helper, which may sleep in a Worker
// and never does on a page's thread). Both forms of one model are loaded in one page (headless
// Chromium, cross-origin isolated) and timed in alternated blocks of runs (the order rotating), a pause between
// blocks so that neither meets the other's helper still spinning; the first round is warm-up.
// Prints medians in ms and worker/page per model (no results file: a diagnostic).
// Usage: node bench/forms.mjs [--models 1.0_224_quant,1.0_224_float] [--rounds 6] [--block 15] [--pkg DIR]
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS, serve } from '../tools/chromium.mjs';

const { values } = parseArgs({
  options: {
    models: { type: 'string', default: '1.0_224_quant,1.0_224_float' },
    rounds: { type: 'string', default: '6' },
    block: { type: 'string', default: '15' },
    pkg: { type: 'string' },
  },
});
const server = await serve(values.pkg ? ['--pkg', values.pkg] : []);
const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
try {
  for (const model of values.models.split(',')) {
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${server.base}blank.html`);
    const r = await page.evaluate(async ({ model, rounds, block }) => {
      const { MobileNet } = await import('/pkg/index.js');
      const raw = new Uint8Array(await (await fetch(`/reference/mobilenet_v1_${model}/cat.input.bin`)).arrayBuffer());
      const x = model.endsWith('quant') ? raw : new Float32Array(raw.buffer);
      const url = `/models/mobilenet_v1_${model}.tflite`;
      const nets = {
        worker: await MobileNet.load(url, { threads: 2, worker: true }),
        page: await MobileNet.load(url, { threads: 2, worker: false }),
      };
      /** @type {Record<string, number[]>} */
      const t = { worker: [], page: [] };
      for (let round = 0; round < rounds; round++) {
        // The order rotates round by round, so that neither always runs after the other.
        for (const form of round % 2 ? ['page', 'worker'] : ['worker', 'page']) {
          for (let i = 0; i < 10; i++) await nets[form].infer(x);
          await new Promise((resolve) => { setTimeout(resolve, 50); });
          for (let i = 0; i < block; i++) {
            const t0 = performance.now();
            await nets[form].infer(x);
            if (round > 0) t[form].push(performance.now() - t0);
          }
        }
      }
      const threads = { worker: nets.worker.info.threads, page: nets.page.info.threads };
      for (const net of Object.values(nets)) net.dispose();
      const median = (a) => [...a].sort((p, q) => p - q)[a.length >> 1];
      return { worker: median(t.worker), page: median(t.page), threads };
    }, { model, rounds: Number(values.rounds), block: Number(values.block) });
    console.log(`${model}: worker ${r.worker.toFixed(2)} ms, page ${r.page.toFixed(2)} ms, worker/page ${(r.worker / r.page).toFixed(2)}`
      + ` (threads: worker ${r.threads.worker}, page ${r.threads.page})`);
    await page.close();
  }
} finally {
  await browser.close();
  server.stop();
}
