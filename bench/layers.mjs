// Our engine per layer type in each browser, one thread: where a browser's code for a kernel is
// slower than another's. Each browser opens a blank cross-origin isolated page, loads the model
// (`threads: 1`), warms it up, then takes `net.profile()` `--rounds` times (median per layer,
// summed per layer type: ms and GMAC/s) and the median of 10 plain `net.infer()` calls. Prints
// one line per browser and model (no results file: a diagnostic). It found Firefox running the
// GEMM at half Chromium's speed (2026-12-06; README, Firefox).
// --baseline DIR compares with another package folder (e.g. a copy of pkg/ before a change),
// served by a second server: `--blocks` alternated pages of each (a fresh page per block, the
// order rotating), the median per layer type over the blocks, and this package / the baseline.
// --threads N loads the model on N threads on the page's thread (`worker: false`) instead: the
// profile's layers then run on the team, as the executor chooses.
// Usage: node bench/layers.mjs [--browsers chromium,firefox,webkit] [--models 1.0_224_quant,1.0_224_float]
//   [--rounds 9] [--threads 1] [--pkg DIR] [--baseline DIR] [--blocks 6]
import { parseArgs } from 'node:util';
import { intOption } from '../tools/args.mjs';
import { openBrowser, serve } from '../tools/browsers.mjs';

const { values } = parseArgs({
  options: {
    browsers: { type: 'string', default: 'chromium,firefox,webkit' },
    models: { type: 'string', default: '1.0_224_quant,1.0_224_float' },
    rounds: { type: 'string', default: '9' },
    pkg: { type: 'string' },
    baseline: { type: 'string' },
    blocks: { type: 'string', default: '6' },
    threads: { type: 'string', default: '1' },
  },
});
for (const k of ['rounds', 'blocks', 'threads']) intOption(values, k);
const median = (a) => [...a].sort((p, q) => p - q)[a.length >> 1];
const servers = { ours: await serve(values.pkg ? ['--pkg', values.pkg] : []) };
if (values.baseline) servers.baseline = await serve(['--pkg', values.baseline]);

/** One model on a fresh page of `server`: per layer type, ms (the median over the rounds of
 *  each layer, summed) and multiply-adds; the median of 10 inferences; the build. */
async function measure(browser, server, model) {
  const page = await browser.newPage(`${server.base}blank.html`);
  try {
    return await page.evaluate(async ({ model, rounds, threads }) => {
      const { MobileNet } = await import('/pkg/index.js');
      const bytes = new Uint8Array(await (await fetch(`/models/mobilenet_v1_${model}.tflite`)).arrayBuffer());
      const raw = new Uint8Array(await (await fetch(`/reference/mobilenet_v1_${model}/cat.input.bin`)).arrayBuffer());
      const x = model.endsWith('quant') ? raw : new Float32Array(raw.buffer);
      const net = await MobileNet.load(bytes, threads > 1 ? { threads, worker: false } : { threads: 1 });
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
    }, { model, rounds: Number(values.rounds), threads: Number(values.threads) }, { timeout: 600_000 });
  } finally {
    await page.close();
  }
}

/** The medians over blocks of one package's measurements. */
function combine(rs) {
  const types = {};
  for (const [type, t] of Object.entries(rs[0].types)) types[type] = { ms: median(rs.map((r) => r.types[type].ms)), macs: t.macs };
  return { backend: rs[0].backend, infer: median(rs.map((r) => r.infer)), types };
}

/** A layer type's multiply-adds per second, in billions. */
const rate = (t) => (t.macs / t.ms / 1e6).toFixed(1);
const gmacs = (t) => (t.macs ? ` (${rate(t)} GMAC/s)` : '');
try {
  for (const name of values.browsers.split(',')) {
    const browser = await openBrowser(name, { timeout: 600_000 });
    try {
      for (const model of values.models.split(',')) {
        if (!values.baseline) {
          const r = await measure(browser, servers.ours, model);
          const cells = Object.entries(r.types).filter(([, t]) => t.ms >= 0.005).map(([type, t]) => `${type} ${t.ms.toFixed(2)} ms${gmacs(t)}`);
          console.log(`${browser.version} ${model} (${r.backend}): infer ${r.infer.toFixed(2)} ms; ${cells.join('; ')}`);
          continue;
        }
        const runs = { ours: [], baseline: [] };
        for (let b = 0; b < Number(values.blocks); b++) {
          for (const k of b % 2 ? ['baseline', 'ours'] : ['ours', 'baseline']) runs[k].push(await measure(browser, servers[k], model));
        }
        const [ours, base] = [combine(runs.ours), combine(runs.baseline)];
        const cells = Object.entries(ours.types).filter(([, t]) => t.ms >= 0.005).map(([type, t]) => {
          const b = base.types[type];
          return `${type} ${b.ms.toFixed(2)} → ${t.ms.toFixed(2)} ms${b.macs ? ` (${rate(b)} → ${rate(t)} GMAC/s)` : ''} ×${(t.ms / b.ms).toFixed(3)}`;
        });
        console.log(`${browser.version} ${model} (${ours.backend}), baseline → this package, medians of ${values.blocks} alternated pages: `
          + `infer ${base.infer.toFixed(2)} → ${ours.infer.toFixed(2)} ms ×${(ours.infer / base.infer).toFixed(3)}; ${cells.join('; ')}`);
      }
    } finally {
      await browser.close();
    }
  }
} finally {
  for (const s of Object.values(servers)) s.stop();
}
