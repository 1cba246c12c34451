//! What this CPU sustains, natively, for the instructions of the GEMM tiles V8 compiles our
//! convolutions into: the denominator of a GEMM layer's share of peak (README, "Where it stands"
//! of 2026-12-07 08:00), measured rather than taken from a datasheet. Not a test: `cargo bench
//! --bench peak` prints the numbers.
//!
//! The two 4×8 loops are the inner loop of a 4-pixel × 8-channel tile with the instructions V8's
//! optimising compiler emits per step of k on x86-64 (read from `node --print-wasm-code`; V8 also
//! unrolls it, which this does not): two vector loads of weights, four 32-bit broadcasts of the
//! pixels' values, then eight multiply-adds into eight accumulators — uint8: `vpmaddwd` +
//! `vpaddd` (`i32x4.dot_i16x8_s` and `i32x4.add`; a step is a pair of k); float: `vfmadd231ps`
//! (`f32x4.relaxed_madd`). Data stays in L1: a peak, not a memory bound. Also the uint8 mix in
//! other tile shapes (6×8: six broadcasts and twelve multiply-adds a step; 2×16: four loads and
//! two broadcasts), its multiply-adds and adds without the loads, and each multiply-add alone.
//! Every loop first zeroes its accumulators and loads its operand registers; the data are the
//! bits of 1.0f32 (normal floats, no denormal products). Cycles come from a chain of dependent
//! integer adds (one a cycle) timed before and after each measurement: good to about ±1% (`vpmaddwd
//! alone`, 2 a cycle by the datasheet, reads 3.97–4.02 cycles for 8), the call's own overhead
//! included. Every loop starts on a 64-byte boundary (as V8 places its loop headers): left where
//! the linker put them, the same loops' rates moved by up to 10% from one build to the next.
//!
//! `THREADS=2 cargo bench --bench peak` runs every loop on two threads at once, each on its own
//! data: whether the cores sustain it together (on this 2-vCPU VM they do: no shared core, no
//! clock drop). x86-64 with AVX2 and FMA only; elsewhere it says so and exits.

#[cfg(target_arch = "x86_64")]
mod x86 {
    use core::arch::asm;
    use std::time::Instant;

    /// Steps of k per call: uint8, the 512 inputs of a 1.0/224 pointwise layer (a pair a step).
    const STEPS: usize = 256;
    /// Bytes of weights and pixels the loops read (one call's worth, in L1): the most any shape
    /// reads, 4 blocks of 16 weight bytes (2×16) and 6 pixels of 4 bytes (6×8) a step.
    const WEIGHT_BYTES: usize = STEPS * 16 * 4;
    const PIXEL_BYTES: usize = STEPS * 4 * 6;

    /// Dependent adds per clock measurement (one a cycle: ~5 ms).
    const CHAIN: u64 = 16_000_000;
    // The chain counts down by 4 to exactly zero.
    const _: () = assert!(CHAIN % 4 == 0);

    /// Seconds for [`CHAIN`] dependent integer adds, i.e. CHAIN cycles.
    fn chain() -> f64 {
        let start = Instant::now();
        let mut x = 0u64;
        // SAFETY: registers only.
        unsafe {
            asm!("2:", "add {x}, 1", "add {x}, 1", "add {x}, 1", "add {x}, 1", "sub {n}, 4", "jnz 2b",
                x = inout(reg) x, n = inout(reg) CHAIN => _, options(nostack, nomem));
        }
        std::hint::black_box(x);
        start.elapsed().as_secs_f64()
    }

    /// `f` timed over `reps` calls, 9 times, each beside a clock measurement (the core's clock
    /// moves with its turbo): the medians of seconds per call and of cycles per call.
    fn measure(reps: usize, mut f: impl FnMut()) -> (f64, f64) {
        let (mut secs, mut cycles): (Vec<f64>, Vec<f64>) = (0..9)
            .map(|_| {
                let before = chain();
                let start = Instant::now();
                for _ in 0..reps {
                    f();
                }
                let s = start.elapsed().as_secs_f64() / reps as f64;
                let hz = 2.0 * CHAIN as f64 / (before + chain());
                (s, s * hz)
            })
            .unzip();
        let median = |v: &mut Vec<f64>| {
            v.sort_by(f64::total_cmp);
            v[v.len() / 2]
        };
        (median(&mut secs), median(&mut cycles))
    }

