//! The subset of the TFLite flatbuffer schema (version 3) that MobileNet v1 needs, written by hand
//! from the field layout of TensorFlow Lite's `schema.fbs` against the `flatbuffers` runtime crate.
//!
//! Each table is a thin view over the verified buffer. Every table implements
//! [`flatbuffers::Verifiable`]; [`root`] runs the crate's verifier over the whole file before any
//! accessor is called, which is what makes the `unsafe` reads in the accessors sound. Fields that
//! are not read are still listed in the verifier where the importer relies on their absence.

use flatbuffers::{ForwardsUOffset, Table, VOffsetT, Vector, Verifiable, Verifier, VerifierOptions};

/// Byte offset of a field in a vtable, from its slot number.
const fn slot(n: u16) -> VOffsetT {
    4 + 2 * n
}

/// Declares a table view: scalar fields with their defaults, and offset fields (vectors, strings,
/// sub-tables) that may be absent.
macro_rules! table {
    (
        $name:ident {
            $(scalar $sslot:literal $sfield:ident : $sty:ty = $sdef:expr;)*
            $(offset $oslot:literal $ofield:ident : $oty:ty;)*
        }
    ) => {
        #[derive(Clone, Copy)]
        pub struct $name<'a> {
            tab: Table<'a>,
        }

        impl<'a> flatbuffers::Follow<'a> for $name<'a> {
            type Inner = $name<'a>;
            #[inline]
            unsafe fn follow(buf: &'a [u8], loc: usize) -> Self::Inner {
                // SAFETY: the caller (the flatbuffers runtime) guarantees `loc` is a table in a
                // buffer that the verifier accepted.
                Self { tab: unsafe { Table::new(buf, loc) } }
            }
        }

        #[allow(dead_code)]
        impl<'a> $name<'a> {
            $(
                pub fn $sfield(&self) -> $sty {
                    // SAFETY: the verifier checked this slot holds a `$sty` inside the buffer.
                    unsafe { self.tab.get::<$sty>(slot($sslot), Some($sdef)) }.unwrap_or($sdef)
                }
            )*
            $(
                pub fn $ofield(&self) -> Option<<$oty as flatbuffers::Follow<'a>>::Inner> {
                    // SAFETY: the verifier checked this slot holds a `$oty` inside the buffer.
                    unsafe { self.tab.get::<$oty>(slot($oslot), None) }
                }
            )*
        }

        impl<'a> Verifiable for $name<'a> {
            fn run_verifier(
                v: &mut Verifier,
                pos: usize,
            ) -> Result<(), flatbuffers::InvalidFlatbuffer> {
                v.visit_table(pos)?
                    $(.visit_field::<$sty>(stringify!($sfield), slot($sslot), false)?)*
                    $(.visit_field::<$oty>(stringify!($ofield), slot($oslot), false)?)*
                    .finish();
                Ok(())
            }
        }
    };
}

type Vec32<'a> = ForwardsUOffset<Vector<'a, i32>>;
type VecOf<'a, T> = ForwardsUOffset<Vector<'a, ForwardsUOffset<T>>>;

table!(Model {
    scalar 0 version: u32 = 0;
    offset 1 operator_codes: VecOf<'a, OperatorCode<'a>>;
    offset 2 subgraphs: VecOf<'a, SubGraph<'a>>;
    offset 3 description: ForwardsUOffset<&'a str>;
    offset 4 buffers: VecOf<'a, Buffer<'a>>;
    offset 5 metadata_buffer: Vec32<'a>;
    offset 6 metadata: VecOf<'a, Metadata<'a>>;
});

table!(Metadata {
    scalar 1 buffer: u32 = 0;
    offset 0 name: ForwardsUOffset<&'a str>;
});

table!(SubGraph {
    offset 0 tensors: VecOf<'a, Tensor<'a>>;
    offset 1 inputs: Vec32<'a>;
    offset 2 outputs: Vec32<'a>;
    offset 3 operators: VecOf<'a, Operator<'a>>;
    offset 4 name: ForwardsUOffset<&'a str>;
});

