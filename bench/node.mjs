// Node single-thread benchmark of the WebAssembly build, through the public API.
// Usage: node bench/node.mjs [--runs N] [--models DIR] [--json FILE]
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { MobileNet } from '../pkg/node.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '50' },
    warmup: { type: 'string', default: '5' },
    models: { type: 'string', default: process.env.MOBILENET_MODELS ?? new URL('../../shared/models', import.meta.url).pathname },
    reference: { type: 'string', default: process.env.MOBILENET_REFERENCE ?? new URL('../../shared/reference', import.meta.url).pathname },
    json: { type: 'string' },
    filter: { type: 'string', default: '' },
  },
});
const runs = Number(values.runs);
const warmup = Number(values.warmup);
const MODELS = ['0.25_128', '0.5_160', '0.75_192', '1.0_224'].flatMap((a) => [`${a}_quant`, `${a}_float`]);

const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
const rows = [];
for (const m of MODELS.filter((x) => x.includes(values.filter))) {
  const name = `mobilenet_v1_${m}`;
  const net = await MobileNet.load(join(values.models, `${name}.tflite`));
  const raw = new Uint8Array(await readFile(join(values.reference, name, 'cat.input.bin')));
  const input = net.info.dtype === 'uint8' ? raw : new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4);
  for (let i = 0; i < warmup; i++) await net.infer(input);
  const times = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await net.infer(input);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const row = { model: m, backend: net.info.backend, median: pct(times, 0.5), p10: pct(times, 0.1), p90: pct(times, 0.9), gmacs: net.info.macs / pct(times, 0.5) / 1e6 };
  rows.push(row);
  console.log(`${m.padEnd(14)} median ${row.median.toFixed(2).padStart(7)} ms  p10 ${row.p10.toFixed(2).padStart(7)}  p90 ${row.p90.toFixed(2).padStart(7)}  ${row.gmacs.toFixed(1)} GMAC/s`);
  net.dispose();
}
if (values.json) await writeFile(values.json, JSON.stringify({ date: new Date().toISOString(), node: process.version, rows }, null, 2));
