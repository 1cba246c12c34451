//! The wasm-bindgen facade: the only code that sees JavaScript types.
//!
//! Errors become JavaScript `Error`s carrying a stable `code` property (see
//! [`crate::Error::code`]) and a `details` object with the error's fields ([`crate::Details`]);
//! the package's JavaScript wraps them in `MobileNetError`.

use crate::error::{Real, Value, invalid_input, limits_exceeded};
use crate::kernels::Gemm;
use crate::model::cost;
use crate::{Error, Input, Limits, Model, Session};
use wasm_bindgen::prelude::*;

mod alloc;
mod teach;

/// Allocations the engine has made so far (for the soak test).
#[wasm_bindgen(js_name = allocationCount)]
pub fn allocation_count() -> usize {
    alloc::allocations()
}

/// Bytes the engine has allocated and not yet freed.
#[wasm_bindgen(js_name = liveBytes)]
pub fn live_bytes() -> usize {
    alloc::live_bytes()
}

/// Bytes written to ahead of loads so far, a byte per page ([`prefault`]; pages already mapped
/// count too).
#[wasm_bindgen(js_name = prefaultedBytes)]
pub fn prefaulted_bytes() -> usize {
    PREFAULTED.load(core::sync::atomic::Ordering::Relaxed)
}

/// Tells the engine its thread pool runs (after `initThreadPool` resolves): until then the
/// kernels use the calling thread alone, so a model can load while the pool starts.
#[wasm_bindgen(js_name = threadsStarted)]
pub fn threads_started() {
    crate::kernels::parallel::pool_started();
}

/// Threads the kernels will use (1 in builds without threads).
#[wasm_bindgen(js_name = threadCount)]
pub fn thread_count() -> usize {
    crate::kernels::parallel::threads()
}

fn to_js(e: Error) -> JsValue {
    let err = js_sys::Error::new(&e.to_string());
    // Setting a property on a fresh object cannot fail.
    let set = |o: &JsValue, k: &str, v: JsValue| {
        let _ = js_sys::Reflect::set(o, &k.into(), &v);
    };
    set(&err, "code", e.code().into());
    let d = e.details();
    let details: JsValue = js_sys::Object::new().into();
    set(&details, "what", d.what.into());
    let num = |n: usize| JsValue::from_f64(n as f64);
    let fields = [
        ("layer", d.layer.map(num)),
        ("operator", d.operator.as_deref().map(JsValue::from)),
        ("tensor", d.tensor.map(num)),
        ("tensorName", d.tensor_name.as_deref().map(JsValue::from)),
        ("offset", d.offset.map(num)),
        ("found", d.found.as_ref().map(value)),
        ("expected", d.expected.as_ref().map(value)),
        ("limit", d.limit.map(|l| JsValue::from_f64(l as f64))),
    ];
    for (k, v) in fields {
        if let Some(v) = v {
            set(&details, k, v);
        }
    }
    set(&err, "details", details);
    err.into()
}

/// A detail value as a JavaScript number, array of numbers or string.
fn value(v: &Value) -> JsValue {
    match v {
        Value::Int(i) => JsValue::from_f64(*i as f64),
        Value::Float(f) => JsValue::from_f64(*f),
        Value::Dims(d) => d.iter().map(|&i| JsValue::from_f64(i as f64)).collect::<js_sys::Array>().into(),
        Value::Text(t) => JsValue::from(t.as_str()),
    }
}

/// Sets one field of [`Limits`].
type SetLimit = fn(&mut Limits, u64);

/// The names of [`Limits`] in JavaScript, each with its setter.
const LIMITS: [(&str, SetLimit); 5] = [
    ("maxModelBytes", |l, v| l.max_model_bytes = usize::try_from(v).unwrap_or(usize::MAX)),
    ("maxTensorElements", |l, v| l.max_tensor_elements = usize::try_from(v).unwrap_or(usize::MAX)),
    ("maxResolution", |l, v| l.max_resolution = usize::try_from(v).unwrap_or(usize::MAX)),
    ("maxMacs", |l, v| l.max_macs = v),
    ("maxFramePixels", |l, v| l.max_frame_pixels = usize::try_from(v).unwrap_or(usize::MAX)),
];

