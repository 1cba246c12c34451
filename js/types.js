// The shapes of what the engine reports (its JSON, see src/bindings/) and of what crosses
// between MobileNet and the engine it drives: JSDoc types only, no code. api.js re-exports the
// public ones under the package's names; build.sh generates the published .d.ts from them. (Types
// of the published API must not name the wasm-bindgen glue: its .d.ts needs a newer `lib`.)

/** @import { Classification, ResultOptions, RgbaPixels } from './frames.js' */

/**
 * uint8 per-tensor quantization: real = scale · (q − zero_point).
 * @typedef {object} Quant
 * @property {number} scale
 * @property {number} zero_point
 */

/** @typedef {'conv' | 'depthwise' | 'pointwise' | 'fc'} LayerType */

/**
 * @typedef {object} LayerCost
 * @property {number} [layer] The layer's index in the model (the operator's position).
 * @property {string} name
 * @property {LayerType} type
 * @property {[number, number, number]} output [height, width, channels]
 * @property {number} macs
 * @property {number} params
 */

/**
 * @typedef {object} Cost
 * @property {number} alpha
 * @property {number} resolution
 * @property {number} classes
 * @property {number} macs
 * @property {number} params
 * @property {Record<LayerType, { macs: number, params: number }>} by_type
 * @property {LayerCost[]} layers
 */

/**
 * What a JavaScript context gives the engine.
 * @typedef {object} Capabilities
 * @property {boolean} simd128 WebAssembly SIMD128 (required).
 * @property {boolean} relaxedSimd Relaxed SIMD (the faster builds use it where it validates).
 * @property {boolean} threads Whether the threaded build can run here.
 * @property {number} maxThreads Threads a model gets by default (navigator.hardwareConcurrency where threads work, else 1).
 * @property {boolean} crossOriginIsolated
 * @property {boolean} sharedArrayBuffer
 * @property {boolean} inWorker Whether this context is itself a Worker.
 * @property {string | null} reason When threads are off: why, and what to change (e.g. the two headers to send).
 */

/**
 * @typedef {object} ModelInfo
 * @property {number} alpha Width multiplier α (stem channels / 32).
 * @property {number} resolution Current input resolution.
 * @property {number} trained_resolution The input resolution the file declares (the one it was trained at).
 * @property {'uint8' | 'float32'} dtype
 * @property {number} classes
 * @property {[number, number, number]} input_shape
 * @property {Quant | null} input_quant
 * @property {Quant | null} output_quant
 * @property {string[]} operators TFLite operator names, in execution order.
 * @property {string} kernels Kernel implementation in the engine: the build's set (`'simd128'`,
 *   `'relaxed-simd'`), with `'+dot-vnni'` or `'+dot-sdot'` when uint8 convolutions run on the
 *   8-bit dot product (see LoadOptions.gemm).
 * @property {number} macs
 * @property {number} params
 * @property {Cost} cost
 * @property {number} threads Threads actually used.
 * @property {'simd128' | 'relaxed-simd' | 'threads' | 'threads-relaxed-simd'} backend Build in use.
 * @property {string | null} threadsReason Why this model runs on another thread count than was asked for: on one
 *   thread although more were asked for, or on the count this page's (or Worker's) threads were
 *   started with (they start once); null otherwise.
 * @property {string[] | null} labels The labels in the file's metadata (a file from `exportTflite()`), or null: ImageNet's.
 * @property {Capabilities} capabilities What the context running the engine
 *   offers (see {@link MobileNet.capabilities}).
 * @property {'caller' | 'worker'} runsIn Where the model runs: on the thread that loaded it
 *   ('caller') or in a module Worker of its own ('worker').
 * @property {string} runsInReason Why there (the `worker` option, or the rule that chose).
 */

/**
 * @typedef {object} LayerTiming
 * @property {number} index
 * @property {string} op TFLite operator name.
 * @property {LayerType | null} type Cost-model type of a weighted layer.
 * @property {number} ms
 * @property {number} macs
 */

/**
 * Diagnostics of an engine instance.
 * @typedef {object} MemoryStats
 * @property {number} wasmMemoryBytes The wasm memory's size.
 * @property {number} liveBytes Bytes allocated by the engine.
 * @property {number} allocations Allocations made so far (running a frame makes none).
 * @property {number} prefaultedBytes Bytes written ahead of loads while their models downloaded
 *   (a byte per page; pages already mapped count too), so far: the engine instance's, which
 *   models loaded in one thread share.
 */

