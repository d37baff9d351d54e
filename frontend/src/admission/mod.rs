//! Who gets served, within what the process can hold: the caps on connections at once
//! (`caps`: in total and per address, a place held by each connection from accept to its
//! end; past a cap, `503`) and the open-file limit the total cap is derived from, with
//! the bound on files open at once that the derivation counts on (`descriptors`).

mod caps;
mod descriptors;

pub(crate) use caps::{Admission, MAX_REFUSALS_IN_FLIGHT, Place};
pub use descriptors::{DESCRIPTOR_MARGIN, LimitTooSmall, MaxConnections, MaxConnectionsError};
pub(crate) use descriptors::{open_file_permit, total_cap_at_start};
