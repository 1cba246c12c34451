//! The wasm-bindgen facade: the only code that sees JavaScript types.
//!
//! Errors become JavaScript `Error`s carrying a stable `code` property (see
//! [`crate::Error::code`]); the package's JavaScript wraps them in `MobileNetError`.

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

/// Threads the kernels will use (1 in builds without threads).
#[wasm_bindgen(js_name = threadCount)]
pub fn thread_count() -> usize {
    crate::kernels::parallel::threads()
}

fn to_js(e: Error) -> JsValue {
    let err = js_sys::Error::new(&e.to_string());
    // Setting a property on a fresh Error object cannot fail.
    let _ = js_sys::Reflect::set(&err, &"code".into(), &e.code().into());
    err.into()
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
    /// Loads a `.tflite` model with the default limits and plans it at its own resolution.
    #[wasm_bindgen(constructor)]
    pub fn new(bytes: &[u8]) -> Result<Engine, JsValue> {
        Engine::with_limits(bytes, 0.0, 0.0, 0.0, 0.0, 0.0)
    }

    /// Loads a model with limits (each 0 or less keeps its default): model bytes, tensor
    /// elements, resolution, multiply-adds per inference, frame pixels.
    #[wasm_bindgen(js_name = withLimits)]
    pub fn with_limits(
        bytes: &[u8],
        max_model_bytes: f64,
        max_tensor_elements: f64,
        max_resolution: f64,
        max_macs: f64,
        max_frame_pixels: f64,
    ) -> Result<Engine, JsValue> {
        let d = Limits::default();
        let pick = |v: f64, default: usize| if v > 0.0 { v.min(usize::MAX as f64) as usize } else { default };
        let limits = Limits {
            max_model_bytes: pick(max_model_bytes, d.max_model_bytes),
            max_tensor_elements: pick(max_tensor_elements, d.max_tensor_elements),
            max_resolution: pick(max_resolution, d.max_resolution),
            max_macs: if max_macs > 0.0 { max_macs as u64 } else { d.max_macs },
            max_frame_pixels: pick(max_frame_pixels, d.max_frame_pixels),
        };
        let model = Model::from_tflite_with_limits(bytes, limits).map_err(to_js)?;
        let session = Session::new(model).map_err(to_js)?;
        let scores = vec![0.0; session.output_len()];
        let features = vec![0.0; session.embedding_len().unwrap_or(0)];
        Ok(Engine { session, scores, features, frame: Vec::new() })
    }

    /// `"uint8"` or `"float32"`.
    #[wasm_bindgen(getter)]
    pub fn dtype(&self) -> String {
        self.session.model().dtype().name().into()
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
    #[wasm_bindgen(js_name = setResolution)]
    pub fn set_resolution(&mut self, resolution: usize) -> Result<(), JsValue> {
        self.session.set_resolution(resolution).map_err(to_js)?;
        self.scores.resize(self.session.output_len(), 0.0);
        self.features.resize(self.session.embedding_len().unwrap_or(0), 0.0);
        Ok(())
    }

    /// What the threads did so far, as JSON (diagnostics): `team_runs`, `solo_runs` (on the
    /// calling thread alone), `probes`, `stall_ms` (waiting for helpers), `helper_chunks`,
    /// `caller_chunks`, and the running estimates `team_ms` / `solo_ms` (`null` until measured).
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

    /// Address of the input buffer.
    #[wasm_bindgen(js_name = inputPtr)]
    pub fn input_ptr(&mut self) -> usize {
        match self.session.input_mut::<u8>() {
            Some(b) => b.as_mut_ptr() as usize,
            None => self.session.input_mut::<f32>().map_or(0, |b| b.as_mut_ptr() as usize),
        }
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
            return Err(to_js(Error::LimitsExceeded(format!("a frame of {len} bytes (the limit is {max})"))));
        }
        if self.frame.len() < len {
            self.frame.resize(len, 0);
        }
        Ok(self.frame.as_mut_ptr() as usize)
    }

    /// Classifies the `width × height` RGBA frame in the frame buffer; returns the address of
    /// the scores (probabilities, `outputLength` floats).
    #[wasm_bindgen(js_name = classifyInPlace)]
    pub fn classify_in_place(&mut self, width: usize, height: usize) -> Result<usize, JsValue> {
        let len = self.frame_len(width, height)?;
        self.session.classify_rgba(&self.frame[..len], width, height, &mut self.scores).map_err(to_js)?;
        Ok(self.scores.as_ptr() as usize)
    }

    fn frame_len(&self, width: usize, height: usize) -> Result<usize, JsValue> {
        let len = width.checked_mul(height).and_then(|n| n.checked_mul(4)).unwrap_or(usize::MAX);
        if len > self.frame.len() {
            return Err(to_js(Error::InputInvalid(format!(
                "a {width}×{height} frame needs {len} bytes, the frame buffer holds {}",
                self.frame.len()
            ))));
        }
        Ok(len)
    }

    /// Length of the feature vector `embedInPlace` produces (0 without an average pool).
    #[wasm_bindgen(getter, js_name = embeddingLength)]
    pub fn embedding_length(&self) -> usize {
        self.features.len()
    }

    /// The feature vector of the frame in the frame buffer (see `classifyInPlace`); returns the
    /// address of `embeddingLength` floats.
    #[wasm_bindgen(js_name = embedInPlace)]
    pub fn embed_in_place(&mut self, width: usize, height: usize) -> Result<usize, JsValue> {
        let len = self.frame_len(width, height)?;
        self.session.embed_rgba(&self.frame[..len], width, height, &mut self.features).map_err(to_js)?;
        Ok(self.features.as_ptr() as usize)
    }

    /// Everything about the model at the current resolution, as JSON.
    pub fn info(&self) -> Result<String, JsValue> {
        let model = self.session.model();
        let c = cost::of_model(model, self.session.resolution()).map_err(to_js)?;
        let graph = model.graph();
        json(&Info {
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
        })
    }
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
