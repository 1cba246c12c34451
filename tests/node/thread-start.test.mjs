// The threaded builds' thread start-up (js/thread-start.js) with stand-in Workers: threads
// started ahead are the ones the pool uses, what they met meanwhile is reported, and unused
// ones are ended.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dropPrestarted, prestart, setSpawner, startWorkers } from '../../js/thread-start.js';

/** A Worker stand-in: records its messages; `reply` and `fail` play the thread's side. */
class FakeWorker extends EventTarget {
  static made = 0;
  constructor() {
    super();
    FakeWorker.made++;
    /** @type {any[]} */
    this.sent = [];
    this.terminated = false;
  }
  /** @param {any} msg */
  postMessage(msg) {
    this.sent.push(msg);
    // A thread answers its init message once it has instantiated the build.
    if (msg.type === 'wasm_bindgen_worker_init') queueMicrotask(() => this.reply({ type: 'wasm_bindgen_worker_ready' }));
  }
  /** @param {any} data */
  reply(data) {
    this.dispatchEvent(Object.assign(new Event('message'), { data }));
  }
  /** @param {string} message */
  fail(message) {
    this.dispatchEvent(Object.assign(new Event('error'), { message }));
  }
  terminate() {
    this.terminated = true;
  }
}

/** The pool builder wasm-bindgen-rayon hands startWorkers. */
const builder = (n) => ({ built: false, numThreads: () => n, receiver: () => 1234, build() { this.built = true; } });

test('threads started ahead are the pool\'s: no new Worker, each gets its init message', async () => {
  /** @type {FakeWorker[]} */
  const made = [];
  setSpawner(() => { const w = new FakeWorker(); made.push(w); return /** @type {any} */ (w); });
  prestart(2);
  assert.equal(made.length, 2, 'two Workers started ahead');
  prestart(2);
  assert.equal(made.length, 2, 'asking again for as many starts none');
  const b = builder(2);
  await startWorkers(/** @type {any} */ ('module'), /** @type {any} */ ('memory'), b);
  assert.equal(made.length, 2, 'the pool used them');
  for (const w of made) {
    assert.deepEqual(w.sent, [{ type: 'wasm_bindgen_worker_init', init: { module_or_path: 'module', memory: 'memory' }, receiver: 1234 }]);
    assert.equal(w.terminated, false);
  }
  assert.ok(b.built);
});

test('a thread started ahead that met an error: the start-up fails with it, and every thread is ended', async () => {
  /** @type {FakeWorker[]} */
  const made = [];
  setSpawner(() => { const w = new FakeWorker(); made.push(w); return /** @type {any} */ (w); });
  prestart(2);
  made[1].fail('blocked by worker-src');
  const b = builder(2);
  await assert.rejects(startWorkers(/** @type {any} */ ('m'), /** @type {any} */ ('mem'), b),
    /a thread could not start \(thread\.js of the threaded build\): blocked by worker-src/);
  assert.ok(made.every((w) => w.terminated), 'both ended');
  assert.equal(b.built, false);
});

test('more threads than were started ahead: the rest are started then; unused ones are ended by dropPrestarted', async () => {
  /** @type {FakeWorker[]} */
  const made = [];
  setSpawner(() => { const w = new FakeWorker(); made.push(w); return /** @type {any} */ (w); });
  prestart(1);
  await startWorkers(/** @type {any} */ ('m'), /** @type {any} */ ('mem'), builder(3));
  assert.equal(made.length, 3);
  assert.ok(made.every((w) => w.sent.length === 1 && !w.terminated));
  prestart(2);
  assert.equal(made.length, 5);
  dropPrestarted();
  assert.ok(made.slice(3).every((w) => w.terminated), 'the two unused ones ended');
  // None is left for the next start-up.
  await startWorkers(/** @type {any} */ ('m'), /** @type {any} */ ('mem'), builder(1));
  assert.equal(made.length, 6);
});

test('a spawner that throws: nothing started ahead, the start-up says why', async () => {
  setSpawner(() => { throw new Error('SecurityError: blocked'); });
  prestart(2);
  await assert.rejects(startWorkers(/** @type {any} */ ('m'), /** @type {any} */ ('mem'), builder(1)),
    /cannot start a thread \(thread\.js of the threaded build\): SecurityError: blocked/);
});
