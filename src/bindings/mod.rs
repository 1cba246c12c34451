//! The wasm-bindgen facade: the only code that sees JavaScript types.
//!
//! Errors become JavaScript `Error`s carrying a stable `code` property (see
//! [`crate::Error::code`]); the package's JavaScript wraps them in `MobileNetError`.

use crate::model::cost;
use crate::{Error, Model, Session};
use wasm_bindgen::prelude::*;

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

/// A loaded model with its session.
#[wasm_bindgen]
pub struct Engine {
    session: Session,
    scores: Vec<f32>,
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
    /// Loads a `.tflite` model and plans it at its own resolution.
    #[wasm_bindgen(constructor)]
    pub fn new(bytes: &[u8]) -> Result<Engine, JsValue> {
        let model = Model::from_tflite(bytes).map_err(to_js)?;
        let session = Session::new(model).map_err(to_js)?;
        let scores = vec![0.0; session.output_len()];
        Ok(Engine { session, scores })
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
        Ok(())
    }

    /// Runs a uint8 model on a raw HWC input.
    #[wasm_bindgen(js_name = inferU8)]
    pub fn infer_u8(&mut self, input: &[u8]) -> Result<Vec<u8>, JsValue> {
        Ok(self.session.run_u8(input).map_err(to_js)?.to_vec())
    }

    /// Runs a float32 model on a raw HWC input.
    #[wasm_bindgen(js_name = inferF32)]
    pub fn infer_f32(&mut self, input: &[f32]) -> Result<Vec<f32>, JsValue> {
        Ok(self.session.run_f32(input).map_err(to_js)?.to_vec())
    }

    /// Preprocesses an RGBA frame (center crop, resize) and returns the class probabilities.
    #[wasm_bindgen(js_name = classifyRgba)]
    pub fn classify_rgba(&mut self, rgba: &[u8], width: usize, height: usize) -> Result<Vec<f32>, JsValue> {
        self.session.classify_rgba(rgba, width, height, &mut self.scores).map_err(to_js)?;
        Ok(self.scores.clone())
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
        let r = self.session.run_u8(input).map(|_| ());
        self.session.set_clock(None);
        r.map_err(to_js)?;
        Ok(self.session.layer_times().to_vec())
    }

    /// Runs a float32 model once and returns the milliseconds each layer took.
    #[wasm_bindgen(js_name = profileF32)]
    pub fn profile_f32(&mut self, input: &[f32]) -> Result<Vec<f64>, JsValue> {
        self.session.set_clock(Some(now));
        let r = self.session.run_f32(input).map(|_| ());
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
