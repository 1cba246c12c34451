//! The cost model: multiply-adds and parameters per layer and per layer type.
//!
//! Counting rule (the paper's): every conv, depthwise and fully-connected multiply-add once; no
//! bias, pooling or softmax; parameters are weights only (batch norm folded away, no biases).
//! [`mobilenet_v1`] counts the plain architecture of the paper's Table 1 for any α, ρ and class
//! count; [`of_model`] counts a loaded model at any input resolution from its plan.

use super::Model;
use super::graph::Op;
use super::plan::{Plan, Step, plan};
use crate::error::{Result, invalid_input};

/// The four layer types of the paper's Table 2.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LayerType {
    /// A full convolution (the 3×3 stem).
    Conv,
    /// A depthwise 3×3 convolution.
    Depthwise,
    /// A 1×1 convolution.
    Pointwise,
    /// The classifier (a fully-connected layer, a 1×1 convolution over a 1×1 map in TFLite).
    Fc,
}

/// The cost of one layer.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LayerCost {
    /// The layer's index in the model (`None` in [`mobilenet_v1`]'s architecture count).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub layer: Option<usize>,
    pub name: String,
    #[serde(rename = "type")]
    pub kind: LayerType,
    /// Output `[height, width, channels]`.
    pub output: [usize; 3],
    pub macs: u64,
    pub params: u64,
}

/// Multiply-adds and parameters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Totals {
    pub macs: u64,
    pub params: u64,
}

/// Totals per layer type.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct ByType {
    pub conv: Totals,
    pub depthwise: Totals,
    pub pointwise: Totals,
    pub fc: Totals,
}

/// The cost of a whole network.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Cost {
    pub alpha: f64,
    pub resolution: usize,
    pub classes: usize,
    pub macs: u64,
    pub params: u64,
    pub by_type: ByType,
    pub layers: Vec<LayerCost>,
}

impl Cost {
    fn from_layers(alpha: f64, resolution: usize, classes: usize, layers: Vec<LayerCost>) -> Cost {
        let mut by_type = ByType::default();
        for l in &layers {
            let t = match l.kind {
                LayerType::Conv => &mut by_type.conv,
                LayerType::Depthwise => &mut by_type.depthwise,
                LayerType::Pointwise => &mut by_type.pointwise,
                LayerType::Fc => &mut by_type.fc,
            };
            t.macs += l.macs;
            t.params += l.params;
        }
        Cost {
            alpha,
            resolution,
            classes,
            macs: layers.iter().map(|l| l.macs).sum(),
            params: layers.iter().map(|l| l.params).sum(),
            by_type,
            layers,
        }
    }

    /// Totals of one layer type.
    pub fn of_type(&self, kind: LayerType) -> Totals {
        match kind {
            LayerType::Conv => self.by_type.conv,
            LayerType::Depthwise => self.by_type.depthwise,
            LayerType::Pointwise => self.by_type.pointwise,
            LayerType::Fc => self.by_type.fc,
        }
    }
}

/// Multiply-adds of a `k×k` convolution from `cin` to `cout` channels over an `h×w` output.
pub fn conv_macs(h: usize, w: usize, k: usize, cin: usize, cout: usize) -> u64 {
    (h * w * k * k) as u64 * cin as u64 * cout as u64
}

/// Multiply-adds of a `k×k` depthwise convolution over `c` channels and an `h×w` output.
pub fn depthwise_macs(h: usize, w: usize, k: usize, c: usize) -> u64 {
    (h * w * k * k * c) as u64
}

/// Depthwise strides and pointwise output channels (at α = 1) of the 13 separable blocks.
const BLOCKS: [(usize, usize); 13] = [
    (1, 64),
    (2, 128),
    (1, 128),
    (2, 256),
    (1, 256),
    (2, 512),
    (1, 512),
    (1, 512),
    (1, 512),
    (1, 512),
    (1, 512),
    (2, 1024),
    (1, 1024),
];

/// Channels at width multiplier α, as TensorFlow's model builder computes them
/// (`max(int(d·α), 8)`).
pub fn scaled_channels(d: usize, alpha: f64) -> usize {
    ((d as f64 * alpha) as usize).max(8)
}

fn check_args(alpha: f64, resolution: usize, classes: usize) -> Result<()> {
    if !(alpha.is_finite() && alpha > 0.0 && alpha <= 4.0) {
        return Err(invalid_input("width_multiplier").found(alpha).expected("0 < α ≤ 4"));
    }
    if !(1..=8192).contains(&resolution) {
        return Err(invalid_input("resolution").found(resolution).expected("1 to 8192"));
    }
    if !(1..=1_000_000).contains(&classes) {
        return Err(invalid_input("classes").found(classes).expected("1 to 1000000"));
    }
    Ok(())
}

