//! One-byte mutation sweep: every mutated model either loads and plans (`Ok`) or gives a typed
//! error — never a panic. CI runs a sample (`sampled_sweep`); `./build.sh mutate` runs every
//! non-weight byte of every model with every value (`full_sweep`, ignored by default).
#![cfg(not(target_arch = "wasm32"))]

mod common;
use common::*;
use mobilenet_wasm::tflite::weight_ranges;
use mobilenet_wasm::{Error, Model, Session};
use std::panic::{AssertUnwindSafe, catch_unwind};

/// Values written over a byte: zero, all ones, a flipped low and high bit, and one more.
fn mutations(b: u8) -> [u8; 5] {
    [0x00, 0xff, b ^ 0x01, b ^ 0x80, b.wrapping_add(1)]
}

#[derive(Default, Debug)]
struct Tally {
    loads: usize,
    ok: usize,
    malformed: usize,
    unsupported: usize,
    other: usize,
    panics: Vec<String>,
}

fn try_one(bytes: &[u8], what: &str, tally: &mut Tally) {
    tally.loads += 1;
    let r = catch_unwind(AssertUnwindSafe(|| Model::from_tflite(bytes).and_then(Session::new).map(|_| ())));
    match r {
        Ok(Ok(())) => tally.ok += 1,
        Ok(Err(Error::ModelMalformed(_))) => tally.malformed += 1,
        Ok(Err(Error::ModelUnsupported(_))) => tally.unsupported += 1,
        Ok(Err(_)) => tally.other += 1,
        Err(_) => tally.panics.push(what.to_string()),
    }
}

/// Mutates every `step`-th non-weight byte with every value, and `weight_samples` weight bytes.
fn sweep(name: &str, step: usize, weight_samples: usize) -> Tally {
    let original = model_bytes(name);
    let weights = weight_ranges(&original);
    assert!(!weights.is_empty(), "{name}: the weight buffers were found");
    let is_weight = |i: usize| weights.iter().any(|r| r.contains(&i));
    let mut tally = Tally::default();
    let mut bytes = original.clone();
    let structure: Vec<usize> = (0..original.len()).filter(|&i| !is_weight(i)).collect();
    for &i in structure.iter().step_by(step) {
        for v in mutations(original[i]) {
            if v == original[i] {
                continue;
            }
            bytes[i] = v;
            try_one(&bytes, &format!("{name} byte {i} = {v:#04x}"), &mut tally);
        }
        bytes[i] = original[i];
    }
    // Weight bytes: spread over the weight ranges.
    let total: usize = weights.iter().map(|r| r.len()).sum();
    for k in 0..weight_samples {
        let mut n = k * total / weight_samples.max(1);
        let i = weights
            .iter()
            .find_map(|r| {
                if n < r.len() {
                    Some(r.start + n)
                } else {
                    n -= r.len();
                    None
                }
            })
            .unwrap();
        bytes[i] = original[i] ^ 0xff;
        try_one(&bytes, &format!("{name} weight byte {i}"), &mut tally);
        bytes[i] = original[i];
    }
    println!("{name}: {} structure bytes, every {step}th mutated; {tally:?}", structure.len());
    tally
}

#[test]
fn sampled_sweep() {
    for name in ["mobilenet_v1_0.25_128_quant", "mobilenet_v1_0.25_128_float"] {
        let t = sweep(name, 23, 100);
        assert!(
            t.panics.is_empty(),
            "{} panics, e.g. {:?}",
            t.panics.len(),
            &t.panics[..t.panics.len().min(5)]
        );
        assert!(t.malformed + t.unsupported > 0 && t.ok > 0, "the sweep exercised both outcomes: {t:?}");
    }
}

#[test]
#[ignore = "the full sweep takes long: ./build.sh mutate"]
fn full_sweep() {
    let mut panics = Vec::new();
    for name in MODELS {
        panics.extend(sweep(name, 1, 1000).panics);
    }
    assert!(panics.is_empty(), "{} panics, e.g. {:?}", panics.len(), &panics[..panics.len().min(10)]);
}
