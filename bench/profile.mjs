// Per-layer profile of our engine in Node: milliseconds and GMAC/s per layer type.
// Usage: node bench/profile.mjs [--runs N] [--filter 1.0_224_quant] [--gemm auto|dot|i16]
// (--gemm: the uint8 matrix-product kernel, the load option; each model's line names the kernels used)
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { MobileNet } from '../pkg/node.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '20' },
    models: { type: 'string', default: process.env.MOBILENET_MODELS ?? new URL('../../shared/models', import.meta.url).pathname },
    reference: { type: 'string', default: process.env.MOBILENET_REFERENCE ?? new URL('../../shared/reference', import.meta.url).pathname },
    filter: { type: 'string', default: '' },
    layers: { type: 'boolean', default: false },
    gemm: { type: 'string', default: 'auto' },
  },
});
const MODELS = ['0.25_128', '0.5_160', '0.75_192', '1.0_224'].flatMap((a) => [`${a}_quant`, `${a}_float`]);
for (const m of MODELS.filter((x) => x.includes(values.filter))) {
  const name = `mobilenet_v1_${m}`;
  const net = await MobileNet.load(join(values.models, `${name}.tflite`), { gemm: values.gemm });
  const raw = new Uint8Array(await readFile(join(values.reference, name, 'cat.input.bin')));
  const input = net.info.dtype === 'uint8' ? raw : new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4);
  // Warm-up: at least 3 runs and a second, so that the first model measured is not still in
  // V8's baseline code while the optimised kernels compile.
  for (let i = 0, t0 = performance.now(); i < 3 || performance.now() - t0 < 1000; i++) await net.profile(input);
  const runs = [];
  for (let i = 0; i < Number(values.runs); i++) runs.push(await net.profile(input));
  const layers = runs[0].map((l, i) => {
    const ms = runs.map((r) => r[i].ms).sort((a, b) => a - b);
    return { ...l, ms: ms[Math.floor(ms.length / 2)] };
  });
  const byType = {};
  for (const l of layers) {
    const t = l.type ?? l.op.toLowerCase();
    byType[t] ??= { ms: 0, macs: 0 };
    byType[t].ms += l.ms;
    byType[t].macs += l.macs;
  }
  const total = layers.reduce((s, l) => s + l.ms, 0);
  console.log(`${m}: ${total.toFixed(2)} ms (sum of per-layer medians; ${net.info.backend}, kernels ${net.info.kernels})`);
  for (const [t, v] of Object.entries(byType)) {
    const g = v.macs ? `${(v.macs / v.ms / 1e6).toFixed(1).padStart(6)} GMAC/s` : '';
    console.log(`  ${t.padEnd(16)} ${v.ms.toFixed(3).padStart(8)} ms ${(100 * v.ms / total).toFixed(1).padStart(5)}%  ${g}`);
  }
  if (values.layers) {
    for (const l of layers) console.log(`    ${String(l.index).padStart(2)} ${l.op.padEnd(18)} ${l.ms.toFixed(3).padStart(7)} ms ${l.macs ? (l.macs / l.ms / 1e6).toFixed(1) : ''}`);
  }
  net.dispose();
}
