// Benchmark page: our engine (through the package's public API, exactly as a user calls it)
// against tfjs-tflite and LiteRT.js (@litertjs/core, the wasm accelerator: XNNPACK) on the same
// .tflite file and the same input, alternating the three (the order rotates run by run).
// Query: ?models=1.0_224_quant,…&threads=1,2&runs=50&warmup=10[&gap=ms][&peers=tfjs,litert][&gemm=auto|dot|i16][&peer=0[&pair=1]]
// (gap: a pause before each timed run, so that every engine's idle threads have gone to sleep when the next
// run starts — as between a camera's frames; 0, the default, runs back to back)
// (gemm: our uint8 matrix-product kernel, the load option; i16 = the fallback, the dot product's probe off)
// (peers: which peers run, default both; peer=0: ours only, no peer; pair=1: every thread count of a model loaded at once and
// their runs alternated, so that all see the same machine, and a count written `1w` means one
// thread in the Worker form, { worker: true } — bench/busy.mjs uses these. Without pair, `2w` too:
// ours in the Worker form, and `2p` on the page's thread ({ worker: false }), where `2` lets the package choose,
// the page's thread for small models.)
// Results: window.benchDone (a Promise) resolves to the result object.
import { MobileNet } from '/pkg/index.js';
import { Tensor, loadAndCompile, loadLiteRt, unloadLiteRt } from '@litertjs/core';

const q = new URLSearchParams(location.search);
const ALL = ['0.25_128', '0.5_160', '0.75_192', '1.0_224'].flatMap((a) => [`${a}_quant`, `${a}_float`]);
const models = (q.get('models') || ALL.join(',')).split(',');
const threadCounts = (q.get('threads') || '1,2').split(',');
const runs = Number(q.get('runs') || 50);
const warmup = Number(q.get('warmup') || 10);
const gap = Number(q.get('gap') || 0);
const pause = () => (gap > 0 ? new Promise((resolve) => setTimeout(resolve, gap)) : null);
const withPeer = q.get('peer') !== '0';
const peers = withPeer ? (q.get('peers') || 'tfjs,litert').split(',') : [];
const LITERT_WASM = '/node_modules/@litertjs/core/wasm/';
const paired = !withPeer && q.get('pair') === '1';
const gemm = q.get('gemm') || 'auto';
const status = document.getElementById('status');

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))];
};
const stats = (xs) => ({ median: pct(xs, 0.5), p10: pct(xs, 0.1), p90: pct(xs, 0.9), runs: xs.length });

async function bytes(url) {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  return new Uint8Array(await r.arrayBuffer());
}

/** Our engine's team runs so far (net.threadStats; undefined for a package from before it, in
 *  an A/B run with --pkg): a row says how many of its timed runs used the team.
 *  @param {any} net */
const teamRuns = async (net) => (await net.threadStats?.())?.teamRuns;
/** @param {number | undefined} before @param {number | undefined} after */
const timedTeamRuns = (before, after) => (before === undefined || after === undefined ? undefined : after - before);

/** A thread spec: a count, `w` after it for the Worker form, `p` for the page's thread (else the
 *  package chooses). @param {string} spec */
const form = (spec) => ({
  threads: Number.parseInt(spec, 10),
  worker: spec.endsWith('w') ? true : spec.endsWith('p') ? false : undefined,
});

