// Export of a taught classifier as a .tflite: the original model with its 1001-class logits
// replaced by a linear head over the embedding (the engine writes the flatbuffer; see
// src/tflite/export.rs for the layout). Runs in this thread on the single-threaded build.
import { MobileNetError, wrap } from './errors.js';
import { initVariant, singleVariant } from './loader.js';

/**
 * A taught linear classifier over the embedding `embed` returns, logits = weights · e + bias, as
 * exportTflite takes it (a {@link LinearHead} from `classifier.head()` is one).
 * @typedef {object} ExportHead
 * @property {number} classes
 * @property {number} features The embedding's length (1024·α).
 * @property {Float32Array | ArrayLike<number>} weights classes × features values, row-major (one row per class).
 * @property {Float32Array | ArrayLike<number>} bias classes values.
 * @property {string[]} [labels] One label per class (no line breaks), written into the file's metadata as `labels`.
 */
/** @import { LinearHead } from './classifier.js' */

/** @param {string} message */
const invalid = (message) => new MobileNetError('INPUT_INVALID', message);

/** @param {unknown} model @returns {Uint8Array} */
function bytesOf(model) {
  if (model instanceof Uint8Array) return model;
  if (model instanceof ArrayBuffer) return new Uint8Array(model);
  if (ArrayBuffer.isView(model)) return new Uint8Array(model.buffer, model.byteOffset, model.byteLength);
  throw invalid('exportTflite takes the original model\'s bytes (a Uint8Array or an ArrayBuffer)');
}

/** @param {unknown} v @param {string} name @returns {Float32Array} */
function floats(v, name) {
  if (v instanceof Float32Array) return v;
  if (Array.isArray(v) || ArrayBuffer.isView(v)) return Float32Array.from(/** @type {ArrayLike<number>} */ (v));
  throw invalid(`head.${name} must be a Float32Array or an array of numbers`);
}

/**
 * The `.tflite` bytes of `model` (the original file's bytes) with its classifier replaced by
 * `head` = { classes, features, weights (classes × features, row-major), bias (classes),
 * labels?: string[] } — logits = weights · embedding + bias over what `embed` returns. For a
 * uint8 model, `options.calibration` (embeddings the head will see, e.g. the examples it was
 * taught on: an array of Float32Arrays, or one Float32Array of whole embeddings) sets the
 * logits' quantization range; without it the range covers every embedding possible (coarser).
 * The labels go into the file's metadata (`labels`, one per line).
 * Errors: MODEL_UNSUPPORTED (no AVERAGE_POOL_2D → CONV_2D 1×1 → RESHAPE → SOFTMAX classifier),
 * INPUT_INVALID (sizes that do not match the model or each other, non-finite values, labels),
 * MODEL_MALFORMED (not a model), LIMITS_EXCEEDED (over 100 000 classes).
 * @param {Uint8Array | ArrayBuffer} model
 * @param {ExportHead} head
 * @param {{ calibration?: Float32Array | ArrayLike<number>[] }} [options]
 * @returns {Promise<Uint8Array>}
 */
export async function exportTflite(model, head, options = {}) {
  const bytes = bytesOf(model);
  if (head === null || typeof head !== 'object') throw invalid('exportTflite needs a head { classes, features, weights, bias, labels }');
  const { classes, features, labels = [] } = head;
  if (!Number.isInteger(classes) || classes < 1) throw invalid(`head.classes must be a positive integer, not ${classes}`);
  if (!Number.isInteger(features) || features < 1) throw invalid(`head.features must be a positive integer, not ${features}`);
  const weights = floats(head.weights, 'weights');
  const bias = floats(head.bias, 'bias');
  if (!Array.isArray(labels) || labels.some((l) => typeof l !== 'string')) throw invalid('head.labels must be an array of strings');
  if (labels.some((l) => /[\n\r]/.test(l))) throw invalid('a label must not contain a line break');
  if (labels.some((l) => l === '')) throw invalid('a label must not be empty');
  /** @type {Float32Array} */
  let calibration = new Float32Array(0);
  if (options.calibration != null) {
    const c = options.calibration;
    if (Array.isArray(c)) {
      calibration = new Float32Array(c.length * features);
      c.forEach((e, i) => {
        if (!(e?.length === features)) throw invalid(`calibration[${i}] has ${e?.length} values, not ${features}`);
        calibration.set(e, i * features);
      });
    } else {
      calibration = floats(c, 'calibration');
    }
    if (calibration.length === 0) throw invalid('options.calibration is empty');
  }
  const glue = await initVariant(singleVariant(), 1);
  try {
    return glue.exportTflite(bytes, classes, features, weights, bias, labels.join('\n'), calibration);
  } catch (e) {
    throw wrap(e);
  }
}

/** The labels an exported .tflite carries in its metadata (`labels`), or null.
 *  @param {Uint8Array | ArrayBuffer} model @returns {Promise<string[] | null>} */
export async function embeddedLabels(model) {
  const glue = await initVariant(singleVariant(), 1);
  const text = glue.embeddedLabels(bytesOf(model));
  return text === undefined ? null : text.split('\n');
}
