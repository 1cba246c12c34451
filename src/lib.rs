//! MobileNet v1 image classification, bit-exact with TensorFlow Lite, for the web.
//!
//! ```no_run
//! use mobilenet_wasm::{Model, Session};
//! let bytes = std::fs::read("mobilenet_v1_1.0_224_quant.tflite")?;
//! let mut session = Session::new(Model::from_tflite(&bytes)?)?;
//! let input = ndarray::Array3::<u8>::zeros((224, 224, 3));
//! let scores: &[u8] = session.run(input.view())?;
//! println!("{} classes", scores.len());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Layout: [`tflite`] turns bytes into a validated [`model::graph::Graph`]; [`model`] plans it
//! for an input size and runs it ([`Session`]); [`kernels`] holds the arithmetic; [`image`]
//! turns RGBA frames into model inputs. The wasm-bindgen facade lives in `bindings` (wasm only).

#![cfg_attr(all(target_arch = "wasm32", feature = "threads"), feature(stdarch_wasm_atomic_wait))]

pub mod error;
pub mod image;
pub mod kernels;
pub mod model;
pub mod teach;
pub mod tflite;

/// The wasm-bindgen facade (what JavaScript sees); public so its tests can drive it.
#[cfg(target_arch = "wasm32")]
pub mod bindings;

/// `initThreadPool(n)` in JavaScript: starts the Web Workers of the threaded build.
#[cfg(all(target_arch = "wasm32", feature = "threads"))]
pub use wasm_bindgen_rayon::init_thread_pool;

pub use error::{Details, Error, Result, Value};
pub use model::graph::DType;
pub use model::session::{Input, Session};
pub use model::{Activation, Limits, Model};
