//! The one error type of the crate.
//!
//! Variants are classified by whose fault the failure is, so that callers (and the JavaScript
//! bindings, which map each variant to a stable `code`) can react without parsing messages:
//! - [`Error::ModelMalformed`]: the model bytes are not a valid TFLite file, or are inconsistent.
//! - [`Error::ModelUnsupported`]: a valid file that uses something this engine does not implement.
//! - [`Error::InputInvalid`]: the caller passed a tensor, frame or parameter of the wrong
//!   size, type or value.
//! - [`Error::LimitsExceeded`]: a configured size limit would be exceeded.
//! - [`Error::InvalidState`]: the call is not valid in the current state of the object.
//!
//! Every variant carries the same [`Details`]: *what* is wrong (a stable snake_case key such as
//! `"stride"` or `"frame_bytes"`), *where* (layer, operator, tensor, byte offset), the value
//! *found*, the value *expected* and the *limit*. The message is rendered from those fields;
//! nothing adds context by rewriting text.

use std::fmt;

/// Result alias used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Every failure this crate reports.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The model file is not a well-formed TFLite flatbuffer, or its contents contradict each other.
    #[error("malformed model: {0}")]
    ModelMalformed(Box<Details>),
    /// The model is well formed but uses an operator, option or data type this engine does not run.
    #[error("unsupported model: {0}")]
    ModelUnsupported(Box<Details>),
    /// An input tensor, frame or parameter passed by the caller is invalid.
    #[error("invalid input: {0}")]
    InputInvalid(Box<Details>),
    /// A configured limit (model size, tensor size, frame size) would be exceeded.
    #[error("limits exceeded: {0}")]
    LimitsExceeded(Box<Details>),
    /// The operation is not valid in the object's current state.
    #[error("invalid state: {0}")]
    InvalidState(Box<Details>),
}

/// What went wrong and where: the fields every [`Error`] variant carries.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct Details {
    /// What is wrong, as a stable snake_case key (`"stride"`, `"zero_point"`, `"frame_bytes"`…).
    pub what: &'static str,
    /// The layer (= the operator's position in the model's chain of operators).
    pub layer: Option<usize>,
    /// The operator's name (`"CONV_2D"`, `"MAX_POOL_2D"`, a custom operator's name…).
    pub operator: Option<String>,
    /// The index of the tensor in the file.
    pub tensor: Option<usize>,
    /// The tensor's name in the file.
    pub tensor_name: Option<String>,
    /// A byte offset in the model file.
    pub offset: Option<usize>,
    /// The value found.
    pub found: Option<Value>,
    /// What a valid value is.
    pub expected: Option<Value>,
    /// The limit that was exceeded.
    pub limit: Option<u64>,
}

/// A value in [`Details`]: a number, a shape or a name.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// An integer (a count, an index, a size in bytes…).
    Int(i64),
    /// A real number (a scale, a beta…).
    Float(f64),
    /// A list of integers (a shape, a stride pair…).
    Dims(Vec<i64>),
    /// A name or a short description (`"INT8"`, `"version 3"`, `"at least 1"`).
    Text(String),
}