/// [`Limits`] from a JavaScript options object (`undefined`/`null`: the defaults): each known
/// name a positive integer, or `undefined` for its default (as an options object spread from
/// optional settings has it); anything else is refused.
fn limits_from_js(options: &JsValue) -> Result<Limits, Error> {
    let mut limits = Limits::default();
    if options.is_undefined() || options.is_null() {
        return Ok(limits);
    }
    if !options.is_object() || js_sys::Array::is_array(options) {
        return Err(invalid_input("limits").expected("an object"));
    }
    let known = || LIMITS.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ");
    for entry in js_sys::Object::entries(options.unchecked_ref()).iter() {
        let pair: js_sys::Array = entry.unchecked_into();
        let name = pair.get(0).as_string().unwrap_or_default();
        let v = pair.get(1);
        let Some((_, set)) = LIMITS.iter().find(|(n, _)| *n == name) else {
            return Err(invalid_input("unknown_limit").found(name).expected(known()));
        };
        if v.is_undefined() {
            continue;
        }
        let n = v.as_f64().unwrap_or(f64::NAN);
        // Positive safe integers (up to 2^53 − 1).
        if !((1.0..=9_007_199_254_740_991.0).contains(&n) && n.fract() == 0.0) {
            // Not `{v:?}`: JsValue's Debug formats numbers with core's float formatting (see
            // error::Real). A string shows as itself, null as null, anything else by its type.
            let found = match (v.as_f64(), v.as_string()) {
                (Some(n), _) => Value::Float(n),
                (None, Some(s)) => Value::Text(format!("{s:?}")),
                (None, None) if v.is_null() => Value::Text("null".into()),
                (None, None) => Value::Text(v.js_typeof().as_string().unwrap_or_default()),
            };
            return Err(invalid_input("limit").found(found).expected(format!("{name}: a positive integer")));
        }
        set(&mut limits, n as u64);
    }
    Ok(limits)
}

fn json<T: serde::Serialize>(v: &T) -> Result<String, JsValue> {
    serde_json::to_string(v).map_err(|e| JsValue::from_str(&e.to_string()))
}

/// The module's memory, for zero-copy views of the input, frame and output buffers.
#[wasm_bindgen(js_name = wasmMemory)]
pub fn wasm_memory() -> JsValue {
    wasm_bindgen::memory()
}

/// A loaded model with its session.
///
/// Zero-copy use from JavaScript: write the input at `inputPtr()` (`inputLength` elements of
/// the model's type) and call `runInPlace()`, which returns the address of the output
/// (`outputLength` elements); or write RGBA pixels at `frameBuffer(len)` and call
/// `classifyInPlace(width, height)`, which returns the address of `outputLength` float scores.
/// Addresses stay valid until the next call that may allocate (`setResolution`, a larger
/// `frameBuffer`); running allocates nothing.
#[wasm_bindgen]
pub struct Engine {
    session: Session,
    scores: Vec<f32>,
    features: Vec<f32>,
    frame: Vec<u8>,
    /// Bytes of the frame last written (the `len` of the last `frameBuffer(len)`).
    frame_len: usize,
    /// `info()` at the current resolution, made once (planning again is not free).
    info: Option<String>,
    /// The class names embedded in the model's metadata (`embeddedLabels`), read from the bytes
    /// the constructor already has rather than from a second copy of the file.
    labels: Option<String>,
}