/// The plain MobileNet v1 of the paper's Table 1, at width multiplier `alpha`, a
/// `resolution × resolution` input and `classes` outputs.
///
/// # Errors
/// [`crate::Error::InputInvalid`] for α outside (0, 4], a resolution outside 1..=8192 or a
/// class count outside 1..=1000000.
pub fn mobilenet_v1(alpha: f64, resolution: usize, classes: usize) -> Result<Cost> {
    architecture(alpha, resolution, classes, false)
}

/// The paper's Table 4 baseline: the same network with every depthwise separable block replaced
/// by a full 3×3 convolution.
///
/// # Errors
/// As [`mobilenet_v1`].
pub fn mobilenet_v1_full_conv(alpha: f64, resolution: usize, classes: usize) -> Result<Cost> {
    architecture(alpha, resolution, classes, true)
}

fn architecture(alpha: f64, resolution: usize, classes: usize, full_conv: bool) -> Result<Cost> {
    check_args(alpha, resolution, classes)?;
    let mut layers = Vec::with_capacity(28);
    let mut size = resolution.div_ceil(2);
    let mut c = scaled_channels(32, alpha);
    layers.push(LayerCost {
        layer: None,
        name: "conv_0".into(),
        kind: LayerType::Conv,
        output: [size, size, c],
        macs: conv_macs(size, size, 3, 3, c),
        params: (27 * c) as u64,
    });
    for (i, &(stride, out)) in BLOCKS.iter().enumerate() {
        let n = i + 1;
        let out = scaled_channels(out, alpha);
        size = size.div_ceil(stride);
        if full_conv {
            layers.push(LayerCost {
                layer: None,
                name: format!("conv_{n}"),
                kind: LayerType::Conv,
                output: [size, size, out],
                macs: conv_macs(size, size, 3, c, out),
                params: (9 * c * out) as u64,
            });
        } else {
            layers.push(LayerCost {
                layer: None,
                name: format!("dw_{n}"),
                kind: LayerType::Depthwise,
                output: [size, size, c],
                macs: depthwise_macs(size, size, 3, c),
                params: (9 * c) as u64,
            });
            layers.push(LayerCost {
                layer: None,
                name: format!("pw_{n}"),
                kind: LayerType::Pointwise,
                output: [size, size, out],
                macs: conv_macs(size, size, 1, c, out),
                params: (c * out) as u64,
            });
        }
        c = out;
    }
    layers.push(LayerCost {
        layer: None,
        name: "fc".into(),
        kind: LayerType::Fc,
        output: [1, 1, classes],
        macs: (c * classes) as u64,
        params: (c * classes) as u64,
    });
    Ok(Cost::from_layers(alpha, resolution, classes, layers))
}

/// The cost of a loaded model run at `resolution` (its own layers and channel counts).
///
/// A 1×1 convolution whose output map is 1×1 is the classifier (`fc`); other 1×1 convolutions
/// are pointwise; other convolutions are `conv`.
///
/// # Errors
/// As planning the model at that resolution.
pub fn of_model(model: &Model, resolution: usize) -> Result<Cost> {
    Ok(of_plan(model, &plan(&model.graph, resolution, resolution, &model.limits)?))
}

/// The cost of `model` as planned in `p`.
pub(crate) fn of_plan(model: &Model, p: &Plan) -> Cost {
    let resolution = p.input_shape[0];
    let mut layers = Vec::new();
    let (mut n_conv, mut n_dw, mut n_pw) = (0, 0, 0);
    for (i, (step, layer)) in p.steps.iter().zip(&model.graph.layers).enumerate() {
        let Step::Conv { geom: g, .. } = step else {
            continue;
        };
        let output = [g.out_h, g.out_w, g.out_c];
        let (kind, name, macs, params) = match &layer.op {
            Op::Depthwise(_) => {
                n_dw += 1;
                let m = (g.out_h * g.out_w * g.kh * g.kw) as u64 * g.out_c as u64;
                (LayerType::Depthwise, format!("dw_{n_dw}"), m, (g.kh * g.kw * g.out_c) as u64)
            }
            _ => {
                let macs = (g.out_h * g.out_w * g.kh * g.kw) as u64 * g.in_c as u64 * g.out_c as u64;
                let params = (g.kh * g.kw * g.in_c * g.out_c) as u64;
                if g.kh == 1 && g.kw == 1 && g.out_h == 1 && g.out_w == 1 {
                    (LayerType::Fc, "fc".to_string(), macs, params)
                } else if g.kh == 1 && g.kw == 1 {
                    n_pw += 1;
                    (LayerType::Pointwise, format!("pw_{n_pw}"), macs, params)
                } else {
                    let name = format!("conv_{n_conv}");
                    n_conv += 1;
                    (LayerType::Conv, name, macs, params)
                }
            }
        };
        layers.push(LayerCost { layer: Some(i), name, kind, output, macs, params });
    }
    Cost::from_layers(model.alpha(), resolution, model.classes(), layers)
}
