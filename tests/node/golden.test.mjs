// The WebAssembly build, through the package's public API, gives LiteRT's outputs for every
// model and every reference case: uint8 byte for byte, float with the same top-5 and |Δp| ≤ 1e-4.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { MobileNet, topK } from '../../pkg/node.js';
import { REFERENCE, data, manifest, model } from './data.mjs';

const m = await manifest();

for (const [name, entry] of Object.entries(m.models)) {
  test(`wasm golden outputs: ${name}`, async () => {
    const net = await MobileNet.load(await model(name));
    assert.equal(net.info.dtype, entry.input_dtype);
    assert.equal(net.info.resolution, entry.input_shape[1]);
    for (const c of entry.cases) {
      const raw = await data(join(REFERENCE, c.input));
      const want = await data(join(REFERENCE, c.output));
      const top5 = c.top5.map((t) => t.index);
      if (entry.input_dtype === 'uint8') {
        const out = await net.infer(raw);
        assert.ok(out instanceof Uint8Array);
        const diff = out.reduce((n, v, i) => n + (v !== want[i]), 0);
        assert.equal(diff, 0, `${name} ${c.case}: ${diff} output bytes differ`);
        assert.deepEqual(topK(out, 5), top5);
      } else {
        const out = await net.infer(new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4));
        const expected = new Float32Array(want.buffer, want.byteOffset, want.byteLength / 4);
        assert.ok(out instanceof Float32Array);
        let worst = 0;
        out.forEach((v, i) => { worst = Math.max(worst, Math.abs(v - expected[i])); });
        assert.ok(worst <= 1e-4, `${name} ${c.case}: max |Δp| = ${worst}`);
        assert.deepEqual(topK(out, 5), top5, `${name} ${c.case}`);
      }
    }
    net.dispose();
  });
}