impl Error {
    /// The stable error code the JavaScript API exposes for this variant.
    pub fn code(&self) -> &'static str {
        match self {
            Error::ModelMalformed(_) => "MODEL_MALFORMED",
            Error::ModelUnsupported(_) => "MODEL_UNSUPPORTED",
            Error::InputInvalid(_) => "INPUT_INVALID",
            Error::LimitsExceeded(_) => "LIMITS_EXCEEDED",
            Error::InvalidState(_) => "INVALID_STATE",
        }
    }

    /// The fields of the error.
    pub fn details(&self) -> &Details {
        match self {
            Error::ModelMalformed(d)
            | Error::ModelUnsupported(d)
            | Error::InputInvalid(d)
            | Error::LimitsExceeded(d)
            | Error::InvalidState(d) => d,
        }
    }

    /// What is wrong: shorthand for `details().what`.
    pub fn what(&self) -> &'static str {
        self.details().what
    }

    fn details_mut(&mut self) -> &mut Details {
        match self {
            Error::ModelMalformed(d)
            | Error::ModelUnsupported(d)
            | Error::InputInvalid(d)
            | Error::LimitsExceeded(d)
            | Error::InvalidState(d) => d,
        }
    }

    /// The same details under another fault: the planner's invalid input becomes a malformed
    /// model when the size is the model's own.
    pub(crate) fn into_malformed(self) -> Error {
        match self {
            Error::InputInvalid(d) => Error::ModelMalformed(d),
            other => other,
        }
    }

    // The builders below are out of line and cold: errors are rare, and inlined at each of the
    // ~150 places that make one they would cost the download several kilobytes.

    /// Sets the value found.
    pub(crate) fn found(self, v: impl Into<Value>) -> Error {
        self.with_found(v.into())
    }

    #[cold]
    #[inline(never)]
    fn with_found(mut self, v: Value) -> Error {
        self.details_mut().found = Some(v);
        self
    }

    /// Sets what a valid value is.
    pub(crate) fn expected(self, v: impl Into<Value>) -> Error {
        self.with_expected(v.into())
    }

    #[cold]
    #[inline(never)]
    fn with_expected(mut self, v: Value) -> Error {
        self.details_mut().expected = Some(v);
        self
    }

    /// Sets the limit.
    pub(crate) fn limit(self, limit: impl TryInto<u64>) -> Error {
        self.with_limit(limit.try_into().unwrap_or(u64::MAX))
    }

    #[cold]
    #[inline(never)]
    fn with_limit(mut self, limit: u64) -> Error {
        self.details_mut().limit = Some(limit);
        self
    }

    /// Names the tensor (index and name) unless one is already named.
    #[cold]
    #[inline(never)]
    pub(crate) fn tensor(mut self, index: usize, name: &str) -> Error {
        let d = self.details_mut();
        if d.tensor.is_none() && d.tensor_name.is_none() {
            d.tensor = Some(index);
            d.tensor_name = (!name.is_empty()).then(|| name.to_string());
        }
        self
    }

    /// Names the tensor by name only (for tensors known by name) unless one is already named.
    #[cold]
    #[inline(never)]
    pub(crate) fn tensor_named(mut self, name: &str) -> Error {
        let d = self.details_mut();
        if d.tensor.is_none() && d.tensor_name.is_none() {
            d.tensor_name = Some(name.to_string());
        }
        self
    }

    /// Places the error at a layer and its operator, unless it is already placed.
    pub(crate) fn at_layer(self, layer: usize, operator: impl Into<String>) -> Error {
        self.with_layer(layer, operator.into())
    }

    #[cold]
    #[inline(never)]
    fn with_layer(mut self, layer: usize, operator: String) -> Error {
        let d = self.details_mut();
        if d.layer.is_none() {
            d.layer = Some(layer);
            d.operator = Some(operator);
        }
        self
    }

    /// Places the error at a layer whose operator is not known.
    #[cold]
    #[inline(never)]
    pub(crate) fn layer(mut self, layer: usize) -> Error {
        self.details_mut().layer.get_or_insert(layer);
        self
    }

    /// Names the operator (without a layer).
    #[cold]
    #[inline(never)]
    pub(crate) fn operator(mut self, operator: &str) -> Error {
        self.details_mut().operator = Some(operator.to_string());
        self
    }

    /// Sets the byte offset in the file.
    #[cold]
    #[inline(never)]
    pub(crate) fn offset(mut self, offset: usize) -> Error {
        self.details_mut().offset = Some(offset);
        self
    }
}

