//! A session: a model planned for one resolution, with every activation buffer allocated once.
//!
//! Running a frame allocates nothing: the input is copied into the session's input buffer and
//! the layers ping-pong between two buffers sized for the largest activation.

use super::Model;
use super::graph::{Bias, DType, Filter, Op};
use super::plan::{Plan, Step, plan};
use crate::error::{Error, Result, invalid_input};
use crate::kernels::{self, FilterShape, KernelSet, Packed, Scratch};
use ndarray::{ArrayView1, ArrayView3};

/// The activation buffers: `[input, ping, pong]`.
#[derive(Debug)]
enum Arena {
    U8([Vec<u8>; 3]),
    F32([Vec<f32>; 3]),
}

/// A loaded model, planned for one input resolution, ready to run frames.
#[derive(Debug)]
pub struct Session {
    model: Model,
    plan: Plan,
    kernels: &'static KernelSet,
    /// Per layer, the weights packed for `kernels` (empty for layers without weights).
    packed: Vec<Packed>,
    arena: Arena,
    scratch: Scratch,
}

/// Which buffer a layer reads and which it writes: layer 0 reads the input buffer, then the
/// two others alternate.
fn slots(layer: usize) -> (usize, usize) {
    match layer {
        0 => (0, 1),
        l if l % 2 == 1 => (1, 2),
        _ => (2, 1),
    }
}

/// Borrows buffer `r` for reading and buffer `w` for writing (`r != w`).
fn split<T>(bufs: &mut [Vec<T>; 3], r: usize, w: usize) -> (&[T], &mut [T]) {
    let [a, b, c] = bufs;
    match (r, w) {
        (0, 1) => (a, b),
        (1, 2) => (b, c),
        (2, 1) => (c, b),
        _ => unreachable!("slots() yields only these pairs"),
    }
}

impl Session {
    /// Plans `model` at the resolution it was trained for.
    ///
    /// # Errors
    /// As [`Session::with_resolution`].
    pub fn new(model: Model) -> Result<Session> {
        let r = model.trained_resolution();
        Session::with_resolution(model, r)
    }

    /// Plans `model` for a `resolution × resolution` input and allocates its buffers.
    ///
    /// # Errors
    /// [`Error::InputInvalid`] if the resolution is out of range or gives a layer an invalid
    /// shape, [`Error::LimitsExceeded`] if a tensor would exceed the model's limits.
    pub fn with_resolution(model: Model, resolution: usize) -> Result<Session> {
        let plan = plan(&model.graph, resolution, resolution, &model.limits)?;
        let (arena, scratch) = Self::allocate(model.graph.dtype, &plan);
        let kernels = kernels::best();
        let packed = pack(&model, kernels);
        Ok(Session { model, plan, kernels, packed, arena, scratch })
    }

    fn allocate(dtype: DType, plan: &Plan) -> (Arena, Scratch) {
        let n = plan.max_elements;
        let input: usize = plan.input_shape.iter().product();
        let s = plan.scratch_elements;
        match dtype {
            DType::U8 => (
                Arena::U8([vec![0; input], vec![0; n], vec![0; n]]),
                Scratch { i16: vec![0; s], f32: Vec::new() },
            ),
            DType::F32 => (
                Arena::F32([vec![0.0; input], vec![0.0; n], vec![0.0; n]]),
                Scratch { i16: Vec::new(), f32: vec![0.0; s] },
            ),
        }
    }

    /// Re-plans for another input resolution without reloading the model. On error the
    /// session keeps its previous resolution and stays usable.
    ///
    /// # Errors
    /// As [`Session::with_resolution`].
    pub fn set_resolution(&mut self, resolution: usize) -> Result<()> {
        if resolution == self.resolution() {
            return Ok(());
        }
        let plan = plan(&self.model.graph, resolution, resolution, &self.model.limits)?;
        (self.arena, self.scratch) = Self::allocate(self.model.graph.dtype, &plan);
        self.plan = plan;
        Ok(())
    }

