//! The model: a validated graph, its planning and its cost.

pub mod cost;
mod exec;
pub mod graph;
pub(crate) mod plan;
pub mod session;

use crate::error::{Error, Result, limits_exceeded, malformed, unsupported};
pub use exec::Activation;
use graph::{DType, Graph, Op};
pub use plan::{Limits, MIN_RESOLUTION};

/// A validated MobileNet-style model, independent of any input resolution.
#[derive(Debug, Clone)]
pub struct Model {
    pub(crate) graph: Graph,
    pub(crate) limits: Limits,
}

impl Model {
    /// Imports a `.tflite` file with the default [`Limits`].
    ///
    /// # Errors
    /// See [`Model::from_tflite_with_limits`].
    pub fn from_tflite(bytes: &[u8]) -> Result<Model> {
        Model::from_tflite_with_limits(bytes, Limits::default())
    }

    /// Imports a `.tflite` file and checks that it plans at its own input size with the shapes
    /// it declares.
    ///
    /// # Errors
    /// [`Error::LimitsExceeded`] for a file or tensor over `limits`; [`Error::ModelMalformed`]
    /// and [`Error::ModelUnsupported`] as described in [`crate::tflite::import`].
    pub fn from_tflite_with_limits(bytes: &[u8], limits: Limits) -> Result<Model> {
        if bytes.len() > limits.max_model_bytes {
            return Err(limits_exceeded("model_bytes", bytes.len(), limits.max_model_bytes));
        }
        let graph = crate::tflite::import(bytes)?;
        let model = Model { graph, limits };
        let [_, h, w, _] = model.graph.input.shape[..] else {
            return Err(malformed("input_rank").found(model.graph.input.shape.len()).expected(4));
        };
        if h != w {
            return Err(unsupported("input_not_square")
                .found(&model.graph.input.shape)
                .expected("height = width"));
        }
        // At its own size, every computed shape must be the declared one.
        let plan = plan::plan(&model.graph, h, w, &limits).map_err(Error::into_malformed)?;
        for (i, (computed, layer)) in plan.shapes.iter().zip(&model.graph.layers).enumerate() {
            if *computed != layer.output.shape {
                return Err(malformed("declared_shape")
                    .found(&layer.output.shape)
                    .expected(computed)
                    .tensor_named(&layer.output.name)
                    .at_layer(i, layer.op.name()));
            }
        }
        Ok(model)
    }

    /// The graph.
    pub fn graph(&self) -> &Graph {
        &self.graph
    }

    /// Activation type.
    pub fn dtype(&self) -> DType {
        self.graph.dtype
    }

    /// The input size the file declares (the size it was trained for).
    pub fn trained_resolution(&self) -> usize {
        self.graph.input.shape[1]
    }

    /// Number of output classes (the last layer's last dimension).
    pub fn classes(&self) -> usize {
        self.graph.layers.last().and_then(|l| l.output.shape.last().copied()).unwrap_or(0)
    }

    /// Width multiplier α, from the stem's channel count (32·α).
    pub fn alpha(&self) -> f64 {
        match self.graph.layers.first().map(|l| &l.op) {
            Some(Op::Conv2d(c)) => c.out_c as f64 / 32.0,
            _ => 1.0,
        }
    }

    /// The configured limits.
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// The requantization parameters of every convolution and depthwise convolution, in layer
    /// order, as planned at the trained resolution (uint8 models; empty for float ones). For
    /// tests and tools.
    ///
    /// # Errors
    /// As planning.
    #[doc(hidden)]
    pub fn conv_quant_params(&self) -> Result<Vec<(&'static str, crate::kernels::QuantParams)>> {
        let r = self.trained_resolution();
        let plan = plan::plan(&self.graph, r, r, &self.limits)?;
        Ok(plan
            .steps
            .iter()
            .filter_map(|s| match s {
                plan::Step::Conv { quant, depthwise, .. } if self.graph.dtype == DType::U8 => {
                    Some((if *depthwise { "depthwise" } else { "conv" }, *quant))
                }
                _ => None,
            })
            .collect())
    }
}