impl fmt::Display for Details {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.layer, &self.operator) {
            (Some(l), Some(op)) => write!(f, "layer {l} ({op}): ")?,
            (Some(l), None) => write!(f, "layer {l}: ")?,
            (None, Some(op)) => write!(f, "operator {op}: ")?,
            (None, None) => {}
        }
        match (self.tensor, &self.tensor_name) {
            (Some(t), Some(n)) => write!(f, "tensor {t} ({n:?}): ")?,
            (Some(t), None) => write!(f, "tensor {t}: ")?,
            (None, Some(n)) => write!(f, "tensor {n:?}: ")?,
            (None, None) => {}
        }
        f.write_str(&self.what.replace('_', " "))?;
        if let Some(v) = &self.found {
            write!(f, " {v}")?;
        }
        if let Some(v) = &self.expected {
            write!(f, " (expected {v})")?;
        }
        if let Some(l) = self.limit {
            write!(f, " (the limit is {l})")?;
        }
        if let Some(o) = self.offset {
            write!(f, " at byte {o}")?;
        }
        Ok(())
    }
}

/// A real number in a message: a whole number below 10^16 as an integer, else serde_json's
/// shortest form for its type (`0.1` for an `f32` 0.1; an exponent past 10^16 or below 10^-6),
/// `NaN` and `±Infinity` as JavaScript writes them. Not `{}` of the `f32` or `f64`, which would
/// bring core's float formatting into the .wasm (~20 KB; serde_json's formatter is there for
/// the engine's JSON; tests/node/wasm-ops.test.mjs keeps core's out).
pub(crate) struct Real {
    v: f64,
    single: bool,
}

impl From<f32> for Real {
    fn from(v: f32) -> Real {
        Real { v: v.into(), single: true }
    }
}

impl From<f64> for Real {
    fn from(v: f64) -> Real {
        Real { v, single: false }
    }
}

impl fmt::Display for Real {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let v = self.v;
        if v.is_nan() {
            f.write_str("NaN")
        } else if v.is_infinite() {
            f.write_str(if v > 0.0 { "Infinity" } else { "-Infinity" })
        } else if v.fract() == 0.0 && v.abs() < 1e16 {
            write!(f, "{}", v as i64)
        } else if self.single {
            f.write_str(&serde_json::to_string(&(v as f32)).map_err(|_| fmt::Error)?)
        } else {
            f.write_str(&serde_json::to_string(&v).map_err(|_| fmt::Error)?)
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Int(v) => write!(f, "{v}"),
            Value::Float(v) => write!(f, "{}", Real::from(*v)),
            Value::Dims(v) => write!(f, "{v:?}"),
            Value::Text(v) => f.write_str(v),
        }
    }
}

macro_rules! int_value {
    ($($t:ty),*) => {$(
        impl From<$t> for Value {
            fn from(v: $t) -> Value {
                Value::Int(i64::try_from(v).unwrap_or(i64::MAX))
            }
        }
    )*};
}
int_value!(i8, i32, i64, u8, u32, u64, usize);

impl From<f32> for Value {
    fn from(v: f32) -> Value {
        Value::Float(f64::from(v))
    }
}

impl From<f64> for Value {
    fn from(v: f64) -> Value {
        Value::Float(v)
    }
}

impl From<&str> for Value {
    fn from(v: &str) -> Value {
        Value::Text(v.to_string())
    }
}

impl From<String> for Value {
    fn from(v: String) -> Value {
        Value::Text(v)
    }
}

impl From<&[usize]> for Value {
    fn from(v: &[usize]) -> Value {
        Value::Dims(v.iter().map(|&d| i64::try_from(d).unwrap_or(i64::MAX)).collect())
    }
}

impl From<&Vec<usize>> for Value {
    fn from(v: &Vec<usize>) -> Value {
        Value::from(&v[..])
    }
}

impl<const N: usize> From<[usize; N]> for Value {
    fn from(v: [usize; N]) -> Value {
        Value::from(&v[..])
    }
}

impl<const N: usize> From<[i32; N]> for Value {
    fn from(v: [i32; N]) -> Value {
        Value::Dims(v.iter().map(|&d| i64::from(d)).collect())
    }
}

