// The package's one error type and the conversion of engine (and Worker) failures into it.

/** Every failure of this package: `code` is one of the stable codes below. */
export class MobileNetError extends Error {
  /**
   * @param {string} code MODEL_MALFORMED | MODEL_UNSUPPORTED | INPUT_INVALID | LIMITS_EXCEEDED |
   *   INVALID_STATE | NETWORK | NO_SIMD | CAMERA (classifyVideo: the camera track ended) |
   *   MODEL_MISMATCH (a saved classifier restored on another model, or a classifier used at
   *   another input resolution than it was taught at)
   * @param {string} message
   * @param {object} [extra] extra fields (e.g. `status`, `url` for NETWORK)
   */
  constructor(code, message, extra = {}) {
    super(message);
    this.name = 'MobileNetError';
    this.code = code;
    Object.assign(this, extra);
  }
}

/** Converts an error thrown by the wasm engine (or a Worker) into a MobileNetError. */
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
