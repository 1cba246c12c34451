// The live loop: net.classifyVideo(video, onResult, options) classifies a playing video (a
// webcam) frame after frame. One frame in flight at most; a frame that arrives while one is in
// flight is dropped (the newest one runs next, never a backlog); paused while the page is hidden;
// the camera track ending is reported; the model and its resolution may change while it runs.
//
// The frame path: the video is drawn, center-cropped and scaled to the model's input size, into
// one canvas kept for the whole loop, on the thread that owns the video; its pixels (size² × 4
// bytes, the only allocation per frame: the canvas API's getImageData) are copied into the
// engine's frame buffer here or transferred (not copied) to the Worker. With `resize: 'engine'`
// the browser only crops (1:1) and the engine resizes, exactly as classify(video) does.
import { MobileNetError } from './errors.js';
import { resultOptions } from './frames.js';
import { FRAME_FORMATS } from './yuv.js';


/** The MobileNet methods the loop calls (not part of the public API): classify one grabbed
 *  frame with timings, and the model's current input size. */
export const LIVE_FRAME = Symbol('mobilenet-wasm live frame');
export const LIVE_SIZE = Symbol('mobilenet-wasm live size');

const now = () => performance.now();

/** @import { Classification, ClassifyOptions, ResultOptions } from './frames.js' */
/** @import { MobileNetError as MobileNetErrorType } from './errors.js' */
/** @import { MobileNet } from './api.js' */
/**
 * A grabbed frame: RGBA pixels (canvas path) or the frame's planes (VideoFrame path).
 * @typedef {{ data: Uint8Array, width: number, height: number, owned: true }} GrabbedPixels
 * @typedef {import('./types.js').Planes & { matrix: string, fullRange: boolean }} GrabbedPlanes
 */

/** Draws frames of a video into one reused canvas: center crop, scaled to `size` × `size`. */
export class FrameGrabber {
  /** @type {OffscreenCanvas | HTMLCanvasElement | null} */
  #canvas = null;
  /** @type {OffscreenCanvasRenderingContext2D | CanvasRenderingContext2D | null} */
  #ctx = null;