impl From<&[i64]> for Value {
    fn from(v: &[i64]) -> Value {
        Value::Dims(v.to_vec())
    }
}

#[cold]
#[inline(never)]
fn details(what: &'static str) -> Box<Details> {
    Box::new(Details { what, ..Details::default() })
}

/// A malformed model: `what` is wrong in the file.
#[cold]
#[inline(never)]
pub(crate) fn malformed(what: &'static str) -> Error {
    Error::ModelMalformed(details(what))
}

/// An unsupported model: `what` is valid but not implemented.
#[cold]
#[inline(never)]
pub(crate) fn unsupported(what: &'static str) -> Error {
    Error::ModelUnsupported(details(what))
}

/// An invalid input: `what` the caller passed is wrong.
#[cold]
#[inline(never)]
pub(crate) fn invalid_input(what: &'static str) -> Error {
    Error::InputInvalid(details(what))
}

/// `found` exceeds the `limit` for `what`.
pub(crate) fn limits_exceeded(
    what: &'static str,
    found: impl Into<Value>,
    limit: impl TryInto<u64>,
) -> Error {
    Error::LimitsExceeded(details(what)).found(found).limit(limit)
}

/// The call is not valid in the current state.
#[cold]
#[inline(never)]
pub(crate) fn invalid_state(what: &'static str) -> Error {
    Error::InvalidState(details(what))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_rendered_from_the_fields() {
        let e =
            malformed("stride").found([0, 1]).expected("at least 1").tensor(5, "conv").at_layer(3, "CONV_2D");
        assert_eq!(
            e.to_string(),
            "malformed model: layer 3 (CONV_2D): tensor 5 (\"conv\"): stride [0, 1] (expected at least 1)"
        );
        let e = limits_exceeded("model_bytes", 2000usize, 1000usize);
        assert_eq!(e.to_string(), "limits exceeded: model bytes 2000 (the limit is 1000)");
        assert_eq!(e.details().limit, Some(1000));
        assert_eq!(e.details().found, Some(Value::Int(2000)));
        let e = malformed("flatbuffer").found("range out of bounds").offset(12);
        assert_eq!(e.to_string(), "malformed model: flatbuffer range out of bounds at byte 12");
    }

    #[test]
    fn reals_read_as_numbers() {
        let shown = |v: f64| Real::from(v).to_string();
        assert_eq!(shown(0.5), "0.5");
        assert_eq!(shown(1.0 / 256.0), "0.00390625");
        assert_eq!(shown(f64::from(0.1f32)), "0.10000000149011612");
        assert_eq!(Real::from(0.1f32).to_string(), "0.1");
        assert_eq!(Real::from(0.023528477f32).to_string(), "0.023528477");
        assert_eq!(shown(-3.0), "-3");
        assert_eq!(shown(2f64.powi(53)), "9007199254740992");
        assert_eq!(shown(f64::NAN), "NaN");
        assert_eq!(shown(f64::INFINITY), "Infinity");
        assert_eq!(shown(f64::NEG_INFINITY), "-Infinity");
        let e = malformed("softmax_beta").found(f32::NAN).expected("finite and > 0");
        assert_eq!(e.to_string(), "malformed model: softmax beta NaN (expected finite and > 0)");
        assert_eq!(invalid_input("limit").found(2.5).to_string(), "invalid input: limit 2.5");
    }

    #[test]
    fn context_is_added_once() {
        let e = unsupported("activation")
            .at_layer(2, "DEPTHWISE_CONV_2D")
            .at_layer(9, "X")
            .tensor(1, "")
            .tensor(7, "y");
        let d = e.details();
        assert_eq!(
            (d.layer, d.operator.as_deref(), d.tensor, d.tensor_name.as_deref()),
            (Some(2), Some("DEPTHWISE_CONV_2D"), Some(1), None)
        );
        assert!(matches!(e.into_malformed(), Error::ModelUnsupported(_)));
        assert!(matches!(invalid_input("x").into_malformed(), Error::ModelMalformed(_)));
    }
}