#[derive(serde::Serialize)]
struct Info<'a> {
    alpha: f64,
    resolution: usize,
    trained_resolution: usize,
    dtype: &'static str,
    classes: usize,
    input_shape: [usize; 3],
    input_quant: Option<crate::model::graph::Quant>,
    output_quant: Option<crate::model::graph::Quant>,
    operators: Vec<&'static str>,
    kernels: &'static str,
    macs: u64,
    params: u64,
    cost: &'a cost::Cost,
}

#[wasm_bindgen]
impl Engine {
    /// Loads a `.tflite` model and plans it at its own resolution. `limits`: `undefined` for
    /// the defaults, or an object with any of `maxModelBytes`, `maxTensorElements`,
    /// `maxResolution`, `maxMacs`, `maxFramePixels` (positive integers; others are refused).
    /// `gemm`: the uint8 matrix-product kernel, chosen once before the weights are packed:
    /// `"auto"` (or `undefined`: the 8-bit dot product where the host computes it exactly and
    /// it passed its self-test on this model, else `"i16"`), `"dot"` (refused where
    /// unavailable) or `"i16"` (`i32x4.dot_i16x8_s`, no probe).
    ///
    /// `bytes` is the engine's own copy of the file (JavaScript's bytes copied into its memory):
    /// it is freed once the model is imported, before the weights are packed and the buffers
    /// allocated, which then reuse its memory — a float 1.0/224 load peaks ~15 MB lower.
    #[wasm_bindgen(constructor)]
    pub fn new(bytes: Vec<u8>, limits: JsValue, gemm: Option<String>) -> Result<Engine, JsValue> {
        let limits = limits_from_js(&limits).map_err(to_js)?;
        let gemm = match gemm.as_deref() {
            None => Gemm::Auto,
            Some(name) => Gemm::from_name(name).ok_or_else(|| {
                to_js(invalid_input("gemm").found(name).expected("\"auto\", \"dot\" or \"i16\""))
            })?,
        };
        let model = Model::from_tflite_with_limits(&bytes, limits).map_err(to_js)?;
        let labels = embedded_labels(&bytes);
        drop(bytes);
        let resolution = model.trained_resolution();
        let session = Session::with_gemm(model, resolution, gemm).map_err(to_js)?;
        let scores = vec![0.0; session.output_len()];
        let features = vec![0.0; session.embedding_len().unwrap_or(0)];
        Ok(Engine { session, scores, features, frame: Vec::new(), frame_len: 0, info: None, labels })
    }

    /// `"uint8"` or `"float32"`.
    #[wasm_bindgen(getter)]
    pub fn dtype(&self) -> String {
        self.session.model().dtype().name().into()
    }

    /// The model's embedded class names, one per line ([`embedded_labels`]), if it has them.
    #[wasm_bindgen(getter)]
    pub fn labels(&self) -> Option<String> {
        self.labels.clone()
    }

    #[wasm_bindgen(getter)]
    pub fn resolution(&self) -> usize {
        self.session.resolution()
    }

    #[wasm_bindgen(getter, js_name = inputLength)]
    pub fn input_length(&self) -> usize {
        self.session.input_len()
    }

    #[wasm_bindgen(getter, js_name = outputLength)]
    pub fn output_length(&self) -> usize {
        self.session.output_len()
    }

    /// Re-plans for another input size; on error the previous size stays in effect.
    /// Re-sizes the model's per-thread scratch for the threads running now (after
    /// `threadsStarted`, for a model loaded while the pool started).
    #[wasm_bindgen(js_name = fitThreads)]
    pub fn fit_threads(&mut self) {
        self.session.fit_threads();
    }

    #[wasm_bindgen(js_name = setResolution)]
    pub fn set_resolution(&mut self, resolution: usize) -> Result<(), JsValue> {
        self.session.set_resolution(resolution).map_err(to_js)?;
        self.info = None;
        self.scores.resize(self.session.output_len(), 0.0);
        self.features.resize(self.session.embedding_len().unwrap_or(0), 0.0);
        Ok(())
    }