/** @param {string} name @param {string} spec a thread spec (form) */
async function benchOne(name, spec) {
  const { threads, worker } = form(spec);
  const modelBytes = await bytes(`/models/mobilenet_v1_${name}.tflite`);
  const raw = await bytes(`/reference/mobilenet_v1_${name}/cat.input.bin`);
  const quant = name.endsWith('quant');
  const input = quant ? raw : new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4);

  const ours = await MobileNet.load(modelBytes, { threads, worker, gemm });
  const runOurs = async () => ours.infer(input);
  if (!withPeer) return benchOursOnly(name, threads, ours, runOurs);
  // The peers, each driven the cheapest way its API allows: input copied in, one inference,
  // output copied out.
  const contenders = [{ key: 'ours', run: runOurs, t: [] }];
  let tfjsModel = null;
  if (peers.includes('tfjs')) {
    tfjsModel = await tflite.loadTFLiteModel(modelBytes.slice().buffer, { numThreads: threads });
    const runner = tfjsModel.modelRunner;
    const peerIn = runner.getInputs()[0].data();
    const peerOut = runner.getOutputs()[0].data();
    contenders.push({ key: 'tfjs', t: [], run: async () => {
      peerIn.set(input);
      if (!runner.infer()) throw new Error('tfjs-tflite inference failed');
      return peerOut.slice();
    } });
  }
  let litert = null;
  if (peers.includes('litert')) {
    litert = await loadAndCompile(modelBytes.slice(), { accelerator: 'wasm', cpuOptions: { numThreads: threads } });
    const shape = [...litert.getInputDetails()[0].shape];
    contenders.push({ key: 'litert', t: [], run: async () => {
      const x = new Tensor(input, shape);
      const outs = await litert.run(x);
      const y = outs[0].toTypedArray().slice();
      x.delete();
      for (const o of outs) o.delete();
      return y;
    } });
  }
  // Same answer? (XNNPACK's uint8 may differ from TFLite's reference kernels by a few LSB.)
  const answers = [];
  for (const c of contenders) answers.push(await c.run());
  const argmax = (v) => v.reduce((best, x, i) => (x > v[best] ? i : best), 0);
  const compare = {};
  for (let k = 1; k < contenders.length; k++) {
    const [a, b] = [answers[0], answers[k]];
    let maxDiff = 0;
    for (let i = 0; i < a.length; i++) maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
    compare[contenders[k].key] = { max_abs_diff: maxDiff, top1: argmax(b) };
  }
  for (let i = 0; i < warmup; i++) for (const c of contenders) await c.run();
  const teamBefore = await teamRuns(ours);
  for (let i = 0; i < runs; i++) {
    // Rotate which goes first, so none always runs on a warmer cache.
    for (let j = 0; j < contenders.length; j++) {
      const c = contenders[(i + j) % contenders.length];
      await pause();
      const t0 = performance.now();
      await c.run();
      c.t.push(performance.now() - t0);
    }
  }
  const info = ours.info;
  const teamAfter = await teamRuns(ours);
  ours.dispose();
  tfjsModel?.modelRunner?.cleanUp?.();
  litert?.delete();
  const byKey = Object.fromEntries(contenders.map((c) => [c.key, c.t]));
  const peerStats = (key) => (byKey[key] ? stats(byKey[key]) : null);
  const row = {
    model: name,
    threads,
    ours: { ...stats(byKey.ours), threads: info.threads, backend: info.backend, kernel: info.kernels, runsIn: info.runsIn,
      // Of the timed runs, how many our engine ran on its threads' team (the rest alone).
      teamRuns: timedTeamRuns(teamBefore, teamAfter) },
    peer: peerStats('tfjs'),
    litert: peerStats('litert'),
    top1: { ours: argmax(answers[0]), ...Object.fromEntries(Object.entries(compare).map(([k, v]) => [k, v.top1])) },
    compare,
    macs: info.macs,
  };
  const medians = ['peer', 'litert'].map((k) => row[k]?.median).filter((m) => m !== undefined);
  row.best_peer = medians.length ? Math.min(...medians) : null;
  row.ratio = row.peer ? row.ours.median / row.peer.median : null;
  row.ratio_litert = row.litert ? row.ours.median / row.litert.median : null;
  row.ratio_best = row.best_peer ? row.ours.median / row.best_peer : null;
  const cell = (s) => (s ? `${s.median.toFixed(2)} ms` : '–');
  const tr = document.createElement('tr');
  tr.innerHTML = `<td>${name}</td><td>${threads}</td><td>${row.ours.median.toFixed(2)} ms</td>`
    + `<td>${cell(row.peer)}</td><td>${cell(row.litert)}</td><td>${row.ratio_best?.toFixed(2) ?? '–'}</td>`;
  document.getElementById('rows').append(tr);
  return row;
}

