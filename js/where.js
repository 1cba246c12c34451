// Where a threaded model runs when it is loaded on a page's main thread without the `worker`
// option (the one home of that rule): on the page's own thread when one inference is small,
// else in a module Worker of its own.
//
// On the page's thread a call has no Worker round trip (0.2 ms on a quiet machine, 0.6–1.7 ms
// on a busy one: most of what a small model costs) and the engine's threads spin while the page
// waits for them (the page's thread never blocks: see src/kernels/parallel.rs); a larger model
// would hold the page's thread for longer than a Worker hop costs, which the Worker avoids.
// The size is α × ρ (width multiplier × input size), read from the file without the engine:
// MobileNet v1's multiply-adds grow as about (α·ρ)², and α·ρ ≤ 120 is ≤ ~165 M multiply-adds
// (≈ 2 ms with 2 threads on a 2-core x86 VM): 0.25 at every size, 0.5 up to 224, 0.75 up to
// 160 on the page; 0.75 at 192 and 224 and every 1.0 in a Worker.
import { parseZooFileName } from './zoo.js';

/** The largest α × ρ that runs on the page's thread by default. */
export const PAGE_MAX_ALPHA_RES = 120;

/**
 * α and ρ of a MobileNet v1 `.tflite` file, read from its flatbuffer (the first subgraph's input
 * is [1, ρ, ρ, 3], its first operator's output has 32·α channels); null for anything else or a
 * file that cannot be read so (the engine says what is wrong with it when it loads it).
 * @param {Uint8Array} bytes
 * @returns {{ alpha: number, resolution: number } | null}
 */
export function readShape(bytes) {
  try {
    const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    /** @param {number} p */
    const u32 = (p) => v.getUint32(p, true);
    /** An offset to a table or vector. @param {number} p */
    const ref = (p) => p + u32(p);
    /** The position of field `i` of the table at `t`, or -1. @param {number} t @param {number} i */
    const field = (t, i) => {
      const vt = t - v.getInt32(t, true);
      const off = 4 + 2 * i < v.getUint16(vt, true) ? v.getUint16(vt + 4 + 2 * i, true) : 0;
      return off ? t + off : -1;
    };
    /** Element `k` of the vector of tables or ints at field `i` of table `t`.
     *  @param {number} t @param {number} i @param {number} k @param {boolean} table */
    const at = (t, i, k, table) => {
      const f = field(t, i);
      if (f < 0) throw new Error('absent');
      const vec = ref(f);
      if (k >= u32(vec)) throw new Error('out of range');
      return table ? ref(vec + 4 + 4 * k) : v.getInt32(vec + 4 + 4 * k, true);
    };
    /** @param {number} tensor @returns {number[]} */
    const shape = (tensor) => {
      const f = field(tensor, 0);
      if (f < 0) throw new Error('absent');
      const vec = ref(f);
      return Array.from({ length: u32(vec) }, (_, k) => v.getInt32(vec + 4 + 4 * k, true));
    };
    const model = ref(0);
    const graph = at(model, 2, 0, true);
    /** @param {number} index */
    const tensor = (index) => at(graph, 0, index, true);
    const input = shape(tensor(at(graph, 1, 0, false)));
    const stem = shape(tensor(at(at(graph, 3, 0, true), 2, 0, false)));
    if (input.length !== 4 || input[1] !== input[2] || input[1] < 1 || stem.length !== 4 || stem[3] < 1) return null;
    return { alpha: stem[3] / 32, resolution: input[1] };
  } catch {
    return null;
  }
}

/**
 * Whether the model runs on the page's thread by default, and why, in words for
 * ModelInfo.runsInReason.
 * @param {{ alpha: number, resolution: number } | null} shape
 * @param {'the file' | 'its file name'} from where α and ρ were read
 * @returns {{ page: boolean, why: string }}
 */
export function pageOrWorker(shape, from) {
  if (!shape) {
    return { page: false, why: 'worker: not set, and the file is not one whose size can be read ahead: in a Worker' };
  }
  const size = shape.alpha * shape.resolution;
  const page = size <= PAGE_MAX_ALPHA_RES;
  const what = `α ${shape.alpha} × ρ ${shape.resolution} = ${+size.toFixed(2)} (${from})`;
  return {
    page,
    why: page
      ? `worker: not set, and the model is small (${what} ≤ ${PAGE_MAX_ALPHA_RES}): on the page's thread, `
        + 'with no Worker round trip (its threads spin while the page waits for them)'
      : `worker: not set, and the model is large (${what} > ${PAGE_MAX_ALPHA_RES}): in a Worker, `
        + 'so that the page\'s thread never waits for an inference',
  };
}

/**
 * α, ρ and the type from a model URL's file name when it is a MobileNet v1 zoo name (fromZoo's),
 * so choices can be made before the download ends; null otherwise.
 * @param {unknown} source
 * @returns {import('./zoo.js').ZooFile | null}
 */
export function shapeFromName(source) {
  if (typeof source !== 'string' && !(source instanceof URL)) return null;
  const path = String(source).replace(/[?#].*$/, '');
  return parseZooFileName(path);
}
