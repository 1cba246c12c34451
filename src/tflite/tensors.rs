//! Tensors as the file declares them: indices, shapes, buffers and quantization checked.

use super::names::{tensor_type, type_name};
use super::schema;
use crate::error::{Real, Result, malformed, unsupported};
use crate::model::graph::{DType, Quant, TensorInfo};
use flatbuffers::{ForwardsUOffset, Vector};

/// A raw tensor from the file, with indices resolved and checked.
pub(super) struct RawTensor<'a> {
    /// Its index in the subgraph's tensor list.
    pub index: usize,
    pub name: String,
    pub shape: Vec<usize>,
    pub ttype: i8,
    /// Constant data, if the tensor's buffer holds any.
    pub data: Option<&'a [u8]>,
    pub quant: Option<Quant>,
}

type Buffers<'a> = Option<Vector<'a, ForwardsUOffset<schema::Buffer<'a>>>>;

/// Every tensor of the subgraph, resolved and checked.
pub(super) fn read_tensors<'a>(
    sg: &schema::SubGraph<'a>,
    buffers: Buffers<'a>,
) -> Result<Vec<RawTensor<'a>>> {
    let ftensors = sg.tensors().ok_or_else(|| malformed("subgraph_tensors_missing"))?;
    ftensors.iter().enumerate().map(|(i, t)| raw_tensor(i, t, buffers)).collect()
}

fn raw_tensor<'a>(i: usize, t: schema::Tensor<'a>, buffers: Buffers<'a>) -> Result<RawTensor<'a>> {
    let name = t.name().unwrap_or("").to_string();
    raw_tensor_fields(t, buffers).map_err(|e| e.tensor(i, &name)).map(|(shape, data, quant)| RawTensor {
        index: i,
        name,
        shape,
        ttype: t.tensor_type(),
        data,
        quant,
    })
}

type Fields<'a> = (Vec<usize>, Option<&'a [u8]>, Option<Quant>);

fn raw_tensor_fields<'a>(t: schema::Tensor<'a>, buffers: Buffers<'a>) -> Result<Fields<'a>> {
    if t.has_sparsity() {
        return Err(unsupported("sparse_tensor"));
    }
    if t.is_variable() {
        return Err(unsupported("variable_tensor"));
    }
    let mut shape = Vec::new();
    if let Some(s) = t.shape() {
        for d in s.iter() {
            if d <= 0 {
                return Err(malformed("dimension").found(d).expected("at least 1"));
            }
            shape.push(d as usize);
        }
    }
    let data = match t.buffer() {
        0 => None,
        b => {
            let buffers =
                buffers.ok_or_else(|| malformed("buffer").found(b).expected("a model with buffers"))?;
            if b as usize >= buffers.len() {
                return Err(malformed("buffer").found(b).expected(format!("below {}", buffers.len())));
            }
            let buf = buffers.get(b as usize);
            if buf.offset() != 0 || buf.size() != 0 {
                return Err(unsupported("buffer_outside_flatbuffer").found(b));
            }
            buf.data().map(|d| d.bytes()).filter(|d| !d.is_empty())
        }
    };
    let quant = match t.quantization() {
        None => None,
        Some(q) => {
            if q.details_type() != 0 {
                return Err(unsupported("custom_quantization_details").found(q.details_type()));
            }
            let scales = q.scale().map(|v| v.iter().collect::<Vec<f32>>()).unwrap_or_default();
            let zps = q.zero_point().map(|v| v.iter().collect::<Vec<i64>>()).unwrap_or_default();
            match (scales.len(), zps.len()) {
                (0, 0) => None,
                (1, 1) => {
                    let scale = scales[0];
                    if !(scale.is_finite() && scale > 0.0) {
                        return Err(malformed("quantization_scale").found(scale).expected("finite and > 0"));
                    }
                    let zero_point = i32::try_from(zps[0])
                        .map_err(|_| malformed("zero_point").found(zps[0]).expected("an int32"))?;
                    Some(Quant { scale, zero_point })
                }
                (s, z) if s > 1 && s == z => {
                    return Err(unsupported("per_channel_quantization").found(s).expected("1 scale"));
                }
                (s, z) => {
                    return Err(malformed("quantization_zero_points").found(z).expected(s));
                }
            }
        }
    };
    Ok((shape, data, quant))
}

