//! Weights packed once per session for its kernel set.

use crate::kernels::{FilterShape, KernelSet, Packed};
use crate::model::graph::{Bias, Filter, Graph, Op};

/// Packs every layer's weights for `kernels` (empty for layers without weights).
pub(crate) fn pack(graph: &Graph, kernels: &KernelSet) -> Vec<Packed> {
    graph
        .layers
        .iter()
        .map(|layer| {
            let (shape, filter, bias, depthwise) = match &layer.op {
                Op::Conv2d(c) => {
                    let shape =
                        FilterShape { out_c: c.out_c, kh: c.window.kh, kw: c.window.kw, in_c: c.in_c };
                    (shape, &c.filter, &c.bias, false)
                }
                Op::Depthwise(d) => {
                    let shape =
                        FilterShape { out_c: d.channels, kh: d.window.kh, kw: d.window.kw, in_c: d.channels };
                    (shape, &d.filter, &d.bias, true)
                }
                _ => return Packed::default(),
            };
            match (filter, bias) {
                (Filter::U8 { data, quant }, Bias::I32(b)) => {
                    let k = &kernels.u8;
                    let f = if depthwise { k.pack_depthwise } else { k.pack_conv2d };
                    f(&shape, data, quant.zero_point, b)
                }
                (Filter::F32(data), Bias::F32(b)) => {
                    let k = &kernels.f32;
                    let f = if depthwise { k.pack_depthwise } else { k.pack_conv2d };
                    f(&shape, data, (), b)
                }
                _ => Packed::default(),
            }
        })
        .collect()
}
