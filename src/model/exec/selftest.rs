//! A check, before a session trusts a kernel set whose arithmetic depends on the host (the
//! relaxed dot product), that it gives the same bytes as a trusted set on the model's own layers.

use crate::kernels::{KernelSet, Scratch, scratch_len};
use crate::model::graph::{Filter, Graph, Op};
use crate::model::plan::{Plan, Step};

/// Output pixels compared per layer: one tile of 4 and one single pixel.
const PIXELS: usize = 5;

/// Whether `candidate` and `trusted` give identical uint8 convolution outputs on the first,
/// second and last CONV_2D layers of `graph` (the stem's im2col path, a pointwise layer, the
/// logits), on the first pixels of each, for an input of pseudo-random bytes over the whole
/// range. `true` for a model without uint8 convolutions.
pub(crate) fn agree(graph: &Graph, plan: &Plan, candidate: &KernelSet, trusted: &KernelSet) -> bool {
    let convs: Vec<usize> = (0..graph.layers.len())
        .filter(|&i| matches!(&graph.layers[i].op, Op::Conv2d(c) if matches!(c.filter, Filter::U8 { .. })))
        .collect();
    let mut picked: Vec<usize> = convs.iter().take(2).chain(convs.last()).copied().collect();
    picked.dedup();
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    picked.into_iter().all(|i| {
        let (Op::Conv2d(c), Step::Conv { geom, quant, .. }) = (&graph.layers[i].op, &plan.steps[i]) else {
            return true;
        };
        let Filter::U8 { data, quant: fq } = &c.filter else { return true };
        let crate::model::graph::Bias::I32(bias) = &c.bias else { return true };
        let shape =
            crate::kernels::FilterShape { out_c: c.out_c, kh: c.window.kh, kw: c.window.kw, in_c: c.in_c };
        let g = geom.with_band(0..(geom.out_h * geom.out_w).min(PIXELS));
        let input: Vec<u8> = (0..g.in_h * g.in_w * g.in_c)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                (seed >> 24) as u8
            })
            .collect();
        let run = |set: &KernelSet| {
            let packed = (set.u8.pack_conv2d)(&shape, data, fq.zero_point, bias);
            let mut scratch = vec![0i16; scratch_len(&g, false)];
            let mut out = vec![0u8; (g.band_end - g.band_start) * g.out_c];
            let s = Scratch { i16: &mut scratch, f32: &mut [] };
            (set.u8.conv2d)(&g, quant, &input, &packed, &mut out, s);
            out
        };
        run(candidate) == run(trusted)
    })
}
