// Browser benchmark driver: serves the repository, opens www/bench.html in headless Chromium,
// Firefox (cross-origin isolated, so the engines can use threads) or WebKitGTK's MiniBrowser
// (Safari's engine: one thread, it has no SharedArrayBuffer), collects the results and writes
// Markdown + JSON into bench/results/ (browser-latest.* for Chromium, browser-<browser>-latest.*
// for the others).
// Usage: node bench/browser.mjs [--browser chromium|firefox|webkit] [--runs 50] [--warmup 10] [--models a,b] [--threads 1,2]
//   [--repeat 1] [--peers tfjs,litert] [--gemm auto|dot|i16] [--gap MS] [--pkg DIR] [--out DIR]
// --pkg: serve another build of the package as /pkg (a copy of pkg/ built from another commit: A/B runs).
// --gap: a pause of MS before each timed run (every engine's idle threads asleep when a run starts, as between
// a camera's frames); 0, the default, runs the engines back to back.
// --gemm: our uint8 matrix-product kernel (the load option); i16 gives the fallback rows (probe off).
// --threads: counts, `2w` for ours in the Worker form (worker: true), `2p` on the page's thread (worker: false); a plain count lets the package
// choose (with threads, small models on the page's thread: js/where.js). The last column says where.
// --repeat N: the whole page N times (a fresh page each, one browser), and each row's figures are the
// median of the N pages' medians with their range — on a shared VM one page's ratio moves by ±0.1
// or more from page to page, so a claim about a target wants several.
import { readFileSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { intOption } from '../tools/args.mjs';
import { openBrowser } from '../tools/browsers.mjs';
import { serve } from '../tools/chromium.mjs';

const ROOT = new URL('..', import.meta.url).pathname;
const { values } = parseArgs({
  options: {
    browser: { type: 'string', default: 'chromium' },
    runs: { type: 'string', default: '50' },
    warmup: { type: 'string', default: '10' },
    models: { type: 'string', default: '' },
    threads: { type: 'string' },
    peers: { type: 'string', default: 'tfjs,litert' },
    gemm: { type: 'string', default: 'auto' },
    gap: { type: 'string', default: '0' },
    repeat: { type: 'string', default: '1' },
    pkg: { type: 'string' },
    out: { type: 'string', default: join(ROOT, 'bench/results') },
    'models-dir': { type: 'string', default: process.env.MOBILENET_MODELS ?? join(ROOT, '../shared/models') },
    'reference-dir': { type: 'string', default: process.env.MOBILENET_REFERENCE ?? join(ROOT, '../shared/reference') },
  },
});

const repeat = intOption(values, 'repeat');
/** The middle value (of an even count, the mean of the two middle ones). */
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** The rows of `pages` bench pages (the same rows in the same order) as one: each median is the
 *  median of the pages' medians, and p10 and p90 — the keys a single page's rows have — the lowest
 *  and highest of them; each ratio the median of the pages' ratios (not the ratio of the medians;
 *  ours / best peer's range in `ratio_best_range`); runs and team runs summed; the rest (kernel,
 *  backend, answers) from the first page. One page: as it is. */
function combine(pages) {
  if (pages.length === 1) return pages[0];
  for (const p of pages) {
    p.rows.forEach((r, i) => {
      const first = pages[0].rows[i];
      if (r.model !== first.model || r.threads !== first.threads || r.ours.kernel !== first.ours.kernel) {
        throw new Error(`page rows differ: ${r.model} ${r.threads} ${r.ours.kernel} against ${first.model} ${first.threads} ${first.ours.kernel}`);
      }
    });
  }
  const stat = (xs) => (xs.includes(null) || xs.includes(undefined) ? null
    : { median: median(xs.map((s) => s.median)), p10: Math.min(...xs.map((s) => s.median)),
      p90: Math.max(...xs.map((s) => s.median)), runs: xs.reduce((n, s) => n + s.runs, 0) });
  const ratio = (xs) => (xs.includes(null) ? null : median(xs));
  const rows = pages[0].rows.map((row, i) => {
    const all = pages.map((p) => p.rows[i]);
    const team = all.map((r) => r.ours.teamRuns);
    const bests = all.map((r) => r.ratio_best ?? null);
    return {
      ...row,
      ours: { ...row.ours, ...stat(all.map((r) => r.ours)),
        teamRuns: team.includes(undefined) ? undefined : team.reduce((a, b) => a + b, 0) },
      peer: stat(all.map((r) => r.peer)),
      litert: stat(all.map((r) => r.litert)),
      ratio: ratio(all.map((r) => r.ratio ?? null)),
      ratio_litert: ratio(all.map((r) => r.ratio_litert ?? null)),
      ratio_best: ratio(bests),
      ratio_best_range: bests.includes(null) ? null : [Math.min(...bests), Math.max(...bests)],
    };
  });
  return { ...pages.at(-1), rows, repeat: pages.length, pages: pages.map((p) => p.rows) };
}

const server = await serve(['--models', values['models-dir'], '--reference', values['reference-dir'],
  ...(values.pkg ? ['--pkg', values.pkg] : [])]);
