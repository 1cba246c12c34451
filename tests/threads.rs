#![cfg(not(target_arch = "wasm32"))]
//! The threaded executor natively (std threads as helpers, the same code as the wasm build's
//! Web Workers): every model and every reference case gives byte-identical outputs alone and on
//! teams of 2 threads (and of 3, an uneven split, on the cat), uint8 equal to LiteRT's; the
//! outputs stay identical over many runs while a busy thread per core deschedules helpers
//! mid-layer; and the adaptive executor keeps the results exact whichever mode it picks.
//!
//! One test function, so that no other test of this binary competes for the (global) team.

mod common;
use common::*;
use mobilenet_wasm::kernels::parallel::start_threads;
use mobilenet_wasm::{Model, Session};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

enum Input {
    U8(Vec<u8>),
    F32(Vec<f32>),
}

fn run(s: &mut Session, input: &Input) -> Vec<u8> {
    match input {
        Input::U8(x) => s.run(x).unwrap().to_vec(),
        Input::F32(x) => s.run(x).unwrap().iter().flat_map(|v| v.to_le_bytes()).collect(),
    }
}

#[test]
fn teams_give_the_same_bytes_as_one_thread_quiet_and_busy() {
    start_threads(3);
    let manifest = manifest();
    let mut inputs = Vec::new();
    let mut helper_chunks = [0u64; 2];
    for name in MODELS {
        let entry = &manifest["models"][name];
        let bytes = model_bytes(name);
        let mut solo = Session::new(Model::from_tflite(&bytes).unwrap()).unwrap();
        solo.set_threads(Some(1));
        let mut teams: Vec<(usize, Session)> = [2, 3]
            .into_iter()
            .map(|n| {
                let mut s = Session::new(Model::from_tflite(&bytes).unwrap()).unwrap();
                s.set_threads(Some(n));
                (n, s)
            })
            .collect();
        for case in entry["cases"].as_array().unwrap() {
            let raw = read(&reference_dir().join(case["input"].as_str().unwrap()));
            let input = if name.contains("quant") { Input::U8(raw) } else { Input::F32(f32s(&raw)) };
            let want = run(&mut solo, &input);
            if name.contains("quant") {
                let expected = read(&reference_dir().join(case["output"].as_str().unwrap()));
                assert_eq!(want, expected, "{name} {}: one thread vs LiteRT", case["case"]);
            }
            for (n, s) in &mut teams {
                // Three threads (an uneven split) on the cat only, to keep the test short.
                if *n == 2 || case["case"] == "cat" {
                    assert_eq!(run(s, &input), want, "{name} {}: {n} threads vs one", case["case"]);
                }
            }
            inputs.push((name, input, want));
        }
        for (n, s) in &teams {
            let st = s.thread_stats();
            assert_eq!(st.solo_runs, 0, "{name} {n} threads: {st:?}");
            helper_chunks[*n - 2] += st.helper_chunks;
        }
    }
    // (A helper may miss a small model's few runs on a loaded machine, not every model's.)
    assert!(helper_chunks.iter().all(|&c| c > 0), "the helpers took no chunk: {helper_chunks:?}");

    // Busy: one spinning thread per core, so helpers get descheduled mid-layer. Teams (forced,
    // and adaptive) must still give the same bytes on every run.
    let stop = AtomicBool::new(false);
    std::thread::scope(|scope| {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        for _ in 0..cores {
            scope.spawn(|| {
                while !stop.load(Ordering::Relaxed) {
                    std::hint::spin_loop();
                }
            });
        }
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        for (name, input, want) in inputs.iter().filter(|(n, ..)| n.contains("0.25")) {
            for threads in [Some(2), Some(3), None] {
                let mut s = Session::new(Model::from_tflite(&model_bytes(name)).unwrap()).unwrap();
                s.set_threads(threads);
                for r in 0..10 {
                    assert_eq!(&run(&mut s, input), want, "{name} threads {threads:?} busy, run {r}");
                }
            }
            if std::time::Instant::now() > deadline {
                break;
            }
        }
        stop.store(true, Ordering::Relaxed);
    });
}
