//! Running a plan: the memory of one inference ([`Arena`]), the layers handed to the thread
//! team ([`run`]), and the weights packed for a kernel set ([`pack`]). The session
//! ([`super::session`]) is only the public API over these.
//!
//! Running a frame allocates nothing: the input is copied into the arena's input buffer and the
//! layers ping-pong between two buffers sized for the largest activation. With threads (see
//! [`crate::kernels::parallel`]) each convolution is cut into chunks of output pixels that the
//! calling thread and the helper threads claim from a shared counter; the session's
//! [`crate::kernels::parallel::Executor`] measures whether the team or the caller alone is
//! faster and uses that.

mod arena;
mod layers;
mod pack;
mod selftest;

pub use arena::Activation;
pub(crate) use arena::Arena;
pub(crate) use layers::{Mode, Observer, run};
pub(crate) use pack::pack;
pub(crate) use selftest::agree;
