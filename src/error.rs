//! The one error type of the crate.
//!
//! Variants are classified by whose fault the failure is, so that callers (and the JavaScript
//! bindings, which map each variant to a stable `code`) can react without parsing messages:
//! - [`Error::ModelMalformed`]: the model bytes are not a valid TFLite file, or are inconsistent.
//! - [`Error::ModelUnsupported`]: a valid file that uses something this engine does not implement;
//!   the message names the operator, option or feature.
//! - [`Error::InputInvalid`]: the caller passed a tensor, frame or parameter of the wrong
//!   size, type or value.
//! - [`Error::LimitsExceeded`]: a configured size limit would be exceeded.
//! - [`Error::InvalidState`]: the call is not valid in the current state of the object.

/// Result alias used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Every failure this crate reports.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The model file is not a well-formed TFLite flatbuffer, or its contents contradict each other.
    #[error("malformed model: {0}")]
    ModelMalformed(String),
    /// The model is well formed but uses an operator, option or data type this engine does not run.
    #[error("unsupported model: {0}")]
    ModelUnsupported(String),
    /// An input tensor, frame or parameter passed by the caller is invalid.
    #[error("invalid input: {0}")]
    InputInvalid(String),
    /// A configured limit (model size, tensor size, frame size) would be exceeded.
    #[error("limits exceeded: {0}")]
    LimitsExceeded(String),
    /// The operation is not valid in the object's current state.
    #[error("invalid state: {0}")]
    InvalidState(String),
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
}

/// Shorthand constructors, so call sites read as sentences.
pub(crate) fn malformed(msg: impl Into<String>) -> Error {
    Error::ModelMalformed(msg.into())
}

pub(crate) fn unsupported(msg: impl Into<String>) -> Error {
    Error::ModelUnsupported(msg.into())
}

pub(crate) fn invalid_input(msg: impl Into<String>) -> Error {
    Error::InputInvalid(msg.into())
}