table!(Tensor {
    scalar 1 tensor_type: i8 = 0;
    scalar 2 buffer: u32 = 0;
    scalar 5 is_variable: bool = false;
    offset 0 shape: Vec32<'a>;
    offset 3 name: ForwardsUOffset<&'a str>;
    offset 4 quantization: ForwardsUOffset<QuantizationParameters<'a>>;
});

table!(Buffer {
    scalar 1 offset: u64 = 0;
    scalar 2 size: u64 = 0;
    offset 0 data: ForwardsUOffset<Vector<'a, u8>>;
});

table!(OperatorCode {
    scalar 0 deprecated_builtin_code: i8 = 0;
    scalar 2 version: i32 = 1;
    scalar 3 builtin_code: i32 = 0;
    offset 1 custom_code: ForwardsUOffset<&'a str>;
});

table!(QuantizationParameters {
    scalar 4 details_type: u8 = 0;
    scalar 6 quantized_dimension: i32 = 0;
    offset 0 min: ForwardsUOffset<Vector<'a, f32>>;
    offset 1 max: ForwardsUOffset<Vector<'a, f32>>;
    offset 2 scale: ForwardsUOffset<Vector<'a, f32>>;
    offset 3 zero_point: ForwardsUOffset<Vector<'a, i64>>;
});

table!(Conv2DOptions {
    scalar 0 padding: i8 = 0;
    scalar 1 stride_w: i32 = 0;
    scalar 2 stride_h: i32 = 0;
    scalar 3 fused_activation_function: i8 = 0;
    scalar 4 dilation_w_factor: i32 = 1;
    scalar 5 dilation_h_factor: i32 = 1;
});

table!(DepthwiseConv2DOptions {
    scalar 0 padding: i8 = 0;
    scalar 1 stride_w: i32 = 0;
    scalar 2 stride_h: i32 = 0;
    scalar 3 depth_multiplier: i32 = 0;
    scalar 4 fused_activation_function: i8 = 0;
    scalar 5 dilation_w_factor: i32 = 1;
    scalar 6 dilation_h_factor: i32 = 1;
});

table!(Pool2DOptions {
    scalar 0 padding: i8 = 0;
    scalar 1 stride_w: i32 = 0;
    scalar 2 stride_h: i32 = 0;
    scalar 3 filter_width: i32 = 0;
    scalar 4 filter_height: i32 = 0;
    scalar 5 fused_activation_function: i8 = 0;
});

table!(ReshapeOptions {
    offset 0 new_shape: Vec32<'a>;
});

table!(SoftmaxOptions {
    scalar 0 beta: f32 = 0.0;
});

impl Tensor<'_> {
    /// Whether the (unsupported) sparsity table is present.
    pub fn has_sparsity(&self) -> bool {
        self.tab.vtable().get(slot(6)) != 0
    }
}

/// `builtin_options_type` values of the options tables above.
pub mod options_type {
    pub const CONV_2D: u8 = 1;
    pub const DEPTHWISE_CONV_2D: u8 = 2;
    pub const POOL_2D: u8 = 5;
    pub const SOFTMAX: u8 = 9;
    pub const RESHAPE: u8 = 17;
}

/// An operator; its `builtin_options` is a union, so this table is written out by hand.
#[derive(Clone, Copy)]
pub struct Operator<'a> {
    tab: Table<'a>,
}

impl<'a> flatbuffers::Follow<'a> for Operator<'a> {
    type Inner = Operator<'a>;
    #[inline]
    unsafe fn follow(buf: &'a [u8], loc: usize) -> Self::Inner {
        // SAFETY: as for the macro-generated tables: `loc` is a verified table.
        Self { tab: unsafe { Table::new(buf, loc) } }
    }
}

