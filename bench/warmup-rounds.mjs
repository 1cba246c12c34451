// How many warm-up rounds a model's first inference needs in Chromium (a diagnostic behind
// local.js WARM_ROUNDS / WARM_ROUNDS_MORE): in a fresh browser context per sample, the engine's
// relaxed build is instantiated, `warmUp` run N times, then (after a pause, as a download
// would give) the model loaded from bytes and its first four inferences timed; also the
// rounds' own time and the engine's construction (import, planning, packing). A JavaScript
// engine runs a fresh module in baseline code and optimises a function after it has run for a
// while; the first inference shows what the warm-up left undone.
// Usage: node bench/warmup-rounds.mjs [--model 1.0_224_quant] [--rounds 20,50,100,200] [--reps 4] [--pause 100] [--pkg DIR]
// (--pkg: another build of the package, e.g. a copy of pkg/ from before a change.)
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS, serve } from '../tools/chromium.mjs';

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: '1.0_224_quant' },
    rounds: { type: 'string', default: '20,50,100,200' },
    reps: { type: 'string', default: '4' },
    pause: { type: 'string', default: '100' },
    pkg: { type: 'string' },
  },
});
const server = await serve(values.pkg ? ['--pkg', values.pkg] : []);
const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
const median = (a) => [...a].sort((p, q) => p - q)[a.length >> 1];
try {
  for (const rounds of values.rounds.split(',').map(Number)) {
    const firsts = [];
    const rest = [];
    const warms = [];
    const builds = [];
    for (let rep = 0; rep < Number(values.reps); rep++) {
      const context = await browser.newContext();
      const page = await context.newPage();
      await page.goto(`${server.base}blank.html`);
      const t = await page.evaluate(async ({ model, rounds, pause }) => {
        const g = await import('/pkg/mobilenet_wasm.js');
        await g.default({ module_or_path: await WebAssembly.compileStreaming(fetch('/pkg/relaxed/mobilenet_wasm_bg.wasm')) });
        const bytes = new Uint8Array(await (await fetch(`/models/mobilenet_v1_${model}.tflite`)).arrayBuffer());
        const dtype = model.endsWith('quant') ? 'uint8' : 'float32';
        const w0 = performance.now();
        for (let i = 0; i < rounds; i++) g.warmUp(dtype);
        const warm = performance.now() - w0;
        await new Promise((resolve) => { setTimeout(resolve, pause); });
        const b0 = performance.now();
        const engine = new g.Engine(bytes, undefined);
        const build = performance.now() - b0;
        const times = [];
        for (let i = 0; i < 4; i++) {
          engine.inputPtr(engine.inputLength, dtype);
          const t0 = performance.now();
          engine.runInPlace();
          times.push(performance.now() - t0);
        }
        engine.free();
        return { times, warm, build };
      }, { model: values.model, rounds, pause: Number(values.pause) });
      firsts.push(t.times[0]);
      rest.push(...t.times.slice(1));
      warms.push(t.warm);
      builds.push(t.build);
      await context.close();
    }
    console.log(`${values.model}, ${rounds} rounds: first inference ${firsts.map((x) => x.toFixed(1)).join(' ')} ms `
      + `(median ${median(firsts).toFixed(1)}); later ones median ${median(rest).toFixed(1)}; the rounds took `
      + `${median(warms).toFixed(1)} ms, the engine's construction ${median(builds).toFixed(1)} (medians)`);
  }
} finally {
  await browser.close();
  server.stop();
}
