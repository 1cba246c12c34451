//! Builds small TFLite models with the `flatbuffers` builder, from a description tests can
//! corrupt field by field (an operator code, a tensor index, a buffer's size…).
#![allow(dead_code)]

use flatbuffers::{FlatBufferBuilder, WIPOffset};

#[derive(Clone, Debug)]
pub struct TTensor {
    pub shape: Vec<i32>,
    pub ttype: i8,
    pub buffer: u32,
    pub name: String,
    /// (scale, zero point) — None for no quantization table.
    pub quant: Option<(Vec<f32>, Vec<i64>)>,
}

#[derive(Clone, Debug)]
pub enum TOptions {
    None,
    Conv { padding: i8, stride: (i32, i32), act: i8, dilation: (i32, i32) },
    Depthwise { padding: i8, stride: (i32, i32), multiplier: i32, act: i8 },
    Pool { padding: i8, stride: (i32, i32), filter: (i32, i32), act: i8 },
    Reshape(Vec<i32>),
    Softmax(f32),
}

#[derive(Clone, Debug)]
pub struct TOp {
    pub opcode_index: u32,
    pub inputs: Vec<i32>,
    pub outputs: Vec<i32>,
    pub options: TOptions,
}

#[derive(Clone, Debug)]
pub struct TModel {
    pub version: u32,
    pub opcodes: Vec<i32>,
    pub custom_code: Option<String>,
    pub tensors: Vec<TTensor>,
    pub buffers: Vec<Vec<u8>>,
    pub ops: Vec<TOp>,
    pub inputs: Vec<i32>,
    pub outputs: Vec<i32>,
    pub subgraphs: usize,
}

fn tensor(shape: &[i32], ttype: i8, buffer: u32, name: &str, q: Option<(f32, i64)>) -> TTensor {
    TTensor {
        shape: shape.to_vec(),
        ttype,
        buffer,
        name: name.into(),
        quant: q.map(|(s, z)| (vec![s], vec![z])),
    }
}

pub const UINT8: i8 = 3;
pub const INT32: i8 = 2;
pub const FLOAT32: i8 = 0;

/// A uint8 model: 32×32×3 input → CONV_2D 1×1 (3→4, RELU6) → DEPTHWISE 3×3 s2 → global
/// AVERAGE_POOL → RESHAPE [1, 4] → SOFTMAX.
pub fn tiny_quant() -> TModel {
    let q_in = Some((1.0 / 128.0, 128));
    let q_act = Some((6.0 / 255.0, 0));
    let filter: Vec<u8> = (0..12u8).map(|i| 100 + i * 5).collect();
    let bias: Vec<u8> = [10i32, -20, 30, -40].iter().flat_map(|v| v.to_le_bytes()).collect();
    let dw: Vec<u8> = (0..36u8).map(|i| 90 + i * 3).collect();
    let dw_bias: Vec<u8> = [5i32, 6, -7, 8].iter().flat_map(|v| v.to_le_bytes()).collect();
    TModel {
        version: 3,
        opcodes: vec![3, 4, 1, 22, 25],
        custom_code: None,
        tensors: vec![
            tensor(&[1, 32, 32, 3], UINT8, 0, "input", q_in),
            tensor(&[4, 1, 1, 3], UINT8, 1, "conv/filter", Some((0.02, 120))),
            tensor(&[4], INT32, 2, "conv/bias", Some((0.02 / 128.0, 0))),
            tensor(&[1, 32, 32, 4], UINT8, 0, "conv", q_act),
            tensor(&[1, 3, 3, 4], UINT8, 3, "dw/filter", Some((0.03, 130))),
            tensor(&[4], INT32, 4, "dw/bias", Some((0.03 * 6.0 / 255.0, 0))),
            tensor(&[1, 16, 16, 4], UINT8, 0, "dw", q_act),
            tensor(&[1, 1, 1, 4], UINT8, 0, "pool", q_act),
            tensor(&[1, 4], UINT8, 0, "reshape", q_act),
            tensor(&[1, 4], UINT8, 0, "softmax", Some((1.0 / 256.0, 0))),
        ],
        buffers: vec![vec![], filter, bias, dw, dw_bias],
        ops: vec![
            TOp {
                opcode_index: 0,
                inputs: vec![0, 1, 2],
                outputs: vec![3],
                options: TOptions::Conv { padding: 0, stride: (1, 1), act: 3, dilation: (1, 1) },
            },
            TOp {
                opcode_index: 1,
                inputs: vec![3, 4, 5],
                outputs: vec![6],
                options: TOptions::Depthwise { padding: 0, stride: (2, 2), multiplier: 1, act: 3 },
            },
            TOp {
                opcode_index: 2,
                inputs: vec![6],
                outputs: vec![7],
                options: TOptions::Pool { padding: 1, stride: (2, 2), filter: (16, 16), act: 0 },
            },
            TOp {
                opcode_index: 3,
                inputs: vec![7],
                outputs: vec![8],
                options: TOptions::Reshape(vec![1, 4]),
            },
            TOp { opcode_index: 4, inputs: vec![8], outputs: vec![9], options: TOptions::Softmax(1.0) },
        ],
        inputs: vec![0],
        outputs: vec![9],
        subgraphs: 1,
    }
}

