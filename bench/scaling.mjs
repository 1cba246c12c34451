// One thread vs two, our engine alone, per layer type: where the second thread pays and where it
// does not. One model loaded twice in one page (headless Chromium, cross-origin isolated), on
// one thread (the single-threaded build) and on two (the threaded build), both on the page's
// thread (`worker: false`: no Worker round trip in the figures; `node bench/forms.mjs` measures
// that). Alternated rounds: a block of `--block` consecutive `net.infer()` calls, then
// `net.profile()` (per layer, summed per type: ms and GMAC/s); the first round is warm-up. Prints medians
// (no results file: a diagnostic): of every call but each block's first (steady: as an app
// classifying frame after frame), and of the first calls alone (after the other net's block: our
// helper thread asleep meanwhile, and both nets' weights — 2 × 17 MB for 1.0/224 float — beyond
// the 32 MB L3 of this VM's CPU, so each block starts with its weights out of cache).
// --layers also prints every layer (median ms on one thread and two, and the ratio).
// Usage: node bench/scaling.mjs [--models 1.0_224_quant,1.0_224_float] [--rounds 15] [--block 10] [--layers] [--pkg DIR]
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { intOption } from '../tools/args.mjs';
import { CHROMIUM, CHROMIUM_ARGS, serve } from '../tools/chromium.mjs';

const { values } = parseArgs({
  options: {
    models: { type: 'string', default: '1.0_224_quant,1.0_224_float' },
    rounds: { type: 'string', default: '15' },
    block: { type: 'string', default: '10' },
    pkg: { type: 'string' },
    layers: { type: 'boolean', default: false },
  },
});
const block = intOption(values, 'block', 2);
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
      const nets = [await MobileNet.load(url, { threads: 1 }), await MobileNet.load(url, { threads: 2, worker: false })];
      /** @type {Record<string, { ms: number[][], macs: number }>} per layer type: ms per round, per net */
      const types = {};
      /** @type {{ type: string, macs: number, ms: number[][] }[]} per layer: ms per round, per net */
      const perLayer = [];
      /** Per net: ms of each block's first call, and of the others. */
      const first = [[], []];
      const steady = [[], []];
      for (let round = 0; round < rounds; round++) {
        for (const i of round % 2 ? [1, 0] : [0, 1]) {
          const ms = [];
          for (let k = 0; k < block; k++) {
            const t0 = performance.now();
            await nets[i].infer(x);
            ms.push(performance.now() - t0);
          }
          const layers = await nets[i].profile(x);
          if (round === 0) continue;
          first[i].push(ms[0]);
          steady[i].push(...ms.slice(1));
          /** @type {Record<string, number>} */
          const sum = {};
          layers.forEach((l, k) => {
            perLayer[k] ??= { type: l.type ?? 'other', macs: l.macs, ms: [[], []] };
            perLayer[k].ms[i].push(l.ms);
          });
          for (const l of layers) {
            const type = l.type ?? 'other';
            sum[type] = (sum[type] ?? 0) + l.ms;
            types[type] ??= { ms: [[], []], macs: 0 };
            if (round === 1 && i === 0) types[type].macs += l.macs;
          }
          for (const [type, ms] of Object.entries(sum)) types[type].ms[i].push(ms);
        }
      }
      const threads = nets.map((n) => n.info.threads);
      for (const net of nets) net.dispose();
      const median = (a) => [...a].sort((p, q) => p - q)[a.length >> 1];
      return {
        threads,
        first: first.map(median),
        steady: steady.map(median),
        types: Object.entries(types).map(([type, t]) => ({ type, macs: t.macs, ms: t.ms.map(median) })),
        layers: perLayer.map((l) => ({ ...l, ms: l.ms.map(median) })),
      };
    }, { model, rounds: Number(values.rounds), block });
    const gmacs = (macs, ms) => (macs && ms ? `${(macs / ms / 1e6).toFixed(1)} GMAC/s` : '');
    const vs = (ms) => `${ms[0].toFixed(2)} ms on ${r.threads[0]} thread, ${ms[1].toFixed(2)} ms on ${r.threads[1]}: `
      + `×${(ms[0] / ms[1]).toFixed(2)}`;
    console.log(`${model}: infer, steady ${vs(r.steady)}; first of a block ${vs(r.first)}`);
    for (const t of r.types) {
      console.log(`  ${t.type.padEnd(10)} ${t.ms[0].toFixed(2).padStart(6)} → ${t.ms[1].toFixed(2).padStart(6)} ms`
        + ` (×${(t.ms[0] / t.ms[1]).toFixed(2)})  ${gmacs(t.macs, t.ms[0])} → ${gmacs(t.macs, t.ms[1])}`);
    }
    if (values.layers) {
      r.layers.forEach((l, k) => {
        if (!l.macs) return;
        console.log(`    ${String(k).padStart(2)} ${l.type.padEnd(10)} ${l.ms[0].toFixed(3).padStart(7)} → `
          + `${l.ms[1].toFixed(3).padStart(7)} ms (×${(l.ms[0] / l.ms[1]).toFixed(2)})  ${gmacs(l.macs, l.ms[0])} → ${gmacs(l.macs, l.ms[1])}`);
      });
    }
  }
} finally {
  await browser.close();
  server.stop();
}