/**
 * What the threads did for one model so far (diagnostics): each inference runs on the team — the
 * calling thread and the engine's helper threads — or on the calling thread alone, whichever the
 * engine measures to be faster on this machine (README, Builds and threads). One thread: every
 * run alone, neither time measured. The counts start again when a Worker form's Worker is
 * replaced; the times when the resolution changes.
 * @typedef {object} ThreadStats
 * @property {number} teamRuns Inferences on the team.
 * @property {number} soloRuns Inferences on the calling thread alone.
 * @property {number} probes Runs of the mode not preferred at the time, to measure it again.
 * @property {number} stallMs Milliseconds the calling thread waited for work helpers had taken.
 * @property {number} joinMs Milliseconds from a team run's start to a helper's first piece of
 *   work, summed over the team runs a helper joined.
 * @property {number} unjoinedRuns Team runs no helper joined (it was asleep or descheduled).
 * @property {number} helperChunks Pieces of layers computed by helpers.
 * @property {number} callerChunks Pieces computed by the calling thread in team runs.
 * @property {number | null} teamMs The team's time per inference: the median of its last 5 runs
 *   (null until measured).
 * @property {number | null} soloMs The same, the calling thread alone.
 * @property {boolean} preferTeam Whether the next runs use the team.
 */

/** RGBA pixels on their way to the engine. @typedef {{ data: Uint8Array | Uint8ClampedArray, width: number, height: number }} Pixels */

/**
 * A video frame's own planes (VideoFrame.copyTo in its format; yuv.js converts them at the
 * model's input size `size`).
 * @typedef {object} Planes
 * @property {true} planes
 * @property {Uint8Array} data
 * @property {number} size
 * @property {string} format
 * @property {number} width
 * @property {number} height
 * @property {{ offset: number, stride: number }[]} layout
 * @property {string | null} [matrix]
 * @property {boolean | null} [fullRange]
 */

/** @template T @typedef {T | Promise<T>} MaybePromise */

/**
 * What MobileNet needs of the engine it drives — in this thread (LocalDriver, local.js) or in
 * a Worker (WorkerDriver, worker-driver.js): each call's result, or a promise of it.
 * @typedef {object} Driver
 * @property {() => ModelInfo} info
 * @property {readonly string[]} labels The class names results carry (the model's own, or
 *   ImageNet's), without reading info.
 * @property {(input: Uint8Array | Float32Array) => MaybePromise<Uint8Array | Float32Array>} infer
 * @property {(frame: RgbaPixels, options: ResultOptions) => MaybePromise<Classification[]>} classify
 * @property {(frame: Pixels | Planes, options: ResultOptions) => MaybePromise<TimedClasses>} classifyTimed
 *   The live loop's frame, with timings.
 * @property {() => number} resolution The current input size.
 * @property {string} runsInReason Why the model runs where it runs (ModelInfo.runsInReason).
 * @property {(frame: RgbaPixels) => MaybePromise<Float32Array>} embed
 * @property {(input: Uint8Array | Float32Array) => MaybePromise<LayerTiming[]>} profile
 * @property {(resolution: number) => MaybePromise<void>} setResolution
 * @property {() => MaybePromise<MemoryStats>} memoryStats
 * @property {() => MaybePromise<ThreadStats>} threadStats
 * @property {(op: { type: string, id: number, [k: string]: any }) => any} teach A classifier
 *   request (teach-engine.js).
 * @property {() => void} dispose
 * @property {number} [restarts] The Worker form: how often its Worker was replaced.
 * @property {() => void} [assertUsable] This thread's engine: throws INVALID_STATE once the
 *   instance it runs in trapped (LocalDriver).
 * @property {(reason: string) => void} [noteCrash] This thread's engine: told that a call
 *   trapped (the Worker form replaces its Worker instead).
 */

/**
 * classifyTimed's result; `buffer`: the Worker form gives the frame's buffer back, to fill with
 * the next frame.
 * @typedef {{ classes: Classification[], copyMs: number, inferMs: number, buffer?: ArrayBuffer }} TimedClasses
 */

export {};
