//! The typed, validated model graph the importer produces.
//!
//! A [`Graph`] is a chain of [`Layer`]s: each layer reads the previous layer's output (the first
//! reads the graph input) and the last layer's output is the graph output. Every constant has
//! been checked against its declared shape; channel counts come from the file.

/// Element type of a model's activations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DType {
    /// Asymmetric per-tensor quantized uint8.
    U8,
    /// 32-bit float.
    F32,
}

impl DType {
    /// `"uint8"` or `"float32"`.
    pub fn name(self) -> &'static str {
        match self {
            DType::U8 => "uint8",
            DType::F32 => "float32",
        }
    }
}

/// Per-tensor asymmetric quantization: `real = scale · (q − zero_point)`.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Quant {
    pub scale: f32,
    pub zero_point: i32,
}

/// Padding scheme of a windowed operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Padding {
    Same,
    Valid,
}

/// Fused activation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activation {
    None,
    Relu,
    Relu6,
}

/// Constant filter data, in the file's layout.
#[derive(Clone, PartialEq)]
pub enum Filter {
    U8 { data: Vec<u8>, quant: Quant },
    F32(Vec<f32>),
}

impl Filter {
    pub fn len(&self) -> usize {
        match self {
            Filter::U8 { data, .. } => data.len(),
            Filter::F32(d) => d.len(),
        }
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl std::fmt::Debug for Filter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Filter::U8 { data, quant } => write!(f, "Filter::U8({} values, {quant:?})", data.len()),
            Filter::F32(d) => write!(f, "Filter::F32({} values)", d.len()),
        }
    }
}

/// Constant bias data: int32 (scale `s_in·s_w`, zero point 0) for uint8 models.
#[derive(Clone, PartialEq)]
pub enum Bias {
    I32(Vec<i32>),
    F32(Vec<f32>),
}

impl std::fmt::Debug for Bias {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Bias::I32(d) => write!(f, "Bias::I32({} values)", d.len()),
            Bias::F32(d) => write!(f, "Bias::F32({} values)", d.len()),
        }
    }
}

/// A window: kernel size, strides and padding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub kh: usize,
    pub kw: usize,
    pub stride_h: usize,
    pub stride_w: usize,
    pub padding: Padding,
}

/// CONV_2D: filter `[out_c][kh][kw][in_c]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Conv {
    pub out_c: usize,
    pub in_c: usize,
    pub window: Window,
    pub activation: Activation,
    pub filter: Filter,
    pub bias: Bias,
}

/// DEPTHWISE_CONV_2D with depth multiplier 1: filter `[kh][kw][channels]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Depthwise {
    pub channels: usize,
    pub window: Window,
    pub activation: Activation,
    pub filter: Filter,
    pub bias: Bias,
}

/// AVERAGE_POOL_2D.
#[derive(Debug, Clone, PartialEq)]
pub struct Pool {
    pub window: Window,
    pub activation: Activation,
    /// The window covers the whole input feature map (VALID padding) in the file: the pool is
    /// global, and stays global when the model runs at another resolution.
    pub global: bool,
}

/// One operator of the chain.
#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    Conv2d(Conv),
    Depthwise(Depthwise),
    AvgPool(Pool),
    /// RESHAPE to this shape (one entry may be −1: inferred).
    Reshape(Vec<i64>),
    /// SOFTMAX with this beta.
    Softmax(f32),
}

impl Op {
    /// The TFLite operator name.
    pub fn name(&self) -> &'static str {
        match self {
            Op::Conv2d(_) => "CONV_2D",
            Op::Depthwise(_) => "DEPTHWISE_CONV_2D",
            Op::AvgPool(_) => "AVERAGE_POOL_2D",
            Op::Reshape(_) => "RESHAPE",
            Op::Softmax(_) => "SOFTMAX",
        }
    }
}

/// A tensor as the file declares it.
#[derive(Debug, Clone, PartialEq)]
pub struct TensorInfo {
    pub name: String,
    /// Declared shape, batch included.
    pub shape: Vec<usize>,
    /// Present for uint8 tensors.
    pub quant: Option<Quant>,
}

/// An operator and the tensor it produces.
#[derive(Debug, Clone, PartialEq)]
pub struct Layer {
    pub op: Op,
    pub output: TensorInfo,
}

/// A validated model.
#[derive(Debug, Clone, PartialEq)]
pub struct Graph {
    pub dtype: DType,
    /// The graph input: `[1, h, w, c]`.
    pub input: TensorInfo,
    pub layers: Vec<Layer>,
}
