// Soak (a command, not a test): long runs in Node through the public API.
//   1. 10,000 frames on each model: wasm memory flat after warm-up, zero engine allocations per
//      frame, p99 latency of the first and last 1,000 frames.
//   2. A model-switch storm: switch model every 100 frames, a malformed model on every 10th load;
//      the previous model keeps serving and the memory high-water mark stays bounded.
//   3. 1,000 load/dispose cycles: no net growth of the engine's live bytes.
// Usage: node bench/soak.mjs [--frames 10000] [--cycles 1000] [--json FILE]
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { MobileNet } from '../pkg/node.js';

const { values } = parseArgs({
  options: {
    frames: { type: 'string', default: '10000' },
    cycles: { type: 'string', default: '1000' },
    models: { type: 'string', default: process.env.MOBILENET_MODELS ?? new URL('../../shared/models', import.meta.url).pathname },
    json: { type: 'string' },
  },
});
const FRAMES = Number(values.frames);
const MODELS = ['0.25_128', '0.5_160', '0.75_192', '1.0_224'].flatMap((a) => [`${a}_quant`, `${a}_float`]);
const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))];
const report = { date: new Date().toISOString(), node: process.version, frames: [], storm: null, cycles: null };
let failed = false;

const input = (net) => {
  const n = net.info.resolution ** 2 * 3;
  return net.info.dtype === 'uint8' ? new Uint8Array(n).map((_, i) => (i * 31) % 256)
    : new Float32Array(n).map((_, i) => ((i * 31) % 256 - 128) / 128);
};

// 1. Long runs.
for (const m of MODELS) {
  const net = await MobileNet.load(join(values.models, `mobilenet_v1_${m}.tflite`));
  const x = input(net);
  for (let i = 0; i < 100; i++) await net.infer(x);
  const start = await net.memoryStats();
  const times = [];
  for (let i = 0; i < FRAMES; i++) {
    const t0 = performance.now();
    await net.infer(x);
    times.push(performance.now() - t0);
  }
  const end = await net.memoryStats();
  const row = {
    model: m,
    frames: FRAMES,
    allocationsPerFrame: (end.allocations - start.allocations) / FRAMES,
    wasmMemoryGrowth: end.wasmMemoryBytes - start.wasmMemoryBytes,
    liveBytesGrowth: end.liveBytes - start.liveBytes,
    p99First: pct(times.slice(0, 1000), 0.99),
    p99Last: pct(times.slice(-1000), 0.99),
    median: pct(times, 0.5),
  };
  report.frames.push(row);
  const ok = row.allocationsPerFrame === 0 && row.wasmMemoryGrowth === 0 && row.liveBytesGrowth === 0;
  failed ||= !ok;
  console.log(`${m.padEnd(15)} ${FRAMES} frames: ${row.allocationsPerFrame} allocations/frame, memory growth `
    + `${row.wasmMemoryGrowth} B (live ${row.liveBytesGrowth} B), median ${row.median.toFixed(2)} ms, `
    + `p99 first/last 1000: ${row.p99First.toFixed(2)} / ${row.p99Last.toFixed(2)} ms ${ok ? 'OK' : 'FAIL'}`);
  net.dispose();
}

// 1b. classify() on 640×480 frames: the frame buffer is reused, nothing allocated per frame.
{
  const net = await MobileNet.load(join(values.models, 'mobilenet_v1_0.5_160_quant.tflite'));
  const frame = { data: new Uint8Array(640 * 480 * 4).map((_, i) => (i * 7) % 256), width: 640, height: 480 };
  for (let i = 0; i < 20; i++) await net.classify(frame);
  const start = await net.memoryStats();
  const n = Math.min(FRAMES, 2000);
  for (let i = 0; i < n; i++) await net.classify(frame);
  const end = await net.memoryStats();
  const perFrame = (end.allocations - start.allocations) / n;
  report.classify = { model: '0.5_160_quant', frames: n, frame: '640x480', allocationsPerFrame: perFrame };
  failed ||= perFrame !== 0;
  console.log(`classify 640×480 on 0.5_160_quant, ${n} frames: ${perFrame} allocations/frame ${perFrame === 0 ? 'OK' : 'FAIL'}`);
  net.dispose();
}

// 2. Model-switch storm.
{
  const files = await Promise.all(MODELS.filter((m) => m.includes('quant') || m.startsWith('0.25'))
    .map((m) => readFile(join(values.models, `mobilenet_v1_${m}.tflite`))));
  const malformed = new Uint8Array(files[0]).slice(0, 4000); // a truncated model
  let net = await MobileNet.load(files[0]);
  let highWater = 0;
  let rejected = 0;
  let served = 0;
  for (let load = 1; load <= 60; load++) {
    for (let i = 0; i < 100; i++) {
      await net.infer(input(net));
      served++;
    }
    try {
      const next = await MobileNet.load(load % 10 === 0 ? malformed : files[load % files.length]);
      net.dispose();
      net = next;
    } catch (e) {
      if (e.code !== 'MODEL_MALFORMED') throw e;
      rejected++; // the previous model keeps serving
    }
    highWater = Math.max(highWater, (await net.memoryStats()).wasmMemoryBytes);
  }
  net.dispose();
  report.storm = { loads: 60, malformedRejected: rejected, framesServed: served, wasmMemoryHighWater: highWater };
  failed ||= rejected !== 6 || served !== 6000;
  console.log(`switch storm: 60 loads, ${rejected} malformed rejected, ${served} frames served, wasm memory high-water ${(highWater / 2 ** 20).toFixed(1)} MiB`);
}

// 3. Load/dispose cycles.
{
  const bytes = await readFile(join(values.models, 'mobilenet_v1_0.25_128_quant.tflite'));
  const probe = async () => { const n = await MobileNet.load(bytes); const s = await n.memoryStats(); n.dispose(); return s; };
  for (let i = 0; i < 10; i++) await probe();
  const before = await probe();
  const cycles = Number(values.cycles);
  for (let i = 0; i < cycles; i++) {
    const n = await MobileNet.load(bytes);
    await n.infer(input(n));
    n.dispose();
  }
  const after = await probe();
  report.cycles = { cycles, liveBytesGrowth: after.liveBytes - before.liveBytes, wasmMemoryGrowth: after.wasmMemoryBytes - before.wasmMemoryBytes };
  failed ||= report.cycles.liveBytesGrowth !== 0 || report.cycles.wasmMemoryGrowth !== 0;
  console.log(`${cycles} load/dispose cycles: live bytes growth ${report.cycles.liveBytesGrowth} B, wasm memory growth ${report.cycles.wasmMemoryGrowth} B`);
}

if (values.json) await writeFile(values.json, JSON.stringify(report, null, 2));
if (failed) {
  console.error('soak: FAILED');
  process.exitCode = 1;
}