    /// A tile's inner loop, `pixels` broadcasts × `blocks` weight vectors per step
    /// (accumulators: pixels · blocks ≤ 12), the step's instructions given as template strings
    /// (literals, or the `pixel!` and `madd_add!` below). One function per shape.
    macro_rules! tile {
        ($name:ident, $pixels:literal, $blocks:literal, [$($body:expr),* $(,)?]) => {
            fn $name(w: &[u8], x: &[u8]) {
                assert!(w.len() >= STEPS * 16 * $blocks && x.len() >= STEPS * 4 * $pixels);
                // SAFETY: reads STEPS steps of 16·blocks weight bytes and 4·pixels pixel bytes,
                // inside the slices (asserted); writes registers only.
                unsafe {
                    asm!(
                        "vpxor xmm0, xmm0, xmm0", "vpxor xmm1, xmm1, xmm1", "vpxor xmm2, xmm2, xmm2",
                        "vpxor xmm3, xmm3, xmm3", "vpxor xmm4, xmm4, xmm4", "vpxor xmm5, xmm5, xmm5",
                        "vpxor xmm6, xmm6, xmm6", "vpxor xmm7, xmm7, xmm7", "vpxor xmm8, xmm8, xmm8",
                        "vpxor xmm9, xmm9, xmm9", "vpxor xmm10, xmm10, xmm10", "vpxor xmm11, xmm11, xmm11",
                        "vmovdqu xmm12, [{w}]", "vmovdqu xmm13, [{w} + 16]", "vbroadcastss xmm14, [{x}]",
                        "xor {i:e}, {i:e}", "xor {j:e}, {j:e}", ".p2align 6", "2:",
                        $($body,)*
                        concat!("add {i}, ", stringify!($blocks), "*16"),
                        concat!("add {j}, ", stringify!($pixels), "*4"),
                        "cmp {i}, {end}", "jne 2b",
                        w = in(reg) w.as_ptr(), x = in(reg) x.as_ptr(), end = in(reg) STEPS * 16 * $blocks,
                        i = out(reg) _, j = out(reg) _,
                        out("xmm0") _, out("xmm1") _, out("xmm2") _, out("xmm3") _, out("xmm4") _,
                        out("xmm5") _, out("xmm6") _, out("xmm7") _, out("xmm8") _, out("xmm9") _,
                        out("xmm10") _, out("xmm11") _, out("xmm12") _, out("xmm13") _, out("xmm14") _,
                        out("xmm15") _,
                        options(nostack, readonly),
                    );
                }
            }
        };
    }

    /// `vpmaddwd` of the broadcast pixel (xmm14) with weight vector xmm`w`, added into
    /// accumulator xmm`acc` (xmm15: the product).
    macro_rules! madd_add {
        ($w:literal, $acc:literal) => {
            concat!("vpmaddwd xmm15, xmm14, xmm", $w, "\nvpaddd xmm", $acc, ", xmm", $acc, ", xmm15")
        };
    }

    /// One pixel of a uint8 tile's step: its pair of k broadcast from byte `off` of the step's
    /// pixels, then [`madd_add`] with each (weight vector, accumulator).
    macro_rules! pixel {
        ($off:literal; $(($w:literal, $acc:literal)),+) => {
            concat!("vbroadcastss xmm14, [{x} + {j} + ", $off, "]" $(, "\n", madd_add!($w, $acc))+)
        };
    }

    // 4 pixels × 8 channels: weights in xmm12–13, broadcasts in xmm14, accumulators xmm0–7.
    tile!(
        i16_4x8,
        4,
        2,
        [
            "vmovdqu xmm12, [{w} + {i}]",
            "vmovdqu xmm13, [{w} + {i} + 16]",
            pixel!(0; (12, 0), (13, 1)),
            pixel!(4; (12, 2), (13, 3)),
            pixel!(8; (12, 4), (13, 5)),
            pixel!(12; (12, 6), (13, 7)),
        ]
    );

    // 6 pixels × 8 channels: 12 accumulators xmm0–11.
    tile!(
        i16_6x8,
        6,
        2,
        [
            "vmovdqu xmm12, [{w} + {i}]",
            "vmovdqu xmm13, [{w} + {i} + 16]",
            pixel!(0; (12, 0), (13, 1)),
            pixel!(4; (12, 2), (13, 3)),
            pixel!(8; (12, 4), (13, 5)),
            pixel!(12; (12, 6), (13, 7)),
            pixel!(16; (12, 8), (13, 9)),
            pixel!(20; (12, 10), (13, 11)),
        ]
    );

    // 2 pixels × 16 channels: weights in xmm8–11, 8 accumulators xmm0–7.
    tile!(
        i16_2x16,
        2,
        4,
        [
            "vmovdqu xmm8, [{w} + {i}]",
            "vmovdqu xmm9, [{w} + {i} + 16]",
            "vmovdqu xmm10, [{w} + {i} + 32]",
            "vmovdqu xmm11, [{w} + {i} + 48]",
            pixel!(0; (8, 0), (9, 1), (10, 2), (11, 3)),
            pixel!(4; (8, 4), (9, 5), (10, 6), (11, 7)),
        ]
    );

