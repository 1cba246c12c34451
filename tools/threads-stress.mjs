// Stress loop for the Firefox threads hang (README, Tests): the threads test's per-model work
// (load + infer at 1, 2, 3 threads, all 8 models) repeated: node tools/threads-stress.mjs [ROUNDS] [BROWSER].
// Prints each model that gave no answer within 60 s with the page's last steps, and the loads that
// took > 10 s (a stuck thread start-up replaced by the page).
import { openBrowser, serve } from './browsers.mjs';
import { manifest } from '../tests/node/data.mjs';

const ROUNDS = Number(process.argv[2] ?? 3);
const BROWSER = process.argv[3] ?? 'firefox';
const isolated = await serve();
const models = (await manifest()).models;

const RUN_MODEL = async ({ name, entry, threadCounts }) => {
  const P = (globalThis.__progress = globalThis.__progress ?? []);
  const mark = (s) => P.push(`${(performance.timeOrigin + performance.now()).toFixed(1)} ${name} ${s}`);
  if (!globalThis.__bc) { globalThis.__bc = new BroadcastChannel('mn-trace'); globalThis.__bc.onmessage = ({ data }) => P.push(data); }
  const { MobileNet } = await import('/pkg/index.js');
  const get = async (url) => { const r = await fetch(url); return new Uint8Array(await r.arrayBuffer()); };
  const bytes = await get(`/models/${name}.tflite`);
  const quant = entry.input_dtype === 'uint8';
  const cases = [];
  for (const c of entry.cases) {
    const raw = await get(`/reference/${c.input}`);
    const want = await get(`/reference/${c.output}`);
    cases.push({ name: c.case, input: quant ? raw : new Float32Array(raw.buffer), want: quant ? want : new Float32Array(want.buffer) });
  }
  let bad = 0;
  for (const threads of threadCounts) {
    mark(`load t${threads}`);
    const tl = performance.now();
    const net = await MobileNet.load(bytes, { threads });
    if (performance.now() - tl > 10000) globalThis.__slow = (globalThis.__slow ?? 0) + 1;
    if (net.info.threads !== threads) bad += 1000;
    mark(`loaded t${threads} used ${net.info.threads}`);
    for (const c of cases) {
      mark(`infer t${threads} ${c.name}`);
      const out = await net.infer(c.input);
      for (let i = 0; i < out.length; i++) if (quant ? out[i] !== c.want[i] : Math.abs(out[i] - c.want[i]) > 1e-4) { bad++; break; }
    }
    mark(`dispose t${threads}`);
    net.dispose();
  }
  return bad;
};

let b = await openBrowser(BROWSER, { timeout: 180_000 });
let page = await b.newPage(isolated.base);
let hangs = 0;
for (let round = 0; round < ROUNDS; round++) {
  const t0 = Date.now();
  for (const [model, entry] of Object.entries(models)) {
    try {
      const bad = await page.evaluate(RUN_MODEL, { name: model, entry, threadCounts: [1, 2, 3] }, { timeout: 60_000 });
      if (bad) console.log(`round ${round} ${model}: ${bad} wrong outputs`);
    } catch (e) {
      hangs++;
      console.log(`round ${round} ${model}: ${e.message.slice(0, 300)}`);
      try {
        const p = await page.evaluate(() => globalThis.__progress.slice(-40), undefined, { timeout: 10_000 });
        console.log('  page progress:', p.join('\n    '));
      } catch (e2) { console.log('  page does not answer:', e2.message.slice(0, 200)); }
      const { execSync } = await import('node:child_process');
      console.log(execSync(`for p in $(pgrep -f firefox-esr); do echo "pid $p $(tr '\\0' ' ' < /proc/$p/cmdline | cut -c1-60 | sed 's/.*-isForBrowser.*/content/')"; ps -L -o comm=,stat=,pcpu= -p $p | sort | uniq -c | sort -rn | head -8; done`).toString());
      console.log('  last requests:', isolated.requests.slice(-8).map((r) => `${r.path} ${r.status}`).join(', '));
      await b.close();
      b = await openBrowser(BROWSER, { timeout: 180_000 });
      page = await b.newPage(isolated.base);
    }
  }
  console.log(`round ${round}: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}
console.log(`hangs: ${hangs}, slow loads (a stuck start replaced): ${await page.evaluate(() => globalThis.__slow ?? 0)}`);
await b.close();
isolated.stop();
process.exit(0);
