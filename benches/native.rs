//! Native benchmark of the portable (`scalar`) and reference kernel sets: one inference of the
//! uint8 and float 1.0/224 and 0.25/128 models, median of several runs, one thread. Not a test:
//! `cargo bench --bench native` prints the numbers (the shipped builds run the SIMD128 kernels;
//! bench/node.mjs measures those). Models from $MOBILENET_MODELS or ../shared/models.

use mobilenet_wasm::kernels::{KernelSet, reference, scalar};
use mobilenet_wasm::{DType, Model, Session};
use std::time::Instant;

fn main() {
    let dir = std::env::var_os("MOBILENET_MODELS")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/models"));
    let runs: usize = std::env::var("RUNS").ok().and_then(|r| r.parse().ok()).unwrap_or(7);
    println!("| model | kernels | median ms ({runs} runs) |\n|---|---|---|");
    for name in [
        "mobilenet_v1_1.0_224_quant",
        "mobilenet_v1_1.0_224_float",
        "mobilenet_v1_0.25_128_quant",
        "mobilenet_v1_0.25_128_float",
    ] {
        let path = dir.join(format!("{name}.tflite"));
        let bytes =
            std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e} (set MOBILENET_MODELS)", path.display()));
        let sets: &[&'static KernelSet] = if name.contains("0.25") {
            &[&scalar::KERNELS, &reference::KERNELS]
        } else {
            &[&scalar::KERNELS]
        };
        for &k in sets {
            let mut s = Session::new(Model::from_tflite(&bytes).unwrap()).unwrap();
            s.set_kernels(k);
            s.set_threads(Some(1));
            let mut times = Vec::with_capacity(runs);
            for i in 0..runs + 1 {
                let t = Instant::now();
                match s.model().dtype() {
                    DType::U8 => {
                        let input = vec![(i * 37 % 256) as u8; s.input_len()];
                        std::hint::black_box(s.run(&input).unwrap());
                    }
                    DType::F32 => {
                        let input = vec![(i as f32 * 0.01) - 0.5; s.input_len()];
                        std::hint::black_box(s.run(&input).unwrap());
                    }
                }
                if i > 0 {
                    times.push(t.elapsed().as_secs_f64() * 1e3);
                }
            }
            times.sort_by(f64::total_cmp);
            println!("| {name} | {} | {:.1} |", k.name, times[times.len() / 2]);
        }
    }
}