    // The float tile: 4 pixels × 8 channels, `vfmadd231ps` into accumulators xmm0–7.
    tile!(
        f32_4x8,
        4,
        2,
        [
            "vmovups xmm12, [{w} + {i}]",
            "vmovups xmm13, [{w} + {i} + 16]",
            "vbroadcastss xmm14, [{x} + {j}]",
            "vfmadd231ps xmm0, xmm14, xmm12",
            "vfmadd231ps xmm1, xmm14, xmm13",
            "vbroadcastss xmm14, [{x} + {j} + 4]",
            "vfmadd231ps xmm2, xmm14, xmm12",
            "vfmadd231ps xmm3, xmm14, xmm13",
            "vbroadcastss xmm14, [{x} + {j} + 8]",
            "vfmadd231ps xmm4, xmm14, xmm12",
            "vfmadd231ps xmm5, xmm14, xmm13",
            "vbroadcastss xmm14, [{x} + {j} + 12]",
            "vfmadd231ps xmm6, xmm14, xmm12",
            "vfmadd231ps xmm7, xmm14, xmm13",
        ]
    );

    // The multiply-adds alone, eight independent ones per step (no loads): each instruction's own
    // throughput.
    tile!(
        pmaddwd_alone,
        4,
        2,
        [
            "vpmaddwd xmm0, xmm14, xmm12",
            "vpmaddwd xmm1, xmm14, xmm13",
            "vpmaddwd xmm2, xmm14, xmm12",
            "vpmaddwd xmm3, xmm14, xmm13",
            "vpmaddwd xmm4, xmm14, xmm12",
            "vpmaddwd xmm5, xmm14, xmm13",
            "vpmaddwd xmm6, xmm14, xmm12",
            "vpmaddwd xmm7, xmm14, xmm13",
        ]
    );
    // The uint8 tile's multiply-adds and adds without its loads: what the core sustains for the
    // mix itself.
    tile!(
        madd_add_alone,
        4,
        2,
        [
            madd_add!(12, 0),
            madd_add!(13, 1),
            madd_add!(12, 2),
            madd_add!(13, 3),
            madd_add!(12, 4),
            madd_add!(13, 5),
            madd_add!(12, 6),
            madd_add!(13, 7),
        ]
    );
    tile!(
        fma_alone,
        4,
        2,
        [
            "vfmadd231ps xmm0, xmm14, xmm12",
            "vfmadd231ps xmm1, xmm14, xmm13",
            "vfmadd231ps xmm2, xmm14, xmm12",
            "vfmadd231ps xmm3, xmm14, xmm13",
            "vfmadd231ps xmm4, xmm14, xmm12",
            "vfmadd231ps xmm5, xmm14, xmm13",
            "vfmadd231ps xmm6, xmm14, xmm12",
            "vfmadd231ps xmm7, xmm14, xmm13",
        ]
    );

    pub fn main() {
        if !(is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma")) {
            println!("peak: this x86-64 CPU has no AVX2 and FMA; nothing measured");
            return;
        }
        // THREADS=N: every loop on N threads at once, each on its own data (what the cores
        // sustain together: a shared core, or a clock that drops with both busy, shows here).
        let threads: usize = std::env::var("THREADS").ok().and_then(|t| t.parse().ok()).unwrap_or(1).max(1);
        let one = |bytes: usize| 1.0f32.to_ne_bytes().repeat(bytes / 4);
        if threads > 1 {
            println!(
                "{threads} threads at once, each on its own data: cycles and MACs per cycle of the slowest, GMAC/s summed\n"
            );
        }
        println!("| loop | MACs per step | cycles per step | MACs per cycle | GMAC/s |");
        println!("|---|---|---|---|---|");
        type Loop = fn(&[u8], &[u8]);
        let rows: [(&str, Loop, usize); 7] = [
            ("uint8 tile 4×8 (vpmaddwd + vpaddd), as V8 compiles ours", i16_4x8, 64),
            ("uint8 tile 6×8", i16_6x8, 96),
            ("uint8 tile 2×16", i16_2x16, 64),
            ("its vpmaddwd + vpaddd without the loads", madd_add_alone, 64),
            ("vpmaddwd alone", pmaddwd_alone, 64),
            ("float tile 4×8 (vfmadd231ps), as V8 compiles ours", f32_4x8, 32),
            ("vfmadd231ps alone", fma_alone, 32),
        ];
        for (name, f, macs) in rows {
            let each: Vec<(f64, f64)> = std::thread::scope(|scope| {
                let runs: Vec<_> = (0..threads)
                    .map(|_| {
                        scope.spawn(move || {
                            let (w, x) = (one(WEIGHT_BYTES), one(PIXEL_BYTES));
                            measure(20_000, || f(&w, &x))
                        })
                    })
                    .collect();
                runs.into_iter().map(|r| r.join().expect("a measuring thread panicked")).collect()
            });
            let cycles = each.iter().map(|&(_, c)| c).fold(0.0, f64::max) / STEPS as f64;
            let gmacs: f64 = each.iter().map(|&(s, _)| macs as f64 * STEPS as f64 / s / 1e9).sum();
            println!("| {name} | {macs} | {cycles:.2} | {:.1} | {gmacs:.1} |", macs as f64 / cycles);
        }
    }
}

fn main() {
    #[cfg(target_arch = "x86_64")]
    x86::main();
    #[cfg(not(target_arch = "x86_64"))]
    println!("peak: x86-64 only (its loops are x86 assembly); nothing measured here");
}
