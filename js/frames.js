// Frames to RGBA pixels, and scores to ranked classes.
import { MobileNetError } from './errors.js';
import { LABELS } from './labels.js';

let scratchCtx = null;

/** A 2D context of one reused, CPU-backed canvas of `side` × `side` pixels. */
function scratch(side) {
  if (!scratchCtx) scratchCtx = new OffscreenCanvas(side, side).getContext('2d', { willReadFrequently: true });
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
 */
export function frameToRgba(frame) {
  if (frame && frame.data && Number.isInteger(frame.width) && Number.isInteger(frame.height)) {
    const d = frame.data;
    if (!ArrayBuffer.isView(d)) {
      throw new MobileNetError('INPUT_INVALID', 'frame.data must be a Uint8Array or Uint8ClampedArray of RGBA pixels');
    }
    const data = d instanceof Uint8Array ? d : new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
    return { data, width: frame.width, height: frame.height, owned: false };
  }
  if (typeof OffscreenCanvas !== 'undefined' && frame && typeof frame === 'object') {
    const width = frame.videoWidth || frame.displayWidth || frame.naturalWidth || frame.width;
    const height = frame.videoHeight || frame.displayHeight || frame.naturalHeight || frame.height;
    if (width > 0 && height > 0) {
      // Only the center square the engine would crop is drawn (1:1, the same pixels), into one
      // canvas kept between calls.
      const side = Math.min(width, height);
      const ctx = scratch(side);
      ctx.clearRect(0, 0, side, side); // transparent pixels stay transparent black, as on a fresh canvas
      ctx.drawImage(frame, (width - side) >> 1, (height - side) >> 1, side, side, 0, 0, side, side);
      const img = ctx.getImageData(0, 0, side, side);
      return { data: new Uint8Array(img.data.buffer), width: side, height: side, owned: true };
    }
  }
  throw new MobileNetError('INPUT_INVALID',
    'frame must be ImageData, ImageBitmap, a video/canvas/image element, OffscreenCanvas, '
    + 'VideoFrame or { data, width, height } (RGBA)');
}

/** Indices of the k largest scores: score descending, ties by lower index. */
export function topK(scores, k) {
  const n = Math.min(Math.max(0, k), scores.length);
  if (n > 16) {
    const idx = Array.from(scores.keys());
    idx.sort((a, b) => scores[b] - scores[a] || a - b);
    return idx.slice(0, n);
  }
  // Small k: one pass keeping the best n in order (insertion), no sort of every score.
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
  const indices = (list, name) => {
    if (list == null) return null;
    if (!Array.isArray(list)) throw new MobileNetError('INPUT_INVALID', `${name} must be an array of labels or class indices`);
    return list.map((c) => {
      if (Number.isInteger(c) && c >= 0 && c < classes) return c;
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
 *  model's labels (ImageNet's, or those a taught-and-exported file carries in its metadata). */
export function toClasses(scores, { topK: k, scoreThreshold = 0, allow = null, deny = null }, labels = LABELS) {
  const label = (index) => labels[index] ?? `class ${index}`;
  if (!allow && !deny && scoreThreshold === 0) {
    return topK(scores, k).map((index) => ({ index, label: label(index), score: scores[index] }));
  }
  const allowed = allow && new Set(allow);
  const denied = deny && new Set(deny);
  const keep = [];
  for (let i = 0; i < scores.length; i++) {
    if (scores[i] >= scoreThreshold && (!allowed || allowed.has(i)) && !(denied && denied.has(i))) keep.push(i);
  }
  keep.sort((a, b) => scores[b] - scores[a] || a - b);
  return keep.slice(0, k).map((index) => ({ index, label: label(index), score: scores[index] }));
}