    /// What the threads did so far, as JSON (diagnostics): the fields of
    /// [`crate::kernels::parallel::ExecStats`] in JavaScript's names, NaN estimates as `null`
    /// (`net.threadStats()`).
    #[wasm_bindgen(js_name = threadStats)]
    pub fn thread_stats(&self) -> Result<String, JsValue> {
        json(&self.session.thread_stats())
    }

    /// `0`: use the threads when they are measured to be faster (the default); `1`: always
    /// the calling thread alone; `n > 1`: always `n` threads (at most those there are).
    #[wasm_bindgen(js_name = setThreadMode)]
    pub fn set_thread_mode(&mut self, threads: usize) {
        self.session.set_threads(if threads == 0 { None } else { Some(threads) });
    }

    /// Address of the input buffer, for an input of `len` values of type `dtype` (`"uint8"`,
    /// `"float32"`, or what the caller has, e.g. `"Int8Array"`; `""`: the model's own, as any
    /// other string passed from JavaScript is copied into wasm memory, an allocation on every
    /// inference): refused unless they are the model's type and input length.
    #[wasm_bindgen(js_name = inputPtr)]
    pub fn input_ptr(&mut self, len: usize, dtype: &str) -> Result<usize, JsValue> {
        let want = self.session.model().dtype();
        if !dtype.is_empty() && dtype != want.name() {
            return Err(to_js(invalid_input("input_type").found(dtype).expected(want.name())));
        }
        self.session.check_input(want, len).map_err(to_js)?;
        Ok(match self.session.input_mut::<u8>() {
            Some(b) => b.as_mut_ptr() as usize,
            None => self.session.input_mut::<f32>().map_or(0, |b| b.as_mut_ptr() as usize),
        })
    }

    /// Runs on the input buffer's contents; returns the address of the output.
    #[wasm_bindgen(js_name = runInPlace)]
    pub fn run_in_place(&mut self) -> Result<usize, JsValue> {
        if self.session.model().dtype() == crate::DType::U8 {
            Ok(self.session.run(Input::<u8>::InPlace).map_err(to_js)?.as_ptr() as usize)
        } else {
            Ok(self.session.run(Input::<f32>::InPlace).map_err(to_js)?.as_ptr() as usize)
        }
    }

    /// Address of a buffer of at least `len` bytes for an RGBA frame (grown when needed, so
    /// steady-state frames allocate nothing).
    #[wasm_bindgen(js_name = frameBuffer)]
    pub fn frame_buffer(&mut self, len: usize) -> Result<usize, JsValue> {
        let max = self.session.model().limits().max_frame_pixels.saturating_mul(4);
        if len > max {
            return Err(to_js(limits_exceeded("frame_bytes", len, max)));
        }
        if self.frame.len() < len {
            self.frame.resize(len, 0);
        }
        self.frame_len = len;
        Ok(self.frame.as_mut_ptr() as usize)
    }

    /// Classifies the `width × height` RGBA frame in the frame buffer; returns the address of
    /// the scores (probabilities, `outputLength` floats).
    #[wasm_bindgen(js_name = classifyInPlace)]
    pub fn classify_in_place(&mut self, width: f64, height: f64) -> Result<usize, JsValue> {
        let (w, h) = frame_size(width, height).map_err(to_js)?;
        let frame = &self.frame[..self.frame_len];
        self.session.classify_rgba(frame, w, h, &mut self.scores).map_err(to_js)?;
        Ok(self.scores.as_ptr() as usize)
    }

    /// Length of the feature vector `embedInPlace` produces (0 without an average pool).
    #[wasm_bindgen(getter, js_name = embeddingLength)]
    pub fn embedding_length(&self) -> usize {
        self.features.len()
    }