/// Tensor indices from an index list of the file.
pub(super) fn index_list(v: Option<Vector<'_, i32>>, what: &'static str) -> Result<Vec<usize>> {
    let v = v.ok_or_else(|| malformed(what).expected("a list of tensor indices"))?;
    v.iter()
        .map(|i| usize::try_from(i).map_err(|_| malformed(what).found(i).expected("a tensor index")))
        .collect()
}

/// The tensor at `i`, which `what` refers to.
pub(super) fn tensor_at<'t, 'a>(
    tensors: &'t [RawTensor<'a>],
    i: usize,
    what: &'static str,
) -> Result<&'t RawTensor<'a>> {
    tensors.get(i).ok_or_else(|| malformed(what).found(i).expected(format!("below {}", tensors.len())))
}

/// Declared info of an activation tensor, checking its type matches the model's.
pub(super) fn activation_info(t: &RawTensor<'_>, dtype: DType) -> Result<TensorInfo> {
    let expected = match dtype {
        DType::U8 => tensor_type::UINT8,
        DType::F32 => tensor_type::FLOAT32,
    };
    if t.ttype != expected {
        return Err(unsupported("mixed_tensor_types")
            .found(type_name(t.ttype))
            .expected(format!("{} like the model", type_name(expected)))
            .tensor(t.index, &t.name));
    }
    let quant = match dtype {
        DType::U8 => Some(uint8_quant(t)?),
        DType::F32 => None,
    };
    Ok(TensorInfo { name: t.name.clone(), shape: t.shape.clone(), quant })
}

/// The quantization of a uint8 tensor: present, with a zero point in 0..=255.
pub(super) fn uint8_quant(t: &RawTensor<'_>) -> Result<Quant> {
    let q = t.quant.ok_or_else(|| {
        malformed("quantization_missing").expected("uint8 tensors to be quantized").tensor(t.index, &t.name)
    })?;
    if !(0..=255).contains(&q.zero_point) {
        return Err(malformed("zero_point")
            .found(q.zero_point)
            .expected("0 to 255 (uint8)")
            .tensor(t.index, &t.name));
    }
    Ok(q)
}

/// Input and output of a layer that does not requantize must share their quantization.
pub(super) fn same_quant(a: Option<Quant>, b: Option<Quant>) -> Result<()> {
    if a != b {
        let show = |q: Option<Quant>| {
            q.map_or_else(
                || "none".to_string(),
                |q| format!("scale {} zero point {}", Real::from(q.scale), q.zero_point),
            )
        };
        return Err(unsupported("output_quantization")
            .found(show(b))
            .expected(format!("the input's ({})", show(a))));
    }
    Ok(())
}

/// A constant's data must be exactly what its shape and type need.
pub(super) fn expect_len(t: &RawTensor<'_>, actual: usize, expected: usize) -> Result<()> {
    if actual != expected {
        return Err(malformed("constant_bytes").found(actual).expected(expected).tensor(t.index, &t.name));
    }
    Ok(())
}

/// Little-endian 32-bit words.
pub(super) fn words<T>(bytes: &[u8], from: fn([u8; 4]) -> T) -> Vec<T> {
    bytes.chunks_exact(4).map(|c| from([c[0], c[1], c[2], c[3]])).collect()
}

/// Little-endian f32s ([`words`]): on a little-endian target, such as wasm, one copy of the
/// bytes (a float model's weights are most of its file, and a load runs once, before the
/// engine's code is optimised).
pub(super) fn f32_words(bytes: &[u8]) -> Vec<f32> {
    #[cfg(target_endian = "little")]
    {
        let n = bytes.len() / 4;
        let mut v = Vec::<f32>::with_capacity(n);
        // SAFETY: `v` has room for `n` f32s, which are the first 4n bytes of `bytes` (a u8 source
        // needs no alignment); every bit pattern is an f32, so all `n` are initialised.
        unsafe {
            core::ptr::copy_nonoverlapping(bytes.as_ptr(), v.as_mut_ptr().cast::<u8>(), n * 4);
            v.set_len(n);
        }
        v
    }
    #[cfg(not(target_endian = "little"))]
    words(bytes, f32::from_le_bytes)
}
