//! `statemachine`: the status machine as a Mermaid diagram (§4).

use crate::EXIT_OK;
use std::io::Write;

/// Prints [`airlock_core::transition::mermaid`].
pub fn run(out: &mut dyn Write) -> anyhow::Result<u8> {
    out.write_all(airlock_core::transition::mermaid().as_bytes())?;
    Ok(EXIT_OK)
}
