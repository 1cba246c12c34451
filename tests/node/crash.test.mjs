// A trap in the engine on the loading thread (here Node; on a page, worker: false or a small
// threaded model): the call rejects, and every later call on that instance — this model's and
// other models' of the same build — and every later load of the build rejects with INVALID_STATE
// saying the engine crashed, instead of running on an instance that trapped. Its own file: the
// instance stays crashed for the rest of the process.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MobileNet } from '../../pkg/node.js';
import { model } from './data.mjs';

test('after a trap, calls on the crashed instance and new loads of its build say it crashed', async () => {
  const bytes = await model('mobilenet_v1_0.25_128_quant');
  // Limits raised so that planning accepts a size whose buffers cannot be allocated.
  const net = await MobileNet.load(bytes, { limits: { maxResolution: 16384, maxTensorElements: 2 ** 40, maxMacs: 1e15 } });
  const other = await MobileNet.load(bytes);
  const input = new Uint8Array(128 * 128 * 3).fill(7);
  await other.infer(input);
  await assert.rejects(net.setResolution(16384), (e) => e.code === 'INVALID_STATE' && e.crashed === true, 'the trap itself');
  const crashed = (/** @type {any} */ e) => e.code === 'INVALID_STATE' && /the engine crashed/.test(e.message)
    && /reload the page/.test(e.message);
  await assert.rejects(net.infer(input), crashed, 'the crashed model');
  assert.throws(() => net.info, crashed, 'its info');
  await assert.rejects(other.infer(input), crashed, 'another model on the same instance');
  await assert.rejects(MobileNet.load(bytes), crashed, 'a new load of the same build');
  net.dispose();
  other.dispose();
});