    /// Chooses the kernel implementation (the default is [`kernels::best`]) and packs the
    /// weights for it.
    pub fn set_kernels(&mut self, kernels: &'static KernelSet) {
        if !std::ptr::eq(kernels, self.kernels) {
            self.packed = pack(&self.model, kernels);
            self.kernels = kernels;
        }
    }

    /// The kernel implementation in use.
    pub fn kernels(&self) -> &'static KernelSet {
        self.kernels
    }

    /// The model this session runs.
    pub fn model(&self) -> &Model {
        &self.model
    }

    /// The planned input resolution.
    pub fn resolution(&self) -> usize {
        self.plan.input_shape[0]
    }

    /// Input shape `[height, width, channels]`.
    pub fn input_shape(&self) -> [usize; 3] {
        self.plan.input_shape
    }

    /// Number of elements of the input tensor.
    pub fn input_len(&self) -> usize {
        self.plan.input_shape.iter().product()
    }

    /// Number of elements of the output tensor.
    pub fn output_len(&self) -> usize {
        self.plan.output_len()
    }

    /// Output shape of every layer at the planned resolution (batch included).
    pub fn layer_shapes(&self) -> &[Vec<usize>] {
        &self.plan.shapes
    }

    /// Runs a uint8 model on an HWC input.
    ///
    /// # Errors
    /// [`Error::InputInvalid`] if the model is not uint8 or the shape differs from
    /// [`Session::input_shape`].
    pub fn infer_u8(&mut self, input: ArrayView3<'_, u8>) -> Result<ArrayView1<'_, u8>> {
        self.check_shape(input.shape())?;
        let out = match input.as_slice() {
            Some(s) => self.run_u8(s, &mut |_, _| {})?,
            None => {
                self.fill_input_u8(input.iter().copied())?;
                self.run_filled_u8(&mut |_, _| {})?
            }
        };
        Ok(ArrayView1::from(out))
    }

    /// Runs a float32 model on an HWC input.
    ///
    /// # Errors
    /// As [`Session::infer_u8`], and for non-finite input values.
    pub fn infer_f32(&mut self, input: ArrayView3<'_, f32>) -> Result<ArrayView1<'_, f32>> {
        self.check_shape(input.shape())?;
        let out = match input.as_slice() {
            Some(s) => self.run_f32(s, &mut |_, _| {})?,
            None => {
                self.fill_input_f32(input.iter().copied())?;
                self.run_filled_f32(&mut |_, _| {})?
            }
        };
        Ok(ArrayView1::from(out))
    }

    fn check_shape(&self, shape: &[usize]) -> Result<()> {
        if shape != self.plan.input_shape {
            return Err(invalid_input(format!(
                "input of shape {shape:?}, the model expects {:?}",
                self.plan.input_shape
            )));
        }
        Ok(())
    }

    fn wrong_dtype(&self, want: DType) -> Error {
        invalid_input(format!("{} input given to a {} model", want.name(), self.model.graph.dtype.name()))
    }

    fn fill_input_u8(&mut self, values: impl Iterator<Item = u8>) -> Result<()> {
        let Arena::U8(b) = &mut self.arena else {
            return Err(self.wrong_dtype(DType::U8));
        };
        for (d, v) in b[0].iter_mut().zip(values) {
            *d = v;
        }
        Ok(())
    }

    fn fill_input_f32(&mut self, values: impl Iterator<Item = f32>) -> Result<()> {
        let Arena::F32(b) = &mut self.arena else {
            return Err(self.wrong_dtype(DType::F32));
        };
        for (d, v) in b[0].iter_mut().zip(values) {
            if !v.is_finite() {
                return Err(invalid_input(format!("input value {v} is not finite")));
            }
            *d = v;
        }
        Ok(())
    }

    /// Runs a uint8 model on a flat HWC input; `observe(layer, output)` sees every layer's output.
    ///
    /// # Errors
    /// [`Error::InputInvalid`] if the model is not uint8 or `input` has the wrong length.
    pub fn run_u8(&mut self, input: &[u8], observe: &mut dyn FnMut(usize, &[u8])) -> Result<&[u8]> {
        if input.len() != self.input_len() {
            return Err(invalid_input(format!(
                "input of {} bytes, the model expects {} ({:?})",
                input.len(),
                self.input_len(),
                self.plan.input_shape
            )));
        }
        let Arena::U8(b) = &mut self.arena else {
            return Err(self.wrong_dtype(DType::U8));
        };
        b[0].copy_from_slice(input);
        self.run_filled_u8(observe)
    }

    /// Runs a float32 model on a flat HWC input; `observe` as in [`Session::run_u8`].
    ///
    /// # Errors
    /// As [`Session::run_u8`], and for non-finite input values.
    pub fn run_f32(&mut self, input: &[f32], observe: &mut dyn FnMut(usize, &[f32])) -> Result<&[f32]> {
        if input.len() != self.input_len() {
            return Err(invalid_input(format!(
                "input of {} values, the model expects {} ({:?})",
                input.len(),
                self.input_len(),
                self.plan.input_shape
            )));
        }
        if let Some(v) = input.iter().find(|v| !v.is_finite()) {
            return Err(invalid_input(format!("input value {v} is not finite")));
        }
        let Arena::F32(b) = &mut self.arena else {
            return Err(self.wrong_dtype(DType::F32));
        };
        b[0].copy_from_slice(input);
        self.run_filled_f32(observe)
    }

    /// Classifies an RGBA frame: center crop, resize and convert it straight into the input
    /// buffer, run the model, and write the output as real numbers (dequantized for uint8
    /// models) into `scores`, which must hold [`Session::output_len`] values.
    ///
    /// # Errors
    /// [`Error::InputInvalid`] / [`Error::LimitsExceeded`] for a bad frame (see
    /// [`crate::image::check_frame`]) or a `scores` buffer of the wrong length.
    pub fn classify_rgba(
        &mut self,
        rgba: &[u8],
        width: usize,
        height: usize,
        scores: &mut [f32],
    ) -> Result<()> {
        if scores.len() != self.output_len() {
            return Err(invalid_input(format!(
                "a scores buffer of {} values for {} outputs",
                scores.len(),
                self.output_len()
            )));
        }
        let size = self.resolution();
        match &mut self.arena {
            Arena::U8(b) => {
                crate::image::rgba_to_u8(rgba, width, height, size, &mut b[0])?;
                let q = self.model.graph.layers.last().and_then(|l| l.output.quant);
                let q = q.unwrap_or(super::graph::Quant { scale: 1.0, zero_point: 0 });
                let out = self.run_filled_u8(&mut |_, _| {})?;
                for (s, &v) in scores.iter_mut().zip(out) {
                    *s = q.scale * (i32::from(v) - q.zero_point) as f32;
                }
            }
            Arena::F32(b) => {
                crate::image::rgba_to_f32(rgba, width, height, size, &mut b[0])?;
                scores.copy_from_slice(self.run_filled_f32(&mut |_, _| {})?);
            }
        }
        Ok(())
    }

    /// Runs on whatever the input buffer holds.
    pub(crate) fn run_filled_u8(&mut self, observe: &mut dyn FnMut(usize, &[u8])) -> Result<&[u8]> {
        let dtype = self.model.graph.dtype;
        let Arena::U8(bufs) = &mut self.arena else {
            return Err(invalid_input(format!("uint8 run of a {} model", dtype.name())));
        };
        let k = self.kernels;
        let mut last = 0;
        for (i, (step, layer)) in self.plan.steps.iter().zip(&self.model.graph.layers).enumerate() {
            let (r, w) = slots(i);
            let n_out: usize = self.plan.shapes[i].iter().product();
            let n_in = if i == 0 { bufs[0].len() } else { self.plan.shapes[i - 1].iter().product() };
            let (src, dst) = split(bufs, r, w);
            let (src, dst) = (&src[..n_in], &mut dst[..n_out]);
            let (packed, scratch) = (&self.packed[i], &mut self.scratch);
            match (step, &layer.op) {
                (Step::Conv { geom, quant, .. }, Op::Conv2d(_)) => {
                    (k.conv2d_u8)(geom, quant, src, packed, dst, scratch)
                }
                (Step::Conv { geom, quant, .. }, Op::Depthwise(_)) => {
                    (k.depthwise_u8)(geom, quant, src, packed, dst, scratch)
                }
                (Step::Pool { geom, act_min, act_max, .. }, _) => {
                    (k.avg_pool_u8)(geom, *act_min, *act_max, src, dst)
                }
                (Step::Copy, _) => dst.copy_from_slice(src),
                (Step::Softmax { beta_scale }, _) => (k.softmax_u8)(*beta_scale, src, dst),
                _ => unreachable!("the plan is built from these layers"),
            }
            observe(i, dst);
            last = w;
        }
        let n = self.plan.output_len();
        Ok(&bufs[last][..n])
    }

    /// Runs on whatever the input buffer holds.
    pub(crate) fn run_filled_f32(&mut self, observe: &mut dyn FnMut(usize, &[f32])) -> Result<&[f32]> {
        let dtype = self.model.graph.dtype;
        let Arena::F32(bufs) = &mut self.arena else {
            return Err(invalid_input(format!("float32 run of a {} model", dtype.name())));
        };
        let k = self.kernels;
        let mut last = 0;
        for (i, (step, layer)) in self.plan.steps.iter().zip(&self.model.graph.layers).enumerate() {
            let (r, w) = slots(i);
            let n_out: usize = self.plan.shapes[i].iter().product();
            let n_in = if i == 0 { bufs[0].len() } else { self.plan.shapes[i - 1].iter().product() };
            let (src, dst) = split(bufs, r, w);
            let (src, dst) = (&src[..n_in], &mut dst[..n_out]);
            let (packed, scratch) = (&self.packed[i], &mut self.scratch);
            match (step, &layer.op) {
                (Step::Conv { geom, range, .. }, Op::Conv2d(_)) => {
                    (k.conv2d_f32)(geom, *range, src, packed, dst, scratch)
                }
                (Step::Conv { geom, range, .. }, Op::Depthwise(_)) => {
                    (k.depthwise_f32)(geom, *range, src, packed, dst, scratch)
                }
                (Step::Pool { geom, range, .. }, _) => (k.avg_pool_f32)(geom, *range, src, dst),
                (Step::Copy, _) => dst.copy_from_slice(src),
                (Step::Softmax { beta_scale }, _) => (k.softmax_f32)(*beta_scale, src, dst),
                _ => unreachable!("the plan is built from these layers"),
            }
            observe(i, dst);
            last = w;
        }
        let n = self.plan.output_len();
        Ok(&bufs[last][..n])
    }
}

/// Packs every layer's weights for `kernels`.
fn pack(model: &Model, kernels: &KernelSet) -> Vec<Packed> {
    model
        .graph
        .layers
        .iter()
        .map(|layer| match &layer.op {
            Op::Conv2d(c) => {
                let shape = FilterShape { out_c: c.out_c, kh: c.window.kh, kw: c.window.kw, in_c: c.in_c };
                match (&c.filter, &c.bias) {
                    (Filter::U8 { data, quant }, Bias::I32(b)) => {
                        (kernels.pack_conv2d_u8)(&shape, data, quant.zero_point, b)
                    }
                    (Filter::F32(f), Bias::F32(b)) => (kernels.pack_conv2d_f32)(&shape, f, b),
                    _ => Packed::default(),
                }
            }
            Op::Depthwise(d) => {
                let shape =
                    FilterShape { out_c: d.channels, kh: d.window.kh, kw: d.window.kw, in_c: d.channels };
                match (&d.filter, &d.bias) {
                    (Filter::U8 { data, quant }, Bias::I32(b)) => {
                        (kernels.pack_depthwise_u8)(&shape, data, quant.zero_point, b)
                    }
                    (Filter::F32(f), Bias::F32(b)) => (kernels.pack_depthwise_f32)(&shape, f, b),
                    _ => Packed::default(),
                }
            }
            _ => Packed::default(),
        })
        .collect()
}
