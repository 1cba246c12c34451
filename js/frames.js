// Frames to RGBA pixels, and scores to ranked classes.
import { MobileNetError } from './errors.js';
import { LABELS } from './labels.js';

/**
 * @typedef {object} Classification
 * @property {number} index
 * @property {string} label
 * @property {number} score
 */

/**
 * RGBA pixels.
 * @typedef {object} RgbaFrame
 * @property {Uint8Array | Uint8ClampedArray} data
 * @property {number} width
 * @property {number} height
 */

/**
 * What classify(), embed() and a classifier take.
 * @typedef {RgbaFrame | ImageData | ImageBitmap | HTMLVideoElement | HTMLCanvasElement | HTMLImageElement
 *   | OffscreenCanvas | VideoFrame} Frame
 */

/**
 * A frame's pixels as the engine takes them; `owned`: a fresh buffer (which may be transferred
 * to a Worker), or the caller's own.
 * @typedef {{ data: Uint8Array, width: number, height: number, owned: boolean }} RgbaPixels
 */

/**
 * Which classes classify() returns.
 * @typedef {object} ClassifyOptions
 * @property {number} [topK] How many classes at most (integer ≥ 0, default 5).
 * @property {number} [scoreThreshold] Only classes with a score ≥ this (0..1, default 0).
 * @property {(string | number)[]} [allow] Only these classes (labels or class indices).
 * @property {(string | number)[]} [deny] Never these classes (labels or class indices).
 */

/**
 * classify()'s result options checked and as indices: what crosses to the engine's side.
 * @typedef {{ topK: number, scoreThreshold?: number, allow?: number[] | null, deny?: number[] | null }} ResultOptions
 */

/** @type {OffscreenCanvasRenderingContext2D | null} */
let scratchCtx = null;

/** A 2D context of one reused, CPU-backed canvas of `side` × `side` pixels.
 *  @param {number} side @returns {OffscreenCanvasRenderingContext2D} */
function scratch(side) {
  if (!scratchCtx) scratchCtx = /** @type {OffscreenCanvasRenderingContext2D} */ (new OffscreenCanvas(side, side).getContext('2d', { willReadFrequently: true }));
  const c = scratchCtx.canvas;
  if (c.width !== side || c.height !== side) {
    c.width = side;
    c.height = side;
  }
  return scratchCtx;
}

/**
 * Extracts RGBA pixels from any supported frame type. `owned` says whether the pixels are a
 * fresh buffer (which may be transferred to a Worker) or the caller's own.
 * @param {Frame} frame
 * @returns {RgbaPixels}
 */
export function frameToRgba(frame) {
  /** @type {any} checked here, field by field */
  const f = frame;
  if (f && f.data && Number.isInteger(f.width) && Number.isInteger(f.height)) {
    const d = f.data;
    if (!ArrayBuffer.isView(d)) {
      throw new MobileNetError('INPUT_INVALID', 'frame.data must be a Uint8Array or Uint8ClampedArray of RGBA pixels');
    }
    const data = d instanceof Uint8Array ? d : new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
    return { data, width: f.width, height: f.height, owned: false };
  }
  if (typeof OffscreenCanvas !== 'undefined' && f && typeof f === 'object') {
    /** @type {number} */
    const width = f.videoWidth || f.displayWidth || f.naturalWidth || f.width;
    /** @type {number} */
    const height = f.videoHeight || f.displayHeight || f.naturalHeight || f.height;
    if (width > 0 && height > 0) {
      // Only the center square the engine would crop is drawn (1:1, the same pixels), into one
      // canvas kept between calls.
      const side = Math.min(width, height);
      const ctx = scratch(side);
      ctx.clearRect(0, 0, side, side); // transparent pixels stay transparent black, as on a fresh canvas
      ctx.drawImage(f, (width - side) >> 1, (height - side) >> 1, side, side, 0, 0, side, side);
      const img = ctx.getImageData(0, 0, side, side);
      return { data: new Uint8Array(img.data.buffer), width: side, height: side, owned: true };
    }
  }
  throw new MobileNetError('INPUT_INVALID',
    'frame must be ImageData, ImageBitmap, a video/canvas/image element, OffscreenCanvas, '
    + 'VideoFrame or { data, width, height } (RGBA)');
}