impl TModel {
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut b = FlatBufferBuilder::new();
        let slot = |n: u16| 4 + 2 * n;
        // Buffers.
        let mut bufs = Vec::new();
        for data in &self.buffers {
            let d = b.create_vector(data);
            let t = b.start_table();
            b.push_slot_always(slot(0), d);
            bufs.push(b.end_table(t));
        }
        let buffers = b.create_vector(&bufs);
        // Operator codes.
        let mut codes = Vec::new();
        for &c in &self.opcodes {
            let custom = self.custom_code.as_ref().filter(|_| c == 32).map(|s| b.create_string(s));
            let t = b.start_table();
            b.push_slot::<i8>(slot(0), c.min(127) as i8, 0);
            if let Some(s) = custom {
                b.push_slot_always(slot(1), s);
            }
            b.push_slot::<i32>(slot(3), c, 0);
            codes.push(b.end_table(t));
        }
        let codes = b.create_vector(&codes);
        // Tensors.
        let mut tensors = Vec::new();
        for t in &self.tensors {
            let shape = b.create_vector(&t.shape);
            let name = b.create_string(&t.name);
            let quant = t.quant.as_ref().map(|(s, z)| {
                let s = b.create_vector(s);
                let z = b.create_vector(z);
                let q = b.start_table();
                b.push_slot_always(slot(2), s);
                b.push_slot_always(slot(3), z);
                b.end_table(q)
            });
            let tt = b.start_table();
            b.push_slot_always(slot(0), shape);
            b.push_slot::<i8>(slot(1), t.ttype, 0);
            b.push_slot::<u32>(slot(2), t.buffer, 0);
            b.push_slot_always(slot(3), name);
            if let Some(q) = quant {
                b.push_slot_always(slot(4), q);
            }
            tensors.push(b.end_table(tt));
        }
        let tensors = b.create_vector(&tensors);
        // Operators.
        let mut ops = Vec::new();
        for op in &self.ops {
            let inputs = b.create_vector(&op.inputs);
            let outputs = b.create_vector(&op.outputs);
            let (kind, opts): (u8, Option<WIPOffset<flatbuffers::TableFinishedWIPOffset>>) = match &op.options
            {
                TOptions::None => (0, None),
                TOptions::Conv { padding, stride, act, dilation } => {
                    let t = b.start_table();
                    b.push_slot_always::<i8>(slot(0), *padding);
                    b.push_slot_always::<i32>(slot(1), stride.1);
                    b.push_slot_always::<i32>(slot(2), stride.0);
                    b.push_slot_always::<i8>(slot(3), *act);
                    b.push_slot_always::<i32>(slot(4), dilation.1);
                    b.push_slot_always::<i32>(slot(5), dilation.0);
                    (1, Some(b.end_table(t)))
                }
                TOptions::Depthwise { padding, stride, multiplier, act } => {
                    let t = b.start_table();
                    b.push_slot_always::<i8>(slot(0), *padding);
                    b.push_slot_always::<i32>(slot(1), stride.1);
                    b.push_slot_always::<i32>(slot(2), stride.0);
                    b.push_slot_always::<i32>(slot(3), *multiplier);
                    b.push_slot_always::<i8>(slot(4), *act);
                    (2, Some(b.end_table(t)))
                }
                TOptions::Pool { padding, stride, filter, act } => {
                    let t = b.start_table();
                    b.push_slot_always::<i8>(slot(0), *padding);
                    b.push_slot_always::<i32>(slot(1), stride.1);
                    b.push_slot_always::<i32>(slot(2), stride.0);
                    b.push_slot_always::<i32>(slot(3), filter.1);
                    b.push_slot_always::<i32>(slot(4), filter.0);
                    b.push_slot_always::<i8>(slot(5), *act);
                    (5, Some(b.end_table(t)))
                }
                TOptions::Reshape(shape) => {
                    let v = b.create_vector(shape);
                    let t = b.start_table();
                    b.push_slot_always(slot(0), v);
                    (17, Some(b.end_table(t)))
                }
                TOptions::Softmax(beta) => {
                    let t = b.start_table();
                    b.push_slot_always::<f32>(slot(0), *beta);
                    (9, Some(b.end_table(t)))
                }
            };
            let t = b.start_table();
            b.push_slot_always::<u32>(slot(0), op.opcode_index);
            b.push_slot_always(slot(1), inputs);
            b.push_slot_always(slot(2), outputs);
            if let Some(o) = opts {
                b.push_slot_always::<u8>(slot(3), kind);
                b.push_slot_always(slot(4), o);
            }
            ops.push(b.end_table(t));
        }
        let ops = b.create_vector(&ops);
        let inputs = b.create_vector(&self.inputs);
        let outputs = b.create_vector(&self.outputs);
        let mut sgs = Vec::new();
        for _ in 0..self.subgraphs {
            let t = b.start_table();
            b.push_slot_always(slot(0), tensors);
            b.push_slot_always(slot(1), inputs);
            b.push_slot_always(slot(2), outputs);
            b.push_slot_always(slot(3), ops);
            sgs.push(b.end_table(t));
        }
        let sgs = b.create_vector(&sgs);
        let root = b.start_table();
        b.push_slot_always::<u32>(slot(0), self.version);
        b.push_slot_always(slot(1), codes);
        b.push_slot_always(slot(2), sgs);
        b.push_slot_always(slot(4), buffers);
        let root = b.end_table(root);
        b.finish(root, Some("TFL3"));
        b.finished_data().to_vec()
    }
}
