// Busy-machine benchmark: our engine at 1 and 2 threads on every model, on a quiet machine and
// while another process keeps one core busy (a bounded shell busy loop, stopped when the
// measurement ends and by `timeout` in any case). Opens www/bench.html?peer=0 (the package's
// public API only, as a user calls it) on a cross-origin isolated page and writes
// bench/results/busy-latest.{md,json}.
//
// Usage: node bench/busy.mjs [--runs 30] [--warmup 10] [--models a,b] [--threads 1,1w,2]
//                            [--conditions quiet,busy] [--browsers chromium,firefox] [--out DIR]
//        node bench/busy.mjs --merge a/busy-latest.json,b/busy-latest.json [--out DIR]
//
// Browsers: tools/browsers.mjs (Chromium through playwright-core, Firefox ESR through
// puppeteer-core); by default Chromium, and Firefox when firefox-esr is installed. WebKitGTK has
// no threads (no SharedArrayBuffer), so it has no busy-machine rows.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { FIREFOX, openBrowser, serve } from '../tools/browsers.mjs';

const ROOT = new URL('..', import.meta.url).pathname;
const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '30' },
    warmup: { type: 'string', default: '10' },
    models: { type: 'string', default: '' },
    // 1w: one thread in the Worker form (with --pair 1 only).
    threads: { type: 'string', default: '' },
    // 1: a model's thread counts loaded together and their runs alternated (the same machine
    // for all); 0: all runs of one thread count, then the next (back to back, as bench/browser.mjs).
    pair: { type: 'string', default: '1' },
    conditions: { type: 'string', default: 'quiet,busy' },
    browsers: { type: 'string', default: existsSync(FIREFOX) ? 'chromium,firefox' : 'chromium' },
    out: { type: 'string', default: join(ROOT, 'bench/results') },
    // Comma-separated busy-latest.json files of earlier runs: write their combined table.
    merge: { type: 'string', default: '' },
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
      const paired = values.pair !== '0';
      const threads = values.threads || (paired ? '1,1w,2' : '1,2');
      const query = new URLSearchParams({ runs: values.runs, warmup: values.warmup, threads, peer: '0', pair: paired ? '1' : '0' });
      if (values.models) query.set('models', values.models);
      const page = await b.newPage(`${base}bench.html?${query}`);
      const result = await page.evaluate(() => window.benchDone, undefined, { timeout: 3_600_000 });
      return { ...result, browser: b.version, condition, paired, load: loadavg()[0] };
    } finally {
      await b.close();
    }
  } finally {
    await busy?.stop();
  }
}

const f = (x) => x.toFixed(2);
// Two threads: also in how many of the timed runs the engine used its team (net.threadStats).
const cell = (r) => (r ? `${f(r.median)} (${f(r.p90)})${r.threads > 1 && r.teamRuns != null ? `, team ${r.teamRuns}/${r.runs}` : ''}` : '–');

let runsOut = [];
if (values.merge) {
  // Tables from earlier runs' JSON (e.g. each browser and condition measured on its own).
  for (const file of values.merge.split(',')) runsOut.push(...JSON.parse(await readFile(file, 'utf8')).raw);
} else {
  const server = await serve(['--models', values['models-dir'], '--reference', values['reference-dir']]);
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
}

// One table row per browser × model: quiet and busy; 1 thread on the page's thread, 1 thread in
// the Worker form (what 2 threads pay for the Worker round trip, without threads) and 2 threads.
const rows = [];
for (const run of runsOut) {
  for (const r of run.rows) {
    let row = rows.find((x) => x.browser === run.browser && x.model === r.model);
    if (!row) rows.push(row = { browser: run.browser, model: r.model });
    row[`${run.condition}_${r.threads}${r.worker ? 'w' : ''}`] = { ...r.ours, threads_used: r.ours.threads };
  }
}
for (const row of rows) {
  const m = (k) => row[k]?.median;
  if (m('quiet_1') && m('quiet_2')) row.quiet_speedup = m('quiet_1') / m('quiet_2');
  if (m('busy_1') && m('busy_2')) {
    row.busy_ratio = m('busy_2') / m('busy_1');
    row.busy_ok = m('busy_2') <= 1.2 * m('busy_1') + 1;
  }
  if (m('busy_1w') && m('busy_2')) row.busy_ratio_worker = m('busy_2') / m('busy_1w');
}
const first = runsOut[0];
const md = [
  `Busy-machine benchmark ${(first?.date ?? new Date().toISOString()).slice(0, 10)} — ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}; `
    + `${[...new Set(runsOut.map((r) => r.browser))].join(', ')} headless, cross-origin isolated: ${first?.crossOriginIsolated}; `
    + 'mobilenet-wasm through its public API (www/bench.html?peer=0'
    + (runsOut.every((r) => r.paired !== false) ? '&pair=1: the thread counts of a model loaded together, runs alternated'
      : ': all runs of one thread count back to back, then the next')
    + `), cat input, ${first?.warmup} warm-up then ${first?.runs} timed runs each; milliseconds per inference, `
    + 'median (p90). "1 thread": on the page\'s thread; "1 thread, Worker": `{ threads: 1, worker: true }`, the Worker '
    + 'round trip that 2 threads also pay, without threads. "busy": another process (a shell busy loop) keeps one core '
    + 'busy. "team n/m": n of the m timed runs on the team of threads, the rest on the calling thread alone. '
    + 'Target: busy 2 threads ≤ 1.2 × busy 1 thread + 1 ms; quiet 2 threads ≥ 1.8× faster on 1.0/224.',
  '',
  '| browser | model | quiet 1 thread | quiet 1 thread, Worker | quiet 2 threads | quiet speed-up | busy 1 thread '
    + '| busy 1 thread, Worker | busy 2 threads | busy 2t / 1t | ≤ 1.2× + 1 ms | busy 2t / 1t Worker |',
  '|---|---|---|---|---|---|---|---|---|---|---|---|',
  ...rows.map((r) => `| ${r.browser} | ${r.model} | ${cell(r.quiet_1)} | ${cell(r.quiet_1w)} | ${cell(r.quiet_2)} `
    + `| ${r.quiet_speedup ? `${f(r.quiet_speedup)}×` : '–'} | ${cell(r.busy_1)} | ${cell(r.busy_1w)} | ${cell(r.busy_2)} `
    + `| ${r.busy_ratio ? f(r.busy_ratio) : '–'} | ${r.busy_ok === undefined ? '–' : r.busy_ok ? 'yes' : '**no**'} `
    + `| ${r.busy_ratio_worker ? f(r.busy_ratio_worker) : '–'} |`),
  '',
  `Load average (1 min) at the end of each run: ${runsOut.map((r) => `${r.browser} ${r.condition} ${r.load.toFixed(2)}`).join(', ')}.`,
  '',
].join('\n');
await mkdir(values.out, { recursive: true });
const json = { date: first?.date ?? new Date().toISOString(), machine: `${cpus().length} × ${cpus()[0]?.model}`,
  runs: first?.runs, warmup: first?.warmup, rows, raw: runsOut };
await writeFile(join(values.out, 'busy-latest.json'), JSON.stringify(json, null, 2));
await writeFile(join(values.out, 'busy-latest.md'), md);
console.log(md);