impl<'a> Operator<'a> {
    pub fn opcode_index(&self) -> u32 {
        // SAFETY: verified u32 slot.
        unsafe { self.tab.get::<u32>(slot(0), Some(0)) }.unwrap_or(0)
    }
    pub fn inputs(&self) -> Option<Vector<'a, i32>> {
        // SAFETY: verified [int32] slot.
        unsafe { self.tab.get::<Vec32<'a>>(slot(1), None) }
    }
    pub fn outputs(&self) -> Option<Vector<'a, i32>> {
        // SAFETY: verified [int32] slot.
        unsafe { self.tab.get::<Vec32<'a>>(slot(2), None) }
    }
    pub fn builtin_options_type(&self) -> u8 {
        // SAFETY: verified u8 slot.
        unsafe { self.tab.get::<u8>(slot(3), Some(0)) }.unwrap_or(0)
    }
    fn options<T: flatbuffers::Follow<'a, Inner = T> + 'a>(&self, kind: u8) -> Option<T> {
        if self.builtin_options_type() != kind {
            return None;
        }
        // SAFETY: the union verifier checked that, for this `kind`, slot 4 holds a verified `T`.
        unsafe { self.tab.get::<ForwardsUOffset<T>>(slot(4), None) }
    }
    pub fn conv2d_options(&self) -> Option<Conv2DOptions<'a>> {
        self.options(options_type::CONV_2D)
    }
    pub fn depthwise_options(&self) -> Option<DepthwiseConv2DOptions<'a>> {
        self.options(options_type::DEPTHWISE_CONV_2D)
    }
    pub fn pool2d_options(&self) -> Option<Pool2DOptions<'a>> {
        self.options(options_type::POOL_2D)
    }
    pub fn reshape_options(&self) -> Option<ReshapeOptions<'a>> {
        self.options(options_type::RESHAPE)
    }
    pub fn softmax_options(&self) -> Option<SoftmaxOptions<'a>> {
        self.options(options_type::SOFTMAX)
    }
    pub fn has_custom_options(&self) -> bool {
        // SAFETY: verified [uint8] slot.
        unsafe { self.tab.get::<ForwardsUOffset<Vector<'a, u8>>>(slot(5), None) }.is_some()
    }
}

impl Verifiable for Operator<'_> {
    fn run_verifier(v: &mut Verifier, pos: usize) -> Result<(), flatbuffers::InvalidFlatbuffer> {
        v.visit_table(pos)?
            .visit_field::<u32>("opcode_index", slot(0), false)?
            .visit_field::<Vec32>("inputs", slot(1), false)?
            .visit_field::<Vec32>("outputs", slot(2), false)?
            .visit_union::<u8, _>(
                "builtin_options_type",
                slot(3),
                "builtin_options",
                slot(4),
                false,
                |kind, v, pos| match kind {
                    options_type::CONV_2D => {
                        v.verify_union_variant::<ForwardsUOffset<Conv2DOptions>>("Conv2DOptions", pos)
                    }
                    options_type::DEPTHWISE_CONV_2D => v
                        .verify_union_variant::<ForwardsUOffset<DepthwiseConv2DOptions>>(
                            "DepthwiseConv2DOptions",
                            pos,
                        ),
                    options_type::POOL_2D => {
                        v.verify_union_variant::<ForwardsUOffset<Pool2DOptions>>("Pool2DOptions", pos)
                    }
                    options_type::RESHAPE => {
                        v.verify_union_variant::<ForwardsUOffset<ReshapeOptions>>("ReshapeOptions", pos)
                    }
                    options_type::SOFTMAX => {
                        v.verify_union_variant::<ForwardsUOffset<SoftmaxOptions>>("SoftmaxOptions", pos)
                    }
                    // Other option tables are never read: the importer refuses their operators.
                    _ => Ok(()),
                },
            )?
            .visit_field::<ForwardsUOffset<Vector<u8>>>("custom_options", slot(5), false)?
            .finish();
        Ok(())
    }
}

/// Verifies `bytes` as a TFLite `Model` and returns its root view.
///
/// # Errors
/// The verifier's description of the first inconsistency (offsets out of range, misaligned
/// fields, depth or table-count bombs).
pub fn root(bytes: &[u8]) -> Result<Model<'_>, flatbuffers::InvalidFlatbuffer> {
    let opts = VerifierOptions {
        max_depth: 32,
        max_tables: 100_000,
        max_apparent_size: 1 << 31,
        ignore_missing_null_terminator: true,
    };
    flatbuffers::root_with_opts::<Model>(&opts, bytes)
}
