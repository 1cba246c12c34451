// Inference after an idle pause, as a camera's frames come (one every ~33 ms), against
// back-to-back calls: what a pause costs our engine, and whether a change helps there. In
// headless Chromium (or --browser firefox), cross-origin isolated, one model loaded as an app
// would (MobileNet.load, `--threads`, `--form worker|page`); 10 warm-up calls, then per round
// `--n` calls each after a pause of every `--gaps` value (0: back to back). Fresh page per round.
// --baseline DIR: the same on another package folder (e.g. a copy of pkg/ before a change),
// served by a second server, pages alternated with ours (the order rotating): prints
// this package / the baseline per row. Prints medians in ms (no results file: a diagnostic).
// Usage: node bench/idle.mjs [--models 1.0_224_quant,1.0_224_float] [--threads 2] [--form worker]
//   [--gaps 0,30] [--rounds 4] [--n 25] [--browser chromium] [--pkg DIR] [--baseline DIR]
import { parseArgs } from 'node:util';
import { openBrowser, serve } from '../tools/browsers.mjs';

const { values } = parseArgs({
  options: {
    models: { type: 'string', default: '1.0_224_quant,1.0_224_float' },
    threads: { type: 'string', default: '2' },
    form: { type: 'string', default: 'worker' },
    gaps: { type: 'string', default: '0,30' },
    rounds: { type: 'string', default: '4' },
    n: { type: 'string', default: '25' },
    browser: { type: 'string', default: 'chromium' },
    pkg: { type: 'string' },
    baseline: { type: 'string' },
  },
});
if (!['worker', 'page'].includes(values.form)) throw new Error(`--form must be worker or page, not ${values.form}`);
const gaps = values.gaps.split(',').map(Number);
if (gaps.some((g) => !(g >= 0))) throw new Error(`--gaps must be pauses in ms, not ${values.gaps}`);
const servers = { ours: await serve(values.pkg ? ['--pkg', values.pkg] : []) };
if (values.baseline) servers.baseline = await serve(['--pkg', values.baseline]);
const median = (a) => [...a].sort((p, q) => p - q)[a.length >> 1];
const engine = await openBrowser(values.browser, { timeout: 600_000 });
try {
  for (const model of values.models.split(',')) {
    /** @type {Record<string, number[]>} ms per call, by "<package> <gap>" */
    const t = {};
    let where = '';
    for (let round = 0; round < Number(values.rounds); round++) {
      const names = Object.keys(servers);
      for (const name of round % 2 ? names.reverse() : names) {
        const page = await engine.newPage(`${servers[name].base}blank.html`);
        const r = JSON.parse(await page.evaluate(async ({ model, threads, worker, gaps, n }) => {
          const { MobileNet } = await import('/pkg/index.js');
          const raw = new Uint8Array(await (await fetch(`/reference/mobilenet_v1_${model}/cat.input.bin`)).arrayBuffer());
          const x = model.endsWith('quant') ? raw : new Float32Array(raw.buffer);
          const net = await MobileNet.load(`/models/mobilenet_v1_${model}.tflite`, { threads, worker });
          for (let i = 0; i < 10; i++) await net.infer(x);
          /** @type {Record<number, number[]>} */
          const ms = {};
          for (const gap of gaps) {
            ms[gap] = [];
            for (let i = 0; i < n; i++) {
              if (gap > 0) await new Promise((resolve) => { setTimeout(resolve, gap); });
              const t0 = performance.now();
              await net.infer(x);
              ms[gap].push(performance.now() - t0);
            }
          }
          const where = `${net.info.runsIn}, ${net.info.threads} thread(s)`;
          net.dispose();
          return JSON.stringify({ ms, where });
        }, { model, threads: Number(values.threads), worker: values.form === 'worker', gaps, n: Number(values.n) },
        { timeout: 600_000 }));
        await page.close();
        for (const gap of gaps) (t[`${name} ${gap}`] ??= []).push(...r.ms[gap]);
        where = r.where;
      }
    }
    for (const gap of gaps) {
      const ours = median(t[`ours ${gap}`]);
      const label = gap > 0 ? `after ${gap} ms idle` : 'back to back';
      let line = `${model} (${where}) ${label}: ${ours.toFixed(2)} ms`;
      if (servers.baseline) {
        const base = median(t[`baseline ${gap}`]);
        line += `, baseline ${base.toFixed(2)} ms, this package / baseline ${(ours / base).toFixed(3)}`;
      }
      console.log(`${line} (${t[`ours ${gap}`].length} calls)`);
    }
  }
} finally {
  await engine.close();
  for (const s of Object.values(servers)) s.stop();
}
