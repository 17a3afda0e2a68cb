//! DBL-9: faults injected into the next calls to an endpoint.

use super::{Endpoint, State};
use std::time::Duration;

/// DBL-9: what an injected fault does instead of the normal answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Answer this status with this body (JSON text or anything else).
    Status(u16, String),
    /// Wait this long, then close the connection without answering.
    Stall(Duration),
    /// Close the connection at once without answering.
    Drop,
}

impl State {
    /// DBL-9: takes one injected fault for `endpoint`, if any is left.
    pub(super) fn take_fault(&mut self, endpoint: Endpoint) -> Option<Fault> {
        let slot = self
            .faults
            .iter_mut()
            .find(|(e, _, times)| *e == endpoint && *times > 0)?;
        slot.2 -= 1;
        let fault = slot.1.clone();
        self.faults.retain(|(_, _, times)| *times > 0);
        Some(fault)
    }
}