  /**
   * @param {HTMLVideoElement} video
   * @param {number} size output side in pixels, or 0 for the crop at its own size (no scaling)
   * @returns {{ data: Uint8Array, width: number, height: number, owned: true }}
   */
  grab(video, size) {
    const w = video.videoWidth;
    const h = video.videoHeight;
    const side = Math.min(w, h);
    // The engine's own center crop: offsets rounded down.
    const sx = (w - side) >> 1;
    const sy = (h - side) >> 1;
    const d = size > 0 ? size : side;
    if (!this.#canvas) {
      this.#canvas = typeof OffscreenCanvas !== 'undefined' ? new OffscreenCanvas(d, d)
        : Object.assign(document.createElement('canvas'), { width: d, height: d });
      // CPU-backed: its pixels are read back every frame.
      this.#ctx = /** @type {OffscreenCanvasRenderingContext2D | CanvasRenderingContext2D} */ (this.#canvas.getContext('2d', { willReadFrequently: true }));
    } else if (this.#canvas.width !== d) {
      this.#canvas.width = d;
      this.#canvas.height = d;
    }
    /** @type {OffscreenCanvasRenderingContext2D | CanvasRenderingContext2D} */ (this.#ctx).drawImage(video, sx, sy, side, side, 0, 0, d, d);
    const img = /** @type {OffscreenCanvasRenderingContext2D | CanvasRenderingContext2D} */ (this.#ctx).getImageData(0, 0, d, d);
    return { data: new Uint8Array(img.data.buffer), width: d, height: d, owned: true };
  }
}

/**
 * The cheapest path where the browser has WebCodecs: the video's current frame as a VideoFrame
 * (no pixels move), copied in its own format (I420, NV12, packed RGB; no colour conversion) —
 * only the center square — into one buffer reused frame after frame (the Worker form sends it
 * back with the result). The engine's side converts only the model's size² pixels (yuv.js).
 */
export class VideoFrameGrabber {
  /** @type {ArrayBuffer | null} */
  #buffer = null;

  /** @returns {boolean} */
  static supported() {
    return typeof VideoFrame === 'function';
  }

  /** Gives back the buffer of a frame (the Worker returned it). @param {ArrayBufferLike} buffer */
  recycle(buffer) {
    if (buffer instanceof ArrayBuffer && buffer.byteLength > 0 && !this.#buffer) this.#buffer = buffer;
  }

  /**
   * @param {HTMLVideoElement} video
   * @param {number} size the model's input size
   * @returns {Promise<GrabbedPlanes>} { planes: true, data, format, width, height, layout, matrix, fullRange, size }
   */
  async grab(video, size) {
    const frame = new VideoFrame(video);
    try {
      const { format } = /** @type {{ format: string }} */ (frame); // null only for a closed frame
      if (!FRAME_FORMATS.includes(format)) {
        throw new MobileNetError('INPUT_INVALID', `video frames in format ${format} are not read directly`);
      }
      const vr = /** @type {DOMRectReadOnly} */ (frame.visibleRect);
      const side = Math.min(vr.width, vr.height) & ~1;
      // Even offsets: chroma planes are subsampled by two.
      const rect = { x: vr.x + (((vr.width - side) >> 1) & ~1), y: vr.y + (((vr.height - side) >> 1) & ~1), width: side, height: side };
      const n = frame.allocationSize({ rect });
      let buffer = this.#buffer;
      this.#buffer = null;
      if (!buffer || buffer.byteLength < n) buffer = new ArrayBuffer(n);
      const data = new Uint8Array(buffer, 0, n);
      const layout = await frame.copyTo(data, { rect });
      /** @type {{ matrix?: string | null, fullRange?: boolean | null }} */
      const cs = frame.colorSpace ?? {};
      return { planes: true, data, format, width: side, height: side, layout: layout.map((p) => ({ offset: p.offset, stride: p.stride })),
        matrix: cs.matrix ?? 'bt470bg', fullRange: cs.fullRange ?? false, size };
    } finally {
      frame.close();
    }
  }

  /** The local form keeps its buffer: the engine copied what it needed.
   *  @param {{ data?: Uint8Array } | null} pixels */
  keep(pixels) {
    if (pixels?.data?.buffer) this.recycle(pixels.data.buffer);
  }
}

/** The video tracks of a video element's MediaStream (none for a file or URL source).
 *  @param {HTMLVideoElement} video @returns {MediaStreamTrack[]} */
function videoTracks(video) {
  const s = /** @type {MediaStream | null} */ (video.srcObject);
  return s && typeof s.getVideoTracks === 'function' ? s.getVideoTracks() : [];
}

const LIVE_OPTIONS = ['topK', 'scoreThreshold', 'allow', 'deny', 'onError', 'pauseWhenHidden', 'resize'];

/** Validates classifyVideo's options.
 *  @param {ClassifyVideoOptions} options @param {readonly string[]} labels
 *  @returns {{ result: ResultOptions, onError: ((error: MobileNetErrorType) => void) | null, pauseWhenHidden: boolean,
 *    resize: 'browser' | 'engine' }} */
function checkOptions(options, labels) {
  if (options === null || typeof options !== 'object') {
    throw new MobileNetError('INPUT_INVALID', 'classifyVideo options must be an object');
  }
  for (const k of Object.keys(options)) {
    if (!LIVE_OPTIONS.includes(k)) {
      throw new MobileNetError('INPUT_INVALID', `unknown classifyVideo option ${k} (known: ${LIVE_OPTIONS.join(', ')})`);
    }
  }
  const { onError = null, pauseWhenHidden = true, resize = 'browser' } = options;
  if (onError !== null && typeof onError !== 'function') {
    throw new MobileNetError('INPUT_INVALID', 'onError must be a function');
  }
  if (typeof pauseWhenHidden !== 'boolean') {
    throw new MobileNetError('INPUT_INVALID', `pauseWhenHidden must be true or false, not ${pauseWhenHidden}`);
  }
  if (resize !== 'browser' && resize !== 'engine') {
    throw new MobileNetError('INPUT_INVALID', `resize must be 'browser' or 'engine', not ${JSON.stringify(resize)}`);
  }
  return { result: resultOptions(options, labels), onError, pauseWhenHidden, resize };
}

/**
 * Options of {@link MobileNet.classifyVideo}: the result options, and how the loop runs.
 * @typedef {object} ClassifyVideoOwnOptions
 * @property {(error: MobileNetErrorType) => void} [onError] Called once when the loop ends by
 *   itself: a CAMERA error (the track ended) or the model's error (e.g. INVALID_STATE,
 *   disposed). Without it the error goes to console.error.
 * @property {boolean} [pauseWhenHidden] Pause while the page is hidden and resume on the newest frame (default true).
 * @property {'browser' | 'engine'} [resize] 'browser' (default): each frame is center-cropped and
 *   scaled to the model's input size on its way — from the frame's own planes (VideoFrame) where
 *   the browser has WebCodecs, else drawn into a canvas (the cheapest path). 'engine': the
 *   browser only crops (a canvas), the engine resizes, as classify(video) does.
 */
/** @typedef {ClassifyOptions & ClassifyVideoOwnOptions} ClassifyVideoOptions */

/**
 * One frame's result from {@link MobileNet.classifyVideo}.
 * @typedef {object} VideoResult
 * @property {Classification[]} classes The ranked classes (the result options applied).
 * @property {number} timestamp When the loop got the frame (requestVideoFrameCallback's time, performance.now() clock).
 * @property {number} mediaTime The frame's media time in seconds.
 * @property {number | null} captureTime When the camera captured the frame (performance.now() clock), where the browser says.
 * @property {number} frameToResultMs From `timestamp` to this result, in ms.
 * @property {number} inferMs The engine's work: its preprocessing (crop and resize of what it got) and the inference.
 * @property {number} prepareMs Taking the frame from the video (draw, crop, scale, read back) and copying it into the engine.
 * @property {number} transferMs The rest: the call queue, the Worker round trip (Worker form), the result's conversion.
 * @property {number} waitMs How long the frame waited for the frame before it (0 unless the model is slower than the camera).
 * @property {number} grabMs Of prepareMs: taking the frame from the video on the calling thread.
 * @property {number} copyMs Of prepareMs: putting it into the engine's frame buffer (the
 *   VideoFrame path: converting size² pixels from its planes).
 * @property {number} startTime When this frame's processing started (performance.now() clock).
 * @property {number} endTime When its result came (performance.now() clock).
 * @property {'videoframe' | 'canvas'} framePath 'videoframe' (the frame's own planes, WebCodecs) or 'canvas' (drawn into a canvas).
 * @property {number} width The video's width.
 * @property {number} height The video's height.
 * @property {number} inputSize The side of the square the engine got.
 * @property {number} frame This result's number (1, 2, …).
 * @property {number} dropped The frames dropped so far.
 */

/** @typedef {'running' | 'paused' | 'hidden' | 'stopped' | 'ended' | 'error'} VideoState */

/**
 * @typedef {object} LiveStats
 * @property {number} frames Frames classified.
 * @property {number} dropped Frames dropped (they arrived while one was in flight).
 * @property {boolean} inFlight Whether one is in flight.
 * @property {'videoframe' | 'canvas'} framePath
 * @property {string | null} fallbackReason Why the VideoFrame path was given up, if it was.
 */

/**
 * The loop behind net.classifyVideo(). States: 'running' (frames are classified), 'paused'
 * (pause()), 'hidden' (the page is hidden; resumes by itself), 'stopped' (stop()), 'ended' (the
 * camera track ended: onError got a CAMERA error), 'error' (a model call failed: onError got it).
 */
export class LiveVideo {
  /** @type {MobileNet} */
  #net;
  /** @type {HTMLVideoElement} */
  #video;
  /** @type {(result: VideoResult) => void} */
  #onResult;
  /** @type {ReturnType<typeof checkOptions>} */
  #opts;
  #grabber = new FrameGrabber();
  /** @type {VideoFrameGrabber | null} */
  #planes = null; // a VideoFrameGrabber while that path works
  /** @type {'videoframe' | 'canvas'} */
  #framePath = 'canvas';
  /** @type {string | null} */
  #fallbackReason = null;
  /** @type {VideoState} */
  #state = 'running';
  #paused = false;
  #busy = false;
  /** @typedef {{ time: number, presented: number, meta: { mediaTime: number, captureTime?: number } }} LoopFrame */
  /** @type {LoopFrame | null} */
  #pending = null; // the newest frame that arrived while one was in flight: { time, meta }
  #requested = false;
  /** @type {MobileNetErrorType | null} */
  #error = null;
  /** @type {[MediaStreamTrack, () => void][]} */
  #tracks = [];
  #frames = 0;
  #dropped = 0;
  /** @type {(() => void)[]} */
  #cleanup = [];

  /**
   * Use net.classifyVideo() (the package exports LiveVideo as a type only).
   * @param {MobileNet} net
   * @param {HTMLVideoElement} video
   * @param {(result: VideoResult) => void} onResult
   * @param {ClassifyVideoOptions} [options]
   */
  constructor(net, video, onResult, options = {}) {
    if (typeof HTMLVideoElement === 'undefined' || !(video instanceof HTMLVideoElement)) {
      throw new MobileNetError('INPUT_INVALID',
        `classifyVideo needs a <video> element (HTMLVideoElement), not ${/** @type {any} */ (video)?.constructor?.name ?? typeof video}; `
        + 'for a single frame use classify()');
    }
    if (typeof onResult !== 'function') {
      throw new MobileNetError('INPUT_INVALID', 'classifyVideo needs an onResult callback function');
    }
    this.#opts = checkOptions(options, net.labels);
    if (!video.srcObject && !video.currentSrc && !video.src) {
      throw new MobileNetError('INPUT_INVALID',
        'the video has no source: set video.srcObject to the camera\'s MediaStream (getUserMedia) first');
    }
    const tracks = videoTracks(video);
    if (video.srcObject && typeof /** @type {MediaStream} */ (video.srcObject).getVideoTracks === 'function' && tracks.length === 0) {
      throw new MobileNetError('INPUT_INVALID', 'the video\'s MediaStream has no video track');
    }
    if (tracks.length > 0 && tracks.every((t) => t.readyState === 'ended')) {
      throw new MobileNetError('CAMERA', 'the camera track has already ended (stopped, unplugged or taken by another application)',
        { reason: 'ended' });
    }
    this.#net = net;
    this.#video = video;
    if (this.#opts.resize === 'browser' && VideoFrameGrabber.supported()) {
      this.#planes = new VideoFrameGrabber();
      this.#framePath = 'videoframe';
    }
    this.#onResult = onResult;
    this.#watchTracks();
    /** @param {EventTarget} target @param {string} type @param {() => void} f */
    const listen = (target, type, f) => {
      target.addEventListener(type, f);
      this.#cleanup.push(() => target.removeEventListener(type, f));
    };
    // A new source (another camera): watch its tracks instead.
    listen(video, 'loadstart', () => this.#watchTracks());
    if (typeof document !== 'undefined') {
      listen(document, 'visibilitychange', () => this.#visibility());
    }
    // A track can end without an 'ended' event reaching us (stop() fires none; Firefox does not
    // deliver it to addEventListener listeners in our tests): its readyState is checked too.
    const poll = setInterval(() => {
      const ended = this.#tracks.find(([t]) => t.readyState === 'ended');
      if (ended && this.#tracks.every(([t]) => t.readyState === 'ended')) this.#trackEnded(ended[0]);
    }, 250);
    this.#cleanup.push(() => clearInterval(poll));
    this.#visibility();
    this.#request();
  }

  /** 'running' | 'paused' | 'hidden' | 'stopped' | 'ended' | 'error' @returns {VideoState} */
  get state() {
    return this.#state;
  }

  /** Whether frames are being classified now (state === 'running'). @returns {boolean} */
  get running() {
    return this.#state === 'running';
  }

  /** The error that ended the loop (state 'ended' or 'error'), else null.
   *  @returns {MobileNetErrorType | null} */
  get error() {
    return this.#error;
  }

  /** Frames classified and frames dropped (arrived while one was in flight) so far; the frame
   *  path ('videoframe': the frame's own planes; 'canvas': drawn into a canvas) and, when the
   *  VideoFrame path was given up, why.
   *  @returns {LiveStats} */
  get stats() {
    return { frames: this.#frames, dropped: this.#dropped, inFlight: this.#busy, framePath: this.#framePath,
      fallbackReason: this.#fallbackReason };
  }

  /** The model frames go to. @returns {MobileNet} */
  get model() {
    return this.#net;
  }

  /** Stops classifying until resume(); a frame in flight still reports its result. @returns {void} */
  pause() {
    if (this.#over()) return;
    this.#paused = true;
    this.#setState('paused');
  }

  /** Resumes with the newest frame. @returns {void} */
  resume() {
    if (this.#over()) return;
    this.#paused = false;
    this.#visibility();
    this.#request();
  }

  /** Ends the loop for good; a result still in flight is not reported. @returns {void} */
  stop() {
    if (this.#over()) return;
    this.#finish('stopped', null);
  }

  /** Sends the next frames to another model (e.g. another α); the camera keeps running.
   *  @param {MobileNet} net @returns {void} */
  setModel(net) {
    if (!net || typeof net[LIVE_FRAME] !== 'function') {
      throw new MobileNetError('INPUT_INVALID', 'setModel needs a MobileNet');
    }
    this.#net = net;
  }

  /** Changes the result options (topK, scoreThreshold, allow, deny) from the next frame on.
   *  @param {ClassifyOptions} options @returns {void} */
  setOptions(options) {
    const o = resultOptions(options, this.#net.labels);
    this.#opts = { ...this.#opts, result: o };
  }

  #over() {
    return this.#state === 'stopped' || this.#state === 'ended' || this.#state === 'error';
  }

  /** @param {VideoState} s */
  #setState(s) {
    if (!this.#over()) this.#state = s;
  }

  /** @param {VideoState} state @param {MobileNetErrorType | null} error */
  #finish(state, error) {
    this.#state = state;
    this.#error = error;
    this.#pending = null;
    for (const f of this.#cleanup) f();
    this.#cleanup = [];
    for (const [t, f] of this.#tracks) t.removeEventListener('ended', f);
    this.#tracks = [];
    if (error) {
      if (this.#opts.onError) {
        try {
          this.#opts.onError(error);
        } catch (e) {
          queueMicrotask(() => { throw e; });
        }
      } else {
        // Never a silent stop.
        console.error(`mobilenet-wasm classifyVideo stopped: ${error.code}: ${error.message}`);
      }
    }
  }

  #watchTracks() {
    for (const [t, f] of this.#tracks) t.removeEventListener('ended', f);
    this.#tracks = videoTracks(this.#video).map((t) => {
      const f = () => this.#trackEnded(t);
      t.addEventListener('ended', f);
      return /** @type {[MediaStreamTrack, () => void]} */ ([t, f]);
    });
  }

  /** @param {MediaStreamTrack} track */
  #trackEnded(track) {
    if (this.#over()) return;
    this.#finish('ended', new MobileNetError('CAMERA',
      `the camera track${track.label ? ` "${track.label}"` : ''} ended (stopped, unplugged or taken by another application)`,
      { reason: 'ended' }));
  }

  #hidden() {
    return this.#opts.pauseWhenHidden && typeof document !== 'undefined' && document.hidden;
  }

  #visibility() {
    if (this.#over() || this.#paused) return;
    if (this.#hidden()) {
      this.#pending = null;
      this.#setState('hidden');
    } else {
      this.#setState('running');
      this.#request();
    }
  }

  /** Asks for the next video frame (once). */
  #request() {
    if (this.#requested || this.#state !== 'running') return;
    this.#requested = true;
    const v = this.#video;
    if (typeof v.requestVideoFrameCallback === 'function') {
      v.requestVideoFrameCallback((t, meta) => this.#onFrame(t, meta));
    } else {
      // No requestVideoFrameCallback: poll on animation frames for a new currentTime.
      const last = v.currentTime;
      /** @param {number} t */
      const poll = (t) => {
        if (this.#state !== 'running') { this.#requested = false; return; }
        if (v.currentTime !== last && v.readyState >= 2) this.#onFrame(t, { mediaTime: v.currentTime });
        else requestAnimationFrame(poll);
      };
      requestAnimationFrame(poll);
    }
  }

  /** @param {number} time @param {LoopFrame['meta']} meta */
  #onFrame(time, meta) {
    this.#requested = false;
    if (this.#state !== 'running') return;
    if (this.#hidden()) {
      this.#visibility();
      return;
    }
    this.#request();
    // Counted from the moment the frame reaches the loop; `time` is the browser's time of the
    // frame's rendering step (requestVideoFrameCallback's first argument).
    const frame = { time: now(), presented: time, meta };
    if (this.#busy) {
      // Stale by the time the model is free: dropped, and the newest one waits instead.
      if (this.#pending) this.#dropped++;
      this.#pending = frame;
      return;
    }
    this.#process(frame);
  }

  /** @param {LoopFrame} frame */
  async #process(frame) {
    const v = this.#video;
    if (!(v.readyState >= 2 && v.videoWidth > 0)) return;
    this.#busy = true;
    const net = this.#net;
    const t0 = now();
    /** @type {VideoResult | null} */
    let result = null;
    /** @type {any} */
    let error = null;
    try {
      const size = net[LIVE_SIZE]();
      /** @type {GrabbedPixels | GrabbedPlanes | null} */
      let pixels = null;
      if (this.#planes) {
        try {
          pixels = await this.#planes.grab(v, size);
        } catch (e) {
          // This browser or this video cannot hand its frames over: the canvas from now on.
          this.#planes = null;
          this.#framePath = 'canvas';
          this.#fallbackReason = String(/** @type {any} */ (e)?.message ?? e);
        }
      }
      if (!pixels) pixels = this.#grabber.grab(v, this.#opts.resize === 'engine' ? 0 : size);
      const grabMs = now() - t0;
      const r = await net[LIVE_FRAME](pixels, this.#opts.result);
      if (this.#planes) {
        if (r.buffer) this.#planes.recycle(r.buffer);
        else this.#planes.keep(pixels);
      }
      const t1 = now();
      const frameToResultMs = t1 - frame.time;
      const waitMs = t0 - frame.time;
      const prepareMs = grabMs + r.copyMs;
      result = {
        classes: r.classes,
        timestamp: frame.presented,
        mediaTime: frame.meta?.mediaTime ?? v.currentTime,
        captureTime: frame.meta?.captureTime ?? null,
        frameToResultMs,
        inferMs: r.inferMs,
        prepareMs,
        transferMs: Math.max(0, t1 - t0 - prepareMs - r.inferMs),
        waitMs,
        startTime: t0,
        endTime: t1,
        width: v.videoWidth,
        height: v.videoHeight,
        inputSize: 'size' in pixels ? pixels.size : pixels.width,
        grabMs, copyMs: r.copyMs,
        framePath: this.#framePath,
        frame: this.#frames + 1,
        dropped: this.#dropped,
      };
    } catch (e) {
      error = e;
    }
    this.#busy = false;
    if (this.#over()) return;
    if (error) {
      // The model was switched while this frame ran on the old one (disposed since): not an error.
      if (net !== this.#net) {
        this.#next();
        return;
      }
      this.#finish('error', error instanceof MobileNetError ? error : new MobileNetError('INVALID_STATE', String(error?.message ?? error)));
      return;
    }
    this.#frames++;
    try {
      this.#onResult(/** @type {VideoResult} */ (result));
    } catch (e) {
      queueMicrotask(() => { throw e; });
    }
    this.#next();
  }

  /** After a result: the frame that arrived meanwhile runs now (the video shows it or newer). */
  #next() {
    const p = this.#pending;
    this.#pending = null;
    if (p && this.#state === 'running') this.#process(p);
  }
}
