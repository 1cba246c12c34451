// The threaded builds' thread start-up, in place of wasm-bindgen-rayon's JavaScript helper.
// build.sh copies this file to threads/start.js and points the generated glue's import of the
// helper (snippets/wasm-bindgen-rayon-*/src/workerHelpers.js, then deleted) at it.
// It speaks the crate's protocol (the same `startWorkers(module, memory, builder)` and init
// message) but:
// - the Worker of each thread is made by a function the loader registers with setSpawner(): the
//   loader holds the literal `new Worker(new URL('./threads/thread.js', import.meta.url), …)`
//   that bundlers recognise. The literal must not sit in this file: thread.js imports the glue,
//   the glue imports this file, and a Worker whose own module graph starts that same Worker is a
//   cycle Turbopack (Next.js 16) hangs on. No blob: Worker either, so a strict
//   Content-Security-Policy (`worker-src 'self'`) allows the threads;
// - a thread that fails to start (a blocked or missing script, a failed import) rejects the
//   start-up with the reason instead of leaving it waiting forever, and so does a start-up that
//   takes longer than START_TIMEOUT_MS;
// - the threads' Workers can be started ahead (prestart: the loader does on a page, while the
//   build compiles); startWorkers then uses them, and reports what they met meanwhile.

const START_TIMEOUT_MS = 15000;

// Kept so that Firefox does not collect Workers that share the memory but are not referenced
// (https://bugzilla.mozilla.org/show_bug.cgi?id=1702191).
/** @type {Worker[]} */
let workers = [];

/** @type {(() => Worker) | null} */
let spawner = null;

/** Workers started ahead (prestart), oldest first, each with the error it met meanwhile.
 *  @type {{ worker: Worker, error: string | null }[]} */
let prestarted = [];

/** Registers the function that starts one thread's Worker (the loader's literal).
 *  @param {() => Worker} f */
export function setSpawner(f) {
  spawner = f;
}

/**
 * Starts the Workers of `count` threads ahead, before the build is instantiated: a thread's
 * Worker loads thread.js and the glue while the .wasm still downloads and compiles, and
 * startWorkers then only sends each its init message. A Worker that cannot be created here is
 * left for startWorkers, which reports why.
 * @param {number} count
 */
export function prestart(count) {
  while (spawner && prestarted.length < count) {
    /** @type {{ worker: Worker, error: string | null }} */
    let entry;
    try {
      entry = { worker: spawner(), error: null };
    } catch {
      return;
    }
    entry.worker.addEventListener('error', (e) => {
      e.preventDefault?.();
      entry.error ??= e.message || 'the script was blocked (Content-Security-Policy worker-src?) or could not be loaded';
    });
    prestarted.push(entry);
  }
}

/** Ends the Workers started ahead and not used (the build could not start). */
export function dropPrestarted() {
  for (const { worker } of prestarted) worker.terminate();
  prestarted = [];
}

/** @param {object} init the init message @returns {Promise<Worker>} */
function spawn(init) {
  const where = 'thread.js of the threaded build';
  return new Promise((resolve, reject) => {
    const ahead = prestarted.shift();
    if (ahead?.error) {
      ahead.worker.terminate();
      reject(new Error(`a thread could not start (${where}): ${ahead.error}`));
      return;
    }
    /** @type {Worker} */
    let worker;
    try {
      if (ahead) worker = ahead.worker;
      else if (!spawner) throw new Error('no thread spawner registered (the threaded build was loaded without loader.js)');
      else worker = spawner();
    } catch (e) {
      reject(new Error(`cannot start a thread (${where}): ${/** @type {Error} */ (e).message}`));
      return;
    }
    const timer = setTimeout(() => {
      worker.terminate();
      reject(new Error(`a thread did not start within ${START_TIMEOUT_MS / 1000} s (${where})`));
    }, START_TIMEOUT_MS);
    /** @param {string} why */
    const fail = (why) => {
      clearTimeout(timer);
      worker.terminate();
      reject(new Error(`a thread could not start (${where}): ${why}`));
    };
    worker.addEventListener('error', (e) => {
      e.preventDefault?.();
      fail(e.message || 'the script was blocked (Content-Security-Policy worker-src?) or could not be loaded');
    });
    worker.addEventListener('message', ({ data }) => {
      if (data?.type === 'wasm_bindgen_worker_failed') fail(data.message);
      if (data?.type === 'wasm_bindgen_worker_ready') {
        clearTimeout(timer);
        resolve(worker);
      }
    });
    worker.postMessage(init);
  });
}

/**
 * wasm-bindgen-rayon's entry: starts `builder.numThreads()` threads on the shared `memory`.
 * @param {WebAssembly.Module} module
 * @param {WebAssembly.Memory} memory
 * @param {{ numThreads(): number, receiver(): number, build(): void }} builder
 * @returns {Promise<void>}
 */
export async function startWorkers(module, memory, builder) {
  if (builder.numThreads() === 0) throw new Error('num_threads must be > 0.');
  const init = { type: 'wasm_bindgen_worker_init', init: { module_or_path: module, memory }, receiver: builder.receiver() };
  const started = await Promise.allSettled(Array.from({ length: builder.numThreads() }, () => spawn(init)));
  const failed = started.find((s) => s.status === 'rejected');
  if (failed) {
    for (const s of started) if (s.status === 'fulfilled') s.value.terminate();
    throw failed.reason;
  }
  workers = started.map((s) => /** @type {PromiseFulfilledResult<Worker>} */ (s).value);
  builder.build();
}
