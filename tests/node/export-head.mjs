// A taught head for the export tests: nearest class mean over the embeddings of crops of the
// three sample photos (cat, bird, parrot), as a linear head (logit_k = τ(2μ_k·e − |μ_k|²), τ so
// that the two closest means are 8 logits apart), and held-back crops of the same photos as
// model inputs (res × res, resized here so that the engine's own crop and resize are identity).
import { join } from 'node:path';
import { decodeImage } from '../../pkg/decode.js';
import { IMAGES, data } from './data.mjs';

export const PHOTOS = [['cat', 'cat.bmp'], ['bird', 'bird.bmp'], ['parrot', 'parrot.jpg']];
// Crops as (x, y, side) fractions of the photo's shorter side.
const TAUGHT = [[0, 0, 0.7], [0.3, 0, 0.7], [0, 0.3, 0.7], [0.3, 0.3, 0.7]];
const HELD_BACK = [[0.1, 0.1, 0.8], [0.05, 0.02, 0.9], [0, 0, 1]];

export async function photos() {
  const out = [];
  for (const [label, file] of PHOTOS) out.push({ label, image: decodeImage(await data(join(IMAGES, file)), file) });
  return out;
}

/** The RGBA crop (x, y, side fractions of the shorter side, from the centered square). */
function crop({ data: px, width, height }, [fx, fy, fs]) {
  const short = Math.min(width, height);
  const side = Math.round(fs * short);
  const x0 = Math.round((width - short) / 2 + fx * short);
  const y0 = Math.round((height - short) / 2 + fy * short);
  const out = new Uint8Array(side * side * 4);
  for (let y = 0; y < side; y++) out.set(px.subarray(((y0 + y) * width + x0) * 4, ((y0 + y) * width + x0 + side) * 4), y * side * 4);
  return { data: out, width: side, height: side };
}

/** The centered square of any RGBA frame, box-resized to size × size (a frame the engine then
 *  takes as it is). */
export function squareFrame(frame, size) {
  return resize(crop(frame, [0, 0, 1]), size);
}

/** Box-filter resize of a square RGBA frame to size × size (each output pixel averages its source area). */
function resize({ data: px, width }, size) {
  const out = new Uint8Array(size * size * 4);
  const s = width / size;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const acc = [0, 0, 0];
      let n = 0;
      for (let sy = Math.floor(y * s); sy < Math.max(Math.floor((y + 1) * s), Math.floor(y * s) + 1); sy++) {
        for (let sx = Math.floor(x * s); sx < Math.max(Math.floor((x + 1) * s), Math.floor(x * s) + 1); sx++) {
          const p = (sy * width + sx) * 4;
          acc[0] += px[p]; acc[1] += px[p + 1]; acc[2] += px[p + 2];
          n++;
        }
      }
      const o = (y * size + x) * 4;
      out[o] = Math.round(acc[0] / n); out[o + 1] = Math.round(acc[1] / n); out[o + 2] = Math.round(acc[2] / n); out[o + 3] = 255;
    }
  }
  return { data: out, width: size, height: size };
}

/** The model input tensor the engine makes from a size × size frame (identity crop and resize). */
export function rawInput(frame, dtype) {
  const n = frame.width * frame.height;
  const out = dtype === 'uint8' ? new Uint8Array(n * 3) : new Float32Array(n * 3);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < 3; c++) {
      const v = frame.data[i * 4 + c];
      out[i * 3 + c] = dtype === 'uint8' ? v : (v - 128) / 128;
    }
  }
  return out;
}

/** Teaches a head on `net` (the original model) from the photos' taught crops. */
export async function teach(net, images) {
  const means = [];
  const examples = [];
  for (const { image } of images) {
    let mean = null;
    for (const c of TAUGHT) {
      const e = await net.embed(crop(image, c));
      examples.push(e);
      mean ??= new Float64Array(e.length);
      for (let j = 0; j < e.length; j++) mean[j] += e[j] / TAUGHT.length;
    }
    means.push(mean);
  }
  const d2 = (a, b) => a.reduce((s, v, j) => s + (v - b[j]) ** 2, 0);
  let closest = Infinity;
  for (let i = 0; i < means.length; i++) for (let j = i + 1; j < means.length; j++) closest = Math.min(closest, d2(means[i], means[j]));
  const tau = 8 / closest;
  const features = means[0].length;
  const classes = means.length;
  const weights = new Float32Array(classes * features);
  const bias = new Float32Array(classes);
  means.forEach((m, k) => {
    for (let j = 0; j < features; j++) weights[k * features + j] = 2 * tau * m[j];
    bias[k] = -tau * m.reduce((s, v) => s + v * v, 0);
  });
  return { head: { classes, features, weights, bias, labels: images.map((p) => `my ${p.label}`) }, examples };
}

/** The head applied to an embedding: logits (float64) and the predicted class. */
export function predict(head, e) {
  const logits = [];
  for (let k = 0; k < head.classes; k++) {
    let s = head.bias[k];
    for (let j = 0; j < head.features; j++) s += head.weights[k * head.features + j] * e[j];
    logits.push(s);
  }
  let best = 0;
  for (let k = 1; k < logits.length; k++) if (logits[k] > logits[best]) best = k;
  return { logits, best };
}

/** Held-back frames (size × size) of every photo: { truth, frame }. */
export function heldBack(images, size) {
  const out = [];
  images.forEach(({ image }, truth) => {
    for (const c of HELD_BACK) out.push({ truth, crop: c, frame: resize(crop(image, c), size) });
  });
  return out;
}
