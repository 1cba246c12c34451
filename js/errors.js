// The package's one error type and the conversion of engine (and Worker) failures into it.

/**
 * Stable error codes of {@link MobileNetError}: MODEL_MALFORMED, MODEL_UNSUPPORTED, INPUT_INVALID,
 * LIMITS_EXCEEDED, INVALID_STATE, NETWORK, NO_SIMD; CAMERA (classifyVideo: the camera track
 * ended, `reason: 'ended'`); MODEL_MISMATCH (a saved classifier restored on another model —
 * file, α, dtype — or resolution, or a classifier used after its model moved to another input
 * resolution).
 * @typedef {'MODEL_MALFORMED' | 'MODEL_UNSUPPORTED' | 'INPUT_INVALID' | 'LIMITS_EXCEEDED' | 'INVALID_STATE'
 *   | 'NETWORK' | 'NO_SIMD' | 'CAMERA' | 'MODEL_MISMATCH'} ErrorCode
 */

/**
 * The fields of an engine error (codes MODEL_MALFORMED, MODEL_UNSUPPORTED, INPUT_INVALID,
 * LIMITS_EXCEEDED, INVALID_STATE raised by the engine): what is wrong and where. Only `what` is
 * always there; the others when they apply.
 * @typedef {object} ErrorDetails
 * @property {string} what a stable snake_case key: `'stride'`, `'frame_size'`, `'model_bytes'`…
 * @property {number} [layer] the layer (the operator's position in the model)
 * @property {string} [operator] the operator's name (`'CONV_2D'`, a custom operator's name…)
 * @property {number} [tensor] the tensor's index in the file
 * @property {string} [tensorName] the tensor's name in the file
 * @property {number} [offset] a byte offset in the model file
 * @property {number|number[]|string} [found] the value found
 * @property {number|number[]|string} [expected] what a valid value is
 * @property {number} [limit] the limit that was exceeded (LIMITS_EXCEEDED)
 */

/** Every failure of this package: `code` is one of the stable codes below; errors raised by the
 *  engine also carry `details` (ErrorDetails). */
export class MobileNetError extends Error {
  /** @readonly @type {'MobileNetError'} */
  name = 'MobileNetError';

  /**
   * @param {ErrorCode} code MODEL_MALFORMED | MODEL_UNSUPPORTED | INPUT_INVALID | LIMITS_EXCEEDED |
   *   INVALID_STATE | NETWORK | NO_SIMD | CAMERA (classifyVideo: the camera track ended) |
   *   MODEL_MISMATCH (a saved classifier restored on another model, or a classifier used at
   *   another input resolution than it was taught at)
   * @param {string} message
   * @param {Record<string, unknown>} [extra] extra fields (e.g. `status`, `url` for NETWORK; `details` from the engine)
   */
  constructor(code, message, extra = {}) {
    super(message);
    /** @readonly */
    this.code = code;
    /** HTTP status, for NETWORK errors from a server answer. @readonly @type {number | undefined} */
    this.status;
    /** The URL or path, for NETWORK errors. @readonly @type {string | undefined} */
    this.url;
    /** What happened to the camera, for CAMERA errors. @readonly @type {'ended' | undefined} */
    this.reason;
    /** MODEL_MISMATCH from fromJSON: the model the classifier was taught on.
     *  @readonly @type {import('./classifier.js').ClassifierModel | undefined} */
    this.expected;
    /** MODEL_MISMATCH from fromJSON: the model it was offered.
     *  @readonly @type {Pick<import('./classifier.js').ClassifierModel, 'alpha' | 'dtype' | 'resolution' | 'sha256'> | undefined} */
    this.actual;
    /** What is wrong and where, for errors raised by the engine. @readonly @type {ErrorDetails | undefined} */
    this.details;
    /** Why threads did not start, for the NETWORK error of a Worker stuck starting its threads.
     *  @readonly @type {'threads' | undefined} */
    this.stuck;
    /** INVALID_STATE: the engine trapped (out of memory, or a bug), and its instance is not used
     *  again. @readonly @type {true | undefined} */
    this.crashed;
    Object.assign(this, extra);
  }
}

/**
 * Converts an error thrown by the wasm engine (or a Worker) into a MobileNetError.
 * @param {any} e
 * @returns {MobileNetError}
 */
export function wrap(e) {
  if (e instanceof MobileNetError) return e;
  if (e && typeof e.code === 'string') {
    const { code, message, name: _name, stack: _stack, ...extra } = e;
    return new MobileNetError(code, message, extra);
  }
  // A trap inside the engine (out of memory, or a bug: every input is validated first). The
  // instance cannot be trusted afterwards: a Worker that sees this restarts.
  return new MobileNetError('INVALID_STATE', `engine failure: ${e?.message ?? e}`, { crashed: true });
}