    /// The feature vector of the frame in the frame buffer (see `classifyInPlace`); returns the
    /// address of `embeddingLength` floats.
    #[wasm_bindgen(js_name = embedInPlace)]
    pub fn embed_in_place(&mut self, width: f64, height: f64) -> Result<usize, JsValue> {
        let (w, h) = frame_size(width, height).map_err(to_js)?;
        self.session.embed_rgba(&self.frame[..self.frame_len], w, h, &mut self.features).map_err(to_js)?;
        Ok(self.features.as_ptr() as usize)
    }

    /// Everything about the model at the current resolution, as JSON (made once per
    /// resolution). `cost.layers[i].layer` is the index of the layer (in `operators`) it counts.
    pub fn info(&mut self) -> Result<String, JsValue> {
        if let Some(info) = &self.info {
            return Ok(info.clone());
        }
        let model = self.session.model();
        let c = self.session.cost();
        let graph = model.graph();
        let info = json(&Info {
            alpha: model.alpha(),
            resolution: self.session.resolution(),
            trained_resolution: model.trained_resolution(),
            dtype: model.dtype().name(),
            classes: model.classes(),
            input_shape: self.session.input_shape(),
            input_quant: graph.input.quant,
            output_quant: graph.layers.last().and_then(|l| l.output.quant),
            operators: graph.layers.iter().map(|l| l.op.name()).collect(),
            kernels: self.session.kernels().name,
            macs: c.macs,
            params: c.params,
            cost: &c,
        })?;
        self.info = Some(info.clone());
        Ok(info)
    }
}

/// A frame's width and height as JavaScript gave them: whole numbers of at least 1.
fn frame_size(width: f64, height: f64) -> Result<(usize, usize), Error> {
    let whole = |v: f64| v >= 1.0 && v <= u32::MAX as f64 && v.fract() == 0.0;
    if !(whole(width) && whole(height)) {
        let found =
            if width.fract() == 0.0 && height.fract() == 0.0 && width.is_finite() && height.is_finite() {
                Value::Dims(vec![width as i64, height as i64])
            } else {
                Value::Text(format!("{}×{}", Real::from(width), Real::from(height)))
            };
        return Err(invalid_input("frame_size")
            .found(found)
            .expected("width and height whole numbers, at least 1"));
    }
    Ok((width as usize, height as usize))
}

#[wasm_bindgen]
extern "C" {
    /// `performance.now()`: milliseconds, sub-millisecond resolution in browsers and Node.
    #[wasm_bindgen(js_namespace = performance, js_name = now)]
    fn performance_now() -> f64;
}

fn now() -> f64 {
    performance_now()
}

#[wasm_bindgen]
impl Engine {
    /// Runs a uint8 model once and returns the milliseconds each layer took.
    #[wasm_bindgen(js_name = profileU8)]
    pub fn profile_u8(&mut self, input: &[u8]) -> Result<Vec<f64>, JsValue> {
        self.session.set_clock(Some(now));
        let r = self.session.run(input).map(|_| ());
        self.session.set_clock(None);
        r.map_err(to_js)?;
        Ok(self.session.layer_times().to_vec())
    }

    /// Runs a float32 model once and returns the milliseconds each layer took.
    #[wasm_bindgen(js_name = profileF32)]
    pub fn profile_f32(&mut self, input: &[f32]) -> Result<Vec<f64>, JsValue> {
        self.session.set_clock(Some(now));
        let r = self.session.run(input).map(|_| ());
        self.session.set_clock(None);
        r.map_err(to_js)?;
        Ok(self.session.layer_times().to_vec())
    }
}

/// Runs every kernel a model of `dtype` (`"uint8"`, `"float32"`; anything else: both) would use
/// on a small synthetic network, so that the JavaScript engine optimises them before a model's
/// first inference (see [`crate::kernels::warmup`]). Touches no model's state; returns a
/// hash of the outputs, of no use but keeping the work from being optimised away.
#[wasm_bindgen(js_name = warmUp)]
pub fn warm_up(dtype: &str) -> u32 {
    let dtype = match dtype {
        "uint8" => Some(crate::DType::U8),
        "float32" => Some(crate::DType::F32),
        _ => None,
    };
    let (a, b) = crate::kernels::warmup::warm_up(crate::kernels::best(), dtype);
    (a ^ b) as u32
}

