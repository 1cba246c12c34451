//! Any bytes: import, plan and one inference (with limits that keep a run short) succeed or give
//! a typed error, never a panic or a hang.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mobilenet_wasm::{DType, Limits, Model, Session};

fuzz_target!(|data: &[u8]| {
    let limits = Limits { max_tensor_elements: 1 << 20, max_macs: 50_000_000, ..Limits::default() };
    let Ok(model) = Model::from_tflite_with_limits(data, limits) else { return };
    let Ok(mut session) = Session::new(model) else { return };
    let n = session.input_len();
    match session.model().dtype() {
        DType::U8 => {
            let input: Vec<u8> = (0..n).map(|i| (i * 31 % 256) as u8).collect();
            let _ = session.run(&input);
        }
        DType::F32 => {
            let input: Vec<f32> = (0..n).map(|i| (i % 17) as f32 / 8.0 - 1.0).collect();
            let _ = session.run(&input);
        }
    }
});