/**
 * Indices of the k largest scores: score descending, ties by lower index.
 * @param {ArrayLike<number>} scores
 * @param {number} k
 * @returns {number[]}
 */
export function topK(scores, k) {
  const n = Math.min(Math.max(0, k), scores.length);
  if (n > 16) {
    const idx = Array.from({ length: scores.length }, (_, i) => i);
    idx.sort((a, b) => scores[b] - scores[a] || a - b);
    return idx.slice(0, n);
  }
  // Small k: one pass keeping the best n in order (insertion), no sort of every score.
  /** @type {number[]} */
  const best = [];
  for (let i = 0; i < scores.length; i++) {
    const v = scores[i];
    if (best.length === n && !(v > scores[best[n - 1]])) continue;
    let j = best.length < n ? best.length : n - 1;
    while (j > 0 && v > scores[best[j - 1]]) {
      if (j < n) best[j] = best[j - 1];
      j--;
    }
    best[j] = i;
  }
  return best;
}

/**
 * Validates classify's result options once, on the caller's side: `topK` (integer ≥ 0, default
 * 5), `scoreThreshold` (0..1, default 0: keep scores ≥ it), `allow` / `deny` (class labels or
 * indices; labels are the model's own, `labels`). Returns a structured-cloneable form ({ topK, scoreThreshold, allow, deny } with
 * index arrays or null) for the engine's side.
 * @param {ClassifyOptions} [options]
 * @param {readonly string[]} [labels]
 * @returns {ResultOptions}
 */
export function resultOptions(options = {}, labels = LABELS) {
  const classes = labels.length;
  if (options === null || typeof options !== 'object') {
    throw new MobileNetError('INPUT_INVALID', 'classify options must be an object');
  }
  const { topK: k = 5, scoreThreshold = 0, allow = null, deny = null } = options;
  if (!Number.isInteger(k) || k < 0) {
    throw new MobileNetError('INPUT_INVALID', `topK must be an integer ≥ 0, not ${k}`);
  }
  if (typeof scoreThreshold !== 'number' || !(scoreThreshold >= 0 && scoreThreshold <= 1)) {
    throw new MobileNetError('INPUT_INVALID', `scoreThreshold must be a number from 0 to 1, not ${scoreThreshold}`);
  }
  /** @param {unknown} list @param {string} name @returns {number[] | null} */
  const indices = (list, name) => {
    if (list == null) return null;
    if (!Array.isArray(list)) throw new MobileNetError('INPUT_INVALID', `${name} must be an array of labels or class indices`);
    return list.map((c) => {
      if (Number.isInteger(c) && c >= 0 && c < classes) return /** @type {number} */ (c);
      const i = typeof c === 'string' ? labels.indexOf(c) : -1;
      if (i < 0 || i >= classes) {
        throw new MobileNetError('INPUT_INVALID', `${name}: ${JSON.stringify(c)} is neither a label nor a class index 0..${classes - 1}`);
      }
      return i;
    });
  };
  return { topK: k, scoreThreshold, allow: indices(allow, 'allow'), deny: indices(deny, 'deny') };
}

/** The ranked classes of `scores` under result options from resultOptions(), named by the
 *  model's labels (ImageNet's, or those a taught-and-exported file carries in its metadata).
 *  @param {ArrayLike<number>} scores @param {ResultOptions} options @param {readonly string[]} [labels]
 *  @returns {Classification[]} */
export function toClasses(scores, { topK: k, scoreThreshold = 0, allow = null, deny = null }, labels = LABELS) {
  /** @param {number} index */
  const label = (index) => labels[index] ?? `class ${index}`;
  if (!allow && !deny && scoreThreshold === 0) {
    return topK(scores, k).map((index) => ({ index, label: label(index), score: scores[index] }));
  }
  const allowed = allow && new Set(allow);
  const denied = deny && new Set(deny);
  /** @type {number[]} */
  const keep = [];
  for (let i = 0; i < scores.length; i++) {
    if (scores[i] >= scoreThreshold && (!allowed || allowed.has(i)) && !(denied && denied.has(i))) keep.push(i);
  }
  keep.sort((a, b) => scores[b] - scores[a] || a - b);
  return keep.slice(0, k).map((index) => ({ index, label: label(index), score: scores[index] }));
}
