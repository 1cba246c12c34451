//! Any bytes: import and plan give a model or a typed error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mobilenet_wasm::{Model, Session};

fuzz_target!(|data: &[u8]| {
    if let Ok(model) = Model::from_tflite(data) {
        let _ = Session::new(model);
    }
});
