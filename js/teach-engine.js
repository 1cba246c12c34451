// The engine side of MobileNetClassifier: requests on a model's Teacher objects (Rust, see
// src/bindings/teach.rs), run where the engine lives — in this thread (LocalDriver) or in the
// model's Worker (worker.js forwards them). Embeddings never leave wasm memory on the way to
// the k-NN or the head; what comes back are small typed arrays (transferable).
import { MobileNetError } from './errors.js';
import { toClasses } from './frames.js';

/** The typed arrays of a result, to transfer from a Worker.
 *  @param {any} result @returns {ArrayBufferLike[]} */
export function transferables(result) {
  return result ? Object.values(result).filter((v) => ArrayBuffer.isView(v)).map((v) => v.buffer) : [];
}

/**
 * Runs one classifier request on `driver` (a LocalDriver).
 * @param {import('./local.js').LocalDriver} driver
 * @param {{type: string, id: number, [k: string]: any}} op
 * @returns {any} the request's result (a plain object of numbers and typed arrays), or null
 */
export function teachOp(driver, op) {
  const e = driver.engine;
  /** @type {Map<number, import('./mobilenet_wasm.js').Teacher>} */
  const teachers = (driver.teachers ??= new Map());
  if (op.type === 'create') {
    if (e.embeddingLength === 0) {
      throw new MobileNetError('MODEL_UNSUPPORTED', 'the model has no average pool to take features from');
    }
    teachers.set(op.id, new driver.glue.Teacher(e.embeddingLength));
    return { features: e.embeddingLength };
  }
  const t = teachers.get(op.id);
  if (!t) {
    throw new MobileNetError('INVALID_STATE',
      'this classifier is gone from the engine (disposed, or the engine\'s Worker was restarted): restore it from toJSON()');
  }
  const embed = () => {
    driver.loadFrame(op.frame);
    return e.embedInPlace(op.frame.width, op.frame.height);
  };
  const mem = () => driver.memory.buffer;
  switch (op.type) {
    case 'add': {
      const at = embed();
      t.addFromEngine(e, op.label);
      return { embedding: new Float32Array(mem(), at, e.embeddingLength).slice() };
    }
    case 'addVectors':
      t.addVectors(op.vectors, op.labels);
      return null;
    case 'predict': {
      embed();
      /** @type {{ head?: Float32Array, knn?: Float32Array, imagenet?: import('./frames.js').Classification[] }} */
      const r = op.method === 'head'
        ? { head: new Float32Array(mem(), t.predictHead(e), op.classes).slice() }
        : { knn: new Float32Array(mem(), t.predictKnn(e, op.k, op.classes), 2 * op.classes).slice() };
      if (op.imagenet > 0) {
        // The same frame (still in the frame buffer) through the whole model: ImageNet's top.
        const scores = new Float32Array(mem(), e.classifyInPlace(op.frame.width, op.frame.height), e.outputLength);
        r.imagenet = toClasses(scores, { topK: op.imagenet });
      }
      return r;
    }
    case 'removeLabel':
      return { removed: t.removeLabel(op.label) };
    case 'clear':
      t.clear();
      return null;
    case 'train': {
      const o = op.options;
      const stats = JSON.parse(t.train(op.classes, o.epochs, o.batchSize, o.learningRate, o.l2, o.seed));
      return { stats, weights: t.headWeights(), bias: t.headBias() };
    }
    case 'setHead':
      t.setHead(op.classes, op.weights, op.bias);
      return null;
    case 'dispose':
      t.free();
      teachers.delete(op.id);
      return null;
    default:
      throw new MobileNetError('INVALID_STATE', `unknown classifier request ${op.type}`);
  }
}
