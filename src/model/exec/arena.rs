//! The memory of one inference, allocated once per plan, and the element types it holds.

use crate::error::{Result, invalid_input};
use crate::kernels::parallel::threads;
use crate::kernels::{Element, FloatRange, QuantParams};
use crate::model::graph::DType;
use crate::model::plan::Plan;

/// The activation buffers `[input, ping, pong]` of a model's element type.
#[derive(Debug)]
pub enum Activations {
    U8([Vec<u8>; 3]),
    F32([Vec<f32>; 3]),
}

/// One inference's memory: the activation buffers and the kernels' scratch, one equal
/// partition of it per thread.
#[derive(Debug)]
pub(crate) struct Arena {
    activations: Activations,
    scratch_i16: Vec<i16>,
    scratch_f32: Vec<f32>,
    /// Threads the scratch was sized for.
    parts: usize,
}

/// An arena's memory borrowed for one run.
pub(super) struct Borrowed<'a, T> {
    pub buffers: &'a mut [Vec<T>; 3],
    pub scratch_i16: &'a mut [i16],
    pub scratch_f32: &'a mut [f32],
    pub parts: usize,
}

impl Arena {
    /// Every buffer `plan` needs for a model of element type `dtype`, with scratch for as many
    /// threads as the build has now (the only allocation besides planning).
    pub(crate) fn new(plan: &Plan, dtype: DType) -> Arena {
        let n = plan.max_elements;
        let input: usize = plan.input_shape.iter().product();
        let parts = threads();
        let scratch = plan.scratch_elements * parts;
        match dtype {
            DType::U8 => Arena {
                activations: Activations::U8([vec![0; input], vec![0; n], vec![0; n]]),
                scratch_i16: vec![0; scratch],
                scratch_f32: Vec::new(),
                parts,
            },
            DType::F32 => Arena {
                activations: Activations::F32([vec![0.0; input], vec![0.0; n], vec![0.0; n]]),
                scratch_i16: Vec::new(),
                scratch_f32: vec![0.0; scratch],
                parts,
            },
        }
    }

    /// Whether the scratch still has a partition per thread (the pool can change size).
    pub(crate) fn fits_threads(&self) -> bool {
        self.parts == threads()
    }

    /// The input buffer, if the arena holds `T` activations.
    pub(crate) fn input<T: Activation>(&mut self) -> Option<&mut [T]> {
        T::buffers(&mut self.activations).map(|b| &mut b[0][..])
    }

    /// The whole memory, if the arena holds `T` activations.
    pub(super) fn borrow<T: Activation>(&mut self) -> Option<Borrowed<'_, T>> {
        Some(Borrowed {
            buffers: T::buffers(&mut self.activations)?,
            scratch_i16: &mut self.scratch_i16,
            scratch_f32: &mut self.scratch_f32,
            parts: self.parts,
        })
    }
}

/// An element type a session runs: `u8` for uint8 models, `f32` for float32 models. What a
/// session needs to know of it beyond its kernels ([`Element`]) is sealed in this crate.
pub trait Activation: sealed::Sealed {}

impl Activation for u8 {}
impl Activation for f32 {}

pub(crate) mod sealed {
    use super::*;

    pub trait Sealed: Element {
        /// The models whose activations are of this type.
        const DTYPE: DType;
        /// The activation buffers, if they are of this type.
        fn buffers(a: &mut Activations) -> Option<&mut [Vec<Self>; 3]>;
        /// Checks input values: floats must be finite.
        ///
        /// # Errors
        /// [`crate::Error::InputInvalid`] for a non-finite value.
        fn check(values: &[Self]) -> Result<()>;
        /// A convolution's output-stage parameters of this type.
        fn conv_params<'a>(quant: &'a QuantParams, range: &'a FloatRange) -> &'a Self::Params;
        /// An average pool's clamp of this type.
        fn pool_clamp(act_min: i32, act_max: i32, range: FloatRange) -> Self::PoolClamp;
    }

    impl Sealed for u8 {
        const DTYPE: DType = DType::U8;
        fn buffers(a: &mut Activations) -> Option<&mut [Vec<u8>; 3]> {
            match a {
                Activations::U8(b) => Some(b),
                Activations::F32(_) => None,
            }
        }
        fn check(_: &[u8]) -> Result<()> {
            Ok(())
        }
        fn conv_params<'a>(quant: &'a QuantParams, _: &'a FloatRange) -> &'a QuantParams {
            quant
        }
        fn pool_clamp(act_min: i32, act_max: i32, _: FloatRange) -> (i32, i32) {
            (act_min, act_max)
        }
    }

    impl Sealed for f32 {
        const DTYPE: DType = DType::F32;
        fn buffers(a: &mut Activations) -> Option<&mut [Vec<f32>; 3]> {
            match a {
                Activations::F32(b) => Some(b),
                Activations::U8(_) => None,
            }
        }
        fn check(values: &[f32]) -> Result<()> {
            match values.iter().find(|v| !v.is_finite()) {
                Some(v) => Err(invalid_input("input_value_not_finite").found(*v)),
                None => Ok(()),
            }
        }
        fn conv_params<'a>(_: &'a QuantParams, range: &'a FloatRange) -> &'a FloatRange {
            range
        }
        fn pool_clamp(_: i32, _: i32, range: FloatRange) -> FloatRange {
            range
        }
    }
}
