// Cold start benchmark: page load → first result (engine files fetched uncached, compiled,
// model fetched and loaded, one inference) for our engine, tfjs-tflite and LiteRT.js, 1 and 2
// threads, every model. Each measurement is a fresh browser context of one headless Chromium
// (empty HTTP cache) on a cross-origin isolated page (www/cold.html); the engines alternate.
// Writes bench/results/coldstart-latest.{md,json}.
// --baseline DIR adds the engine "baseline": ours from another package folder (e.g. a copy of pkg/
// before a change), served by a second server and alternated with the others in the same run.
// --timeline prints, for every sample, each request the page and its Workers made (ms since the
// navigation was asked for, by this script's clock: start → end, path) — where a cold start goes.
// --network MBITS emulates a download link of that many Mbit/s with 20 ms latency (Chrome DevTools'
// network emulation, the page's own requests) instead of the local server's unlimited one.
// Usage: node bench/coldstart.mjs [--runs 3] [--models a,b] [--threads 1,2] [--engines ours,tfjs,litert]
//   [--baseline DIR] [--timeline] [--network MBITS] [--out DIR]
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS, serve } from '../tools/chromium.mjs';

const ROOT = new URL('..', import.meta.url).pathname;
const ALL = ['0.25_128', '0.5_160', '0.75_192', '1.0_224'].flatMap((a) => [`${a}_quant`, `${a}_float`]);
const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    models: { type: 'string', default: ALL.join(',') },
    threads: { type: 'string', default: '1,2' },
    engines: { type: 'string', default: 'ours,tfjs,litert' },
    baseline: { type: 'string' },
    timeline: { type: 'boolean', default: false },
    network: { type: 'string' },
    out: { type: 'string', default: join(ROOT, 'bench/results') },
  },
});
const engines = [...values.engines.split(','), ...(values.baseline ? ['baseline'] : [])];
/** Peers: what ours is compared with (not the baseline, an earlier ours). */
const isPeer = (e) => e !== 'ours' && e !== 'baseline';
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const server = await serve();
const baselineServer = values.baseline ? await serve(['--pkg', values.baseline]) : null;
const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
const rows = [];
try {
  for (const threads of values.threads.split(',').map(Number)) {
    for (const model of values.models.split(',')) {
      const t = Object.fromEntries(engines.map((e) => [e, []]));
      const info = {};
      for (let i = 0; i < Number(values.runs); i++) {
        for (const engine of engines) {
          const context = await browser.newContext();
          const page = await context.newPage();
          if (values.network) {
            const cdp = await context.newCDPSession(page);
            await cdp.send('Network.emulateNetworkConditions', {
              offline: false, latency: 20, downloadThroughput: Number(values.network) * 1e6 / 8, uploadThroughput: 1e6,
            });
          }
          const [base, as] = engine === 'baseline' ? [baselineServer.base, 'ours'] : [server.base, engine];
          /** @type {Map<object, { path: string, start: number, end?: number }>} */
          const requests = new Map();
          const t0 = performance.now();
          if (values.timeline) {
            context.on('request', (q) => requests.set(q, { path: q.url().replace(base, '/'), start: performance.now() - t0 }));
            context.on('requestfinished', (q) => { const e = requests.get(q); if (e) e.end = performance.now() - t0; });
          }
          await page.goto(`${base}cold.html?${new URLSearchParams({ engine: as, model, threads })}`);
          const r = await page.evaluate(() => window.coldDone, undefined, { timeout: 120_000 });
          await context.close();
          if (values.timeline) {
            console.log(`${engine} ${model} threads ${threads}: first result at ${r.ms.toFixed(0)} ms (page clock), `
              + `model loaded at ${r.loadedMs.toFixed(0)} ms (first inference ${(r.ms - r.loadedMs).toFixed(0)} ms)`);
            for (const q of requests.values()) {
              console.log(`  ${q.start.toFixed(0).padStart(5)} → ${(q.end ?? NaN).toFixed(0).padStart(5)}  ${q.path}`);
            }
          }
          t[engine].push(r.ms);
          info[engine] = { top1: r.top1, backend: r.backend };
        }
      }
      const row = { model, threads, engines: {} };
      for (const e of engines) row.engines[e] = { median: median(t[e]), runs: t[e], ...info[e] };
      const peers = engines.filter(isPeer).map((e) => row.engines[e].median);
      row.ratio_best = row.engines.ours && peers.length ? row.engines.ours.median / Math.min(...peers) : null;
      rows.push(row);
      console.log(`${model} threads ${threads}: ${engines.map((e) => `${e} ${row.engines[e].median.toFixed(0)} ms`).join(', ')}`
        + (row.ratio_best ? `, ours/best peer ${row.ratio_best.toFixed(2)}` : '')
        + (row.engines.baseline && row.engines.ours ? `, ours/baseline ${(row.engines.ours.median / row.engines.baseline.median).toFixed(2)}` : ''));
    }
  }
} finally {
  await browser.close();
  server.stop();
  baselineServer?.stop();
}

const version = async (p) => JSON.parse(await readFile(join(ROOT, p, 'package.json'), 'utf8')).version;
const result = {
  date: new Date().toISOString(),
  browser: `Chromium ${browser.version()}`,
  machine: `${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}`,
  versions: {
    ours: await version('pkg'),
    tfjs: await version('node_modules/@tensorflow/tfjs-tflite'),
    litert: await version('node_modules/@litertjs/core'),
  },
  runs: Number(values.runs),
  rows,
};
const name = { ours: 'ours', tfjs: 'tfjs-tflite', litert: 'LiteRT.js', baseline: `baseline (${values.baseline})` };
const md = [
  `Cold start ${result.date.slice(0, 10)} — ${result.machine}, ${result.browser} headless, cross-origin isolated; `
    + `mobilenet-wasm ${result.versions.ours}, @tensorflow/tfjs-tflite ${result.versions.tfjs}, @litertjs/core ${result.versions.litert}. `
    + `Page load → first result (engine files uncached, compiled, model fetched and loaded, one inference on the cat), `
    + `ms, median of ${result.runs} fresh browser contexts per cell.`,
  '',
  `| model | threads | ${engines.map((e) => name[e]).join(' | ')} | ours/best peer |`,
  `|---|---|${engines.map(() => '---|').join('')}---|`,
  ...rows.map((r) => `| ${r.model} | ${r.threads} | ${engines.map((e) => r.engines[e].median.toFixed(0)).join(' | ')} `
    + `| **${r.ratio_best?.toFixed(2) ?? '–'}** |`),
  '',
].join('\n');
await mkdir(values.out, { recursive: true });
await writeFile(join(values.out, 'coldstart-latest.md'), md);
await writeFile(join(values.out, 'coldstart-latest.json'), JSON.stringify(result, null, 2));
console.log(md);