/** peer=0: our engine alone, same warm-up and timed runs; the row has no peer figures. */
async function benchOursOnly(name, threads, ours, runOurs) {
  for (let i = 0; i < warmup; i++) await runOurs();
  const teamBefore = await teamRuns(ours);
  const t = [];
  for (let i = 0; i < runs; i++) {
    await pause();
    const t0 = performance.now();
    await runOurs();
    t.push(performance.now() - t0);
  }
  const info = ours.info;
  const teamAfter = await teamRuns(ours);
  ours.dispose();
  const row = { model: name, threads, ours: { ...stats(t), threads: info.threads, backend: info.backend, kernel: info.kernels, runsIn: info.runsIn,
    teamRuns: timedTeamRuns(teamBefore, teamAfter) }, peer: null,
    ratio: null, macs: info.macs };
  const tr = document.createElement('tr');
  tr.innerHTML = `<td>${name}</td><td>${threads}</td><td>${row.ours.median.toFixed(2)} ms</td><td>–</td><td>–</td><td>–</td>`;
  document.getElementById('rows').append(tr);
  return row;
}

/** pair=1: one model at every thread count, loaded together, runs alternated; rows as above. */
async function benchPaired(name) {
  const modelBytes = await bytes(`/models/mobilenet_v1_${name}.tflite`);
  const raw = await bytes(`/reference/mobilenet_v1_${name}/cat.input.bin`);
  const input = name.endsWith('quant') ? raw : new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4);
  const nets = [];
  for (const spec of (q.get('threads') || '1,2').split(',')) {
    const { threads, worker } = form(spec);
    nets.push({ threads, worker, net: await MobileNet.load(modelBytes, { threads, worker, gemm }), t: [],
      teamBefore: undefined, teamAfter: undefined });
  }
  for (let i = 0; i < warmup + runs; i++) {
    for (const x of nets) {
      if (i === warmup) x.teamBefore = await teamRuns(x.net);
      if (i >= warmup) await pause();
      const t0 = performance.now();
      await x.net.infer(input);
      if (i >= warmup) x.t.push(performance.now() - t0);
    }
  }
  for (const x of nets) x.teamAfter = await teamRuns(x.net);
  return nets.map(({ threads, worker, net, t, teamBefore, teamAfter }) => {
    const info = net.info;
    net.dispose();
    const row = { model: name, threads, worker, ours: { ...stats(t), threads: info.threads, backend: info.backend, runsIn: info.runsIn,
      teamRuns: timedTeamRuns(teamBefore, teamAfter) }, peer: null,
      ratio: null, macs: info.macs };
    const tr = document.createElement('tr');
    tr.innerHTML = `<td>${name}</td><td>${threads}${worker ? ' (Worker)' : ''}</td><td>${row.ours.median.toFixed(2)} ms</td><td>–</td><td>–</td><td>–</td>`;
    document.getElementById('rows').append(tr);
    return row;
  });
}

async function main() {
  // (tfjs-tflite first probes its dist/ folder for its loader: one harmless 404 in the console.)
  if (withPeer) tflite.setWasmPath('/node_modules/@tensorflow/tfjs-tflite/wasm/');
  const rows = [];
  if (paired) {
    for (const m of models) {
      status.textContent = `running ${m} with ${q.get('threads') || '1,2'} thread(s), alternating…`;
      rows.push(...await benchPaired(m));
    }
  }
  for (const spec of paired ? [] : threadCounts) {
    // LiteRT.js has one runtime per page: the threaded build for more than one thread.
    if (peers.includes('litert')) {
      try { unloadLiteRt(); } catch { /* nothing loaded yet */ }
      await loadLiteRt(LITERT_WASM, { threads: Number.parseInt(spec, 10) > 1 });
    }
    for (const m of models) {
      status.textContent = `running ${m} with ${spec} thread(s)…`;
      rows.push(await benchOne(m, spec));
    }
  }
  status.textContent = 'done';
  return {
    date: new Date().toISOString(),
    userAgent: navigator.userAgent,
    crossOriginIsolated,
    hardwareConcurrency: navigator.hardwareConcurrency,
    runs,
    warmup,
    gap,
    gemm,
    rows,
  };
}

window.benchDone = main().catch((e) => {
  status.textContent = `failed: ${e.message}`;
  throw e;
});