/// Maps memory ahead of a load: a block of `total` bytes is allocated, one byte per 4 KiB page
/// of its bytes `from..to` written, and the block freed, so that the allocator hands those
/// pages out again to the load that follows (the model's copy, its weights, their packed form,
/// the activations, the kernels' scratch). A fresh page costs its first write an operating-system
/// fault, ~1 µs; a float 1.0/224 load touches ~45 MB. Freed at once, the block is taken again from the same
/// place by the next call, so a caller maps it in slices (a page's thread must stay free to
/// receive the download meanwhile). Returns the bytes of the slice (0 when the memory cannot
/// grow to `total`: the load will report that, if it comes).
#[wasm_bindgen(js_name = prefault)]
pub fn prefault(total: usize, from: usize, to: usize) -> usize {
    const PAGE: usize = 4096;
    let mut block: Vec<u8> = Vec::new();
    if block.try_reserve_exact(total).is_err() {
        return 0;
    }
    let spare = block.spare_capacity_mut();
    let to = to.min(spare.len());
    for i in (from..to).step_by(PAGE) {
        // SAFETY: `i` < `to` ≤ the spare capacity's length: a valid, exclusively borrowed
        // element; the write is volatile so that it is not elided before the block is freed.
        unsafe { core::ptr::write_volatile(spare[i].as_mut_ptr(), 0) };
    }
    let slice = to.saturating_sub(from);
    PREFAULTED.fetch_add(slice, core::sync::atomic::Ordering::Relaxed);
    slice
}

/// The largest model file `limits` (a `load` option, as the engine reads it) let the engine
/// load: a page maps no memory ahead of a file it will refuse.
#[wasm_bindgen(js_name = maxModelBytes)]
pub fn max_model_bytes(limits: JsValue) -> Result<usize, JsValue> {
    Ok(limits_from_js(&limits).map_err(to_js)?.max_model_bytes)
}

/// What [`prefault`] has mapped (`prefaultedBytes`).
static PREFAULTED: core::sync::atomic::AtomicUsize = core::sync::atomic::AtomicUsize::new(0);

/// The cost model of the plain MobileNet v1 architecture, as JSON.
#[wasm_bindgen(js_name = costModel)]
pub fn cost_model(alpha: f64, resolution: usize, classes: usize) -> Result<String, JsValue> {
    json(&cost::mobilenet_v1(alpha, resolution, classes).map_err(to_js)?)
}

/// `model` (a MobileNet `.tflite`) with its classifier replaced by a taught linear head
/// (`classes × features` weights, row-major, and `classes` bias values; `labels` one per line,
/// or empty; `calibration` whole embeddings, or empty), as the bytes of a new `.tflite`. See
/// [`crate::tflite::export`].
#[wasm_bindgen(js_name = exportTflite)]
pub fn export_tflite(
    model: &[u8],
    classes: usize,
    features: usize,
    weights: &[f32],
    bias: &[f32],
    labels: &str,
    calibration: &[f32],
) -> Result<Vec<u8>, JsValue> {
    let labels: Vec<String> =
        if labels.is_empty() { Vec::new() } else { labels.split('\n').map(str::to_string).collect() };
    let head = crate::tflite::export::Head { classes, features, weights, bias, labels: &labels };
    let calibration = (!calibration.is_empty()).then_some(calibration);
    crate::tflite::export::export_tflite(model, &head, calibration).map_err(to_js)
}

/// The labels an exported `.tflite` carries in its metadata, one per line (`undefined` if none).
#[wasm_bindgen(js_name = embeddedLabels)]
pub fn embedded_labels(model: &[u8]) -> Option<String> {
    crate::tflite::export::embedded_labels(model).map(|l| l.join("\n"))
}