try {
  const base = server.base;
  const engine = await openBrowser(values.browser, { timeout: 3_600_000 });
  // WebKitGTK has no SharedArrayBuffer: one thread there, unless asked.
  const threads = values.threads ?? (values.browser === 'webkit' ? '1' : '1,2');
  const query = new URLSearchParams({ runs: values.runs, warmup: values.warmup, threads, peers: values.peers,
    gemm: values.gemm, gap: values.gap });
  if (values.models) query.set('models', values.models);
  const pages = [];
  for (let i = 0; i < repeat; i++) {
    if (repeat > 1) console.error(`page ${i + 1} of ${repeat}…`);
    const page = await engine.newPage(`${base}bench.html?${query}`);
    // As JSON: WebKitWebDriver does not return the object itself. WebKitWebDriver may also run this
    // before the page's module has set window.benchDone: wait for it.
    pages.push(JSON.parse(await page.evaluate(async () => {
      while (!window.benchDone) await new Promise((resolve) => { setTimeout(resolve, 50); });
      return JSON.stringify(await window.benchDone);
    }, undefined, { timeout: 3_600_000 })));
    await page.close();
  }
  const result = combine(pages);
  const browserVersion = engine.version;
  await engine.close();

  const version = (p) => JSON.parse(readFileSync(join(ROOT, 'node_modules', p, 'package.json'), 'utf8')).version;
  const ours = JSON.parse(await readFile(join(ROOT, 'pkg/package.json'), 'utf8')).version;
  Object.assign(result, {
    browser: browserVersion,
    peer: `@tensorflow/tfjs-tflite ${version('@tensorflow/tfjs-tflite')}`,
    litert: `@litertjs/core ${version('@litertjs/core')}`,
    ours: `mobilenet-wasm ${ours}`,
    machine: `${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}`,
  });
  const ms = (s) => (s ? s.median.toFixed(2) : '–');
  const range = (s) => (s ? `${s.p10.toFixed(2)}–${s.p90.toFixed(2)}` : '–');
  const ratio = (x) => (x == null ? '–' : x.toFixed(2));
  const best = (r) => `**${ratio(r.ratio_best)}**${r.ratio_best_range ? ` (${r.ratio_best_range.map(ratio).join('–')})` : ''}`;
  const each = repeat > 1 ? `median of ${repeat} pages' medians` : 'median';
  const spread = repeat > 1 ? 'pages\' lowest–highest' : 'p10–p90';
  // With several pages each ratio is the median of the pages' ratios (and ours / best peer's range).
  const ratios = repeat > 1 ? ' (median of the pages\' ratios; their range)' : '';
  const md = [
    `Benchmark ${result.date.slice(0, 10)} — ${result.machine}, ${result.browser} (headless, cross-origin isolated: ${result.crossOriginIsolated}), `
      + `${result.peer} and ${result.litert} (wasm accelerator; threaded build for 2 threads) vs ${result.ours} (gemm: ${result.gemm}); `
      + `cat input, ${result.warmup} warm-up then ${result.runs} timed runs each, the three alternated`
      + `${repeat > 1 ? `, on each of ${repeat} fresh pages (figures: the median over the pages, and their range)` : ''}`
      + `${result.gap ? `, a pause of ${result.gap} ms before each timed run` : ', back to back'}; milliseconds per inference.`,
    '',
    `| model | threads | ours ${each} | ours ${spread} | tfjs-tflite ${each} | tfjs-tflite ${spread} | LiteRT.js ${each} | LiteRT.js ${spread} | ours/tfjs-tflite${ratios ? ' ¹' : ''} | ours/LiteRT.js${ratios ? ' ¹' : ''} | ours/best peer${ratios} | our backend${repeat > 1 ? ', team runs summed over the pages' : ''} |`,
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...result.rows.map((r) => `| ${r.model} | ${r.threads} | ${ms(r.ours)} | ${range(r.ours)} | ${ms(r.peer)} | ${range(r.peer)} `
      + `| ${ms(r.litert)} | ${range(r.litert)} | ${ratio(r.ratio)} | ${ratio(r.ratio_litert)} | ${best(r)} `
      + `| ${r.ours.backend}${r.ours.kernel ? ` (${r.ours.kernel})` : ''}, ${r.ours.threads} thread(s)`
      + `${r.ours.runsIn ? `, ${r.ours.runsIn === 'worker' ? 'in a Worker' : 'on the page\'s thread'}` : ''}`
      + `${r.ours.threads > 1 && r.ours.teamRuns != null ? `, team in ${r.ours.teamRuns} of ${r.ours.runs} runs` : ''} |`),
    '',
    ...(ratios ? ['¹ The median of the pages\' ratios, which need not be the ratio of the medians beside it.', ''] : []),
  ].join('\n');
  await mkdir(values.out, { recursive: true });
  const stamp = `${result.date.replace(/[:.]/g, '-')}${repeat > 1 ? `-repeat${repeat}` : ''}`;
  await writeFile(join(values.out, `browser-${values.browser}-${stamp}.json`), JSON.stringify(result, null, 2));
  await writeFile(join(values.out, `browser-${values.browser}-${stamp}.md`), md);
  const latest = values.browser === 'chromium' ? 'browser-latest' : `browser-${values.browser}-latest`;
  await writeFile(join(values.out, `${latest}.md`), md);
  await writeFile(join(values.out, `${latest}.json`), JSON.stringify(result, null, 2));
  console.log(md);
} finally {
  server.stop();
}
