// Busy-machine benchmark: our engine at 1 and 2 threads on every model, on a quiet machine and
// while another process keeps one core busy (a bounded shell busy loop, stopped when the
// measurement ends and by `timeout` in any case). Opens www/bench.html?peer=0 (the package's
// public API only, as a user calls it) on a cross-origin isolated page and writes
// bench/results/busy-latest.{md,json}.
//
// Usage: node bench/busy.mjs [--runs 30] [--warmup 5] [--models a,b] [--threads 1,2]
//                            [--conditions quiet,busy] [--browsers chromium,firefox] [--out DIR]
//
// Browsers: tools/browsers.mjs (Chromium through playwright-core, Firefox ESR through
// puppeteer-core); by default Chromium, and Firefox when firefox-esr is installed. WebKitGTK has
// no threads (no SharedArrayBuffer), so it has no busy-machine rows.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { FIREFOX, openBrowser, serve } from '../tools/browsers.mjs';

const ROOT = new URL('..', import.meta.url).pathname;
const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '30' },
    warmup: { type: 'string', default: '5' },
    models: { type: 'string', default: '' },
    threads: { type: 'string', default: '1,2' },
    conditions: { type: 'string', default: 'quiet,busy' },
    browsers: { type: 'string', default: existsSync(FIREFOX) ? 'chromium,firefox' : 'chromium' },
    out: { type: 'string', default: join(ROOT, 'bench/results') },
    // Upper bound on the busy loop's life whatever happens to this script (seconds).
    'busy-limit': { type: 'string', default: '1200' },
    'models-dir': { type: 'string', default: process.env.MOBILENET_MODELS ?? join(ROOT, '../shared/models') },
    'reference-dir': { type: 'string', default: process.env.MOBILENET_REFERENCE ?? join(ROOT, '../shared/reference') },
  },
});

/** One process spinning on one core until stopped, and at most `limit` seconds. */
function startBusy(limit) {
  const child = spawn('timeout', [String(limit), 'sh', '-c', 'while :; do :; done'], { stdio: 'ignore' });
  return { pid: child.pid, stop: () => new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', resolve);
    child.kill('SIGTERM'); // timeout passes it on to the shell
  }) };
}

async function measure(base, browserName, condition) {
  const busy = condition === 'busy' ? startBusy(Number(values['busy-limit'])) : null;
  try {
    if (busy) await sleep(500); // let the loop get going
    const b = await openBrowser(browserName, { timeout: 3_600_000 });
    try {
      const query = new URLSearchParams({ runs: values.runs, warmup: values.warmup, threads: values.threads, peer: '0' });
      if (values.models) query.set('models', values.models);
      const page = await b.newPage(`${base}bench.html?${query}`);
      const result = await page.evaluate(() => window.benchDone, undefined, { timeout: 3_600_000 });
      return { ...result, browser: b.version, condition, load: loadavg()[0] };
    } finally {
      await b.close();
    }
  } finally {
    await busy?.stop();
  }
}

const f = (x) => x.toFixed(2);
const cell = (r) => (r ? `${f(r.ours.median)} (${f(r.ours.p90)})` : '–');

const server = await serve(['--models', values['models-dir'], '--reference', values['reference-dir']]);
const runsOut = [];
try {
  for (const browserName of values.browsers.split(',')) {
    for (const condition of values.conditions.split(',')) {
      console.error(`${browserName}, ${condition}…`);
      runsOut.push(await measure(server.base, browserName, condition));
    }
  }
} finally {
  server.stop();
}

// One table row per browser × model: quiet and busy, 1 and 2 threads.
const rows = [];
for (const run of runsOut) {
  for (const r of run.rows) {
    let row = rows.find((x) => x.browser === run.browser && x.model === r.model);
    if (!row) rows.push(row = { browser: run.browser, model: r.model });
    row[`${run.condition}_${r.threads}`] = { ...r.ours, backend: r.ours.backend, threads_used: r.ours.threads };
  }
}
for (const row of rows) {
  const [q1, q2, b1, b2] = ['quiet_1', 'quiet_2', 'busy_1', 'busy_2'].map((k) => row[k]?.median);
  if (q1 && q2) row.quiet_speedup = q1 / q2;
  if (b1 && b2) {
    row.busy_ratio = b2 / b1;
    row.busy_ok = b2 <= 1.2 * b1 + 1;
  }
}
const get = (row, k) => (row[k] ? { ours: row[k] } : null);
const first = runsOut[0];
const md = [
  `Busy-machine benchmark ${new Date().toISOString().slice(0, 10)} — ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}; `
    + `${[...new Set(runsOut.map((r) => r.browser))].join(', ')} headless, cross-origin isolated: ${first?.crossOriginIsolated}; `
    + `mobilenet-wasm through its public API (www/bench.html?peer=0), cat input, ${values.warmup} warm-up then ${values.runs} timed runs; `
    + 'milliseconds per inference, median (p90). "busy": another process (a shell busy loop) keeps one core busy. '
    + 'Target: busy 2 threads ≤ 1.2 × busy 1 thread + 1 ms; quiet 2 threads ≥ 1.8× faster on 1.0/224.',
  '',
  '| browser | model | quiet 1 thread | quiet 2 threads | quiet speed-up | busy 1 thread | busy 2 threads | busy 2t / 1t | within 1.2× + 1 ms |',
  '|---|---|---|---|---|---|---|---|---|',
  ...rows.map((r) => `| ${r.browser} | ${r.model} | ${cell(get(r, 'quiet_1'))} | ${cell(get(r, 'quiet_2'))} `
    + `| ${r.quiet_speedup ? `${f(r.quiet_speedup)}×` : '–'} | ${cell(get(r, 'busy_1'))} | ${cell(get(r, 'busy_2'))} `
    + `| ${r.busy_ratio ? f(r.busy_ratio) : '–'} | ${r.busy_ok === undefined ? '–' : r.busy_ok ? 'yes' : '**no**'} |`),
  '',
  `Load average (1 min) at the end of each run: ${runsOut.map((r) => `${r.browser} ${r.condition} ${r.load.toFixed(2)}`).join(', ')}.`,
  '',
].join('\n');
await mkdir(values.out, { recursive: true });
const json = { date: new Date().toISOString(), machine: `${cpus().length} × ${cpus()[0]?.model}`, runs: Number(values.runs),
  warmup: Number(values.warmup), rows, raw: runsOut };
await writeFile(join(values.out, 'busy-latest.json'), JSON.stringify(json, null, 2));
await writeFile(join(values.out, 'busy-latest.md'), md);
console.log(md);
