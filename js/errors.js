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

/** Every failure of this package: `code` is one of the stable codes below. */
export class MobileNetError extends Error {
  /** @readonly @type {'MobileNetError'} */
  name = 'MobileNetError';

  /**
   * @param {ErrorCode} code MODEL_MALFORMED | MODEL_UNSUPPORTED | INPUT_INVALID | LIMITS_EXCEEDED |
   *   INVALID_STATE | NETWORK | NO_SIMD | CAMERA (classifyVideo: the camera track ended) |
   *   MODEL_MISMATCH (a saved classifier restored on another model, or a classifier used at
   *   another input resolution than it was taught at)
   * @param {string} message
   * @param {Record<string, unknown>} [extra] extra fields (e.g. `status`, `url` for NETWORK)
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
