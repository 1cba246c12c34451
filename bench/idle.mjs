// Inference after an idle pause, as a camera's frames come (one every ~33 ms), against
// back-to-back calls: what a pause costs our engine, and whether a change helps there. In
// headless Chromium (or --browser firefox|webkit), cross-origin isolated, each model loaded as
// an app would (MobileNet.load, `--threads`, `--form worker|page`); 10 warm-up calls, then per
// round `--n` calls after a pause of each `--gaps` value (0: back to back; the gaps' order
// rotates round by round), on a fresh page per round; with two threads, also how many of the
// calls ran on the team (net.threadStats). Unlike `bench/browser.mjs --gap`, one page times
// both pauses, our engine alone. --baseline DIR: the same on another package folder (e.g. a copy
// of pkg/ before a change), served by a second server, pages alternated with ours (the order
// rotating): prints this package / the baseline per row. Prints medians in ms (no results
// file: a diagnostic).
// Usage: node bench/idle.mjs [--models 1.0_224_quant,1.0_224_float] [--threads 2] [--form worker]
//   [--gaps 0,30] [--rounds 4] [--n 25] [--browser chromium] [--pkg DIR] [--baseline DIR]
import { parseArgs } from 'node:util';
import { intOption } from '../tools/args.mjs';
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
if (!values.gaps || gaps.some((g) => !(g >= 0)) || new Set(gaps).size !== gaps.length) {
  throw new Error(`--gaps must be distinct pauses in ms, not '${values.gaps}'`);
}
for (const k of ['rounds', 'n', 'threads']) intOption(values, k);
const servers = { ours: await serve(values.pkg ? ['--pkg', values.pkg] : []) };
if (values.baseline) servers.baseline = await serve(['--pkg', values.baseline]);
const median = (a) => [...a].sort((p, q) => p - q)[a.length >> 1];
const engine = await openBrowser(values.browser, { timeout: 600_000 });
try {
  for (const model of values.models.split(',')) {
    /** @type {Record<string, number[]>} ms per call, by "<package> <gap>" */
    const t = {};
    /** @type {Record<string, number[]>} team runs per page, by "<package> <gap>" */
    const team = {};
    /** @type {Record<string, string>} */
    const wheres = {};
    for (let round = 0; round < Number(values.rounds); round++) {
      const names = Object.keys(servers);
      for (const name of round % 2 ? names.reverse() : names) {
        const page = await engine.newPage(`${servers[name].base}blank.html`);
        const order = gaps.map((_, i) => gaps[(i + round) % gaps.length]);
        const r = JSON.parse(await page.evaluate(async ({ model, threads, worker, gaps, n }) => {
          const { MobileNet } = await import('/pkg/index.js');
          const raw = new Uint8Array(await (await fetch(`/reference/mobilenet_v1_${model}/cat.input.bin`)).arrayBuffer());
          const x = model.endsWith('quant') ? raw : new Float32Array(raw.buffer);
          const net = await MobileNet.load(`/models/mobilenet_v1_${model}.tflite`, { threads, worker });
          for (let i = 0; i < 10; i++) await net.infer(x);
          /** @type {Record<number, number[]>} */
          const ms = {};
          /** @type {Record<number, number | null>} */
          const team = {};
          // (A package from before net.threadStats, as a baseline, has none.)
          const teamRuns = async () => (await net.threadStats?.())?.teamRuns;
          for (const gap of gaps) {
            ms[gap] = [];
            const before = await teamRuns();
            for (let i = 0; i < n; i++) {
              if (gap > 0) await new Promise((resolve) => { setTimeout(resolve, gap); });
              const t0 = performance.now();
              await net.infer(x);
              ms[gap].push(performance.now() - t0);
            }
            const after = await teamRuns();
            team[gap] = before === undefined || after === undefined ? null : after - before;
          }
          const where = `${net.info.runsIn}, ${net.info.threads} thread(s)`;
          const used = net.info.threads;
          net.dispose();
          return JSON.stringify({ ms, team, where, threads: used });
        }, { model, threads: Number(values.threads), worker: values.form === 'worker', gaps: order, n: Number(values.n) },
        { timeout: 600_000 }));
        await page.close();
        for (const gap of gaps) {
          (t[`${name} ${gap}`] ??= []).push(...r.ms[gap]);
          if (r.threads > 1 && r.team[gap] != null) (team[`${name} ${gap}`] ??= []).push(r.team[gap]);
        }
        wheres[name] = r.where;
      }
    }
    const sum = (a) => a.reduce((x, y) => x + y, 0);
    const teamText = (key) => (team[key] ? `, team in ${sum(team[key])} of ${t[key].length}` : '');
    for (const gap of gaps) {
      const ours = median(t[`ours ${gap}`]);
      const label = gap > 0 ? `after ${gap} ms idle` : 'back to back';
      let line = `${model} (${wheres.ours}) ${label}: ${ours.toFixed(2)} ms${teamText(`ours ${gap}`)}`;
      if (servers.baseline) {
        const base = median(t[`baseline ${gap}`]);
        line += `; baseline (${wheres.baseline}) ${base.toFixed(2)} ms${teamText(`baseline ${gap}`)}; this package / baseline ${(ours / base).toFixed(3)}`;
      }
      console.log(`${line} (${t[`ours ${gap}`].length} calls each)`);
    }
  }
} finally {
  await engine.close();
  for (const s of Object.values(servers)) s.stop();
}
