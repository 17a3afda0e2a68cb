//! `fixtures generate-workspace`: a synthetic workspace for benchmarks and demos.

use crate::EXIT_OK;
use crate::cli::GenerateWorkspaceArgs;
use airlock_core::workspace::validate_workspace_name;
use airlock_store::generate::{OutputKind, generate_workspace};
use anyhow::Context;
use std::io::Write;

/// Writes the workspace and prints what was written.
pub fn generate(args: &GenerateWorkspaceArgs, out: &mut dyn Write) -> anyhow::Result<u8> {
    validate_workspace_name(&args.name)?;
    let target = args.dir.join(&args.name);
    if target.exists() {
        anyhow::bail!(
            "{} exists already: remove it or choose another --name",
            target.display()
        );
    }
    let generated = generate_workspace(&args.dir, &args.name, args.outputs, args.seed)
        .with_context(|| format!("cannot write {}", target.display()))?;
    let shown = generated.of_kind(OutputKind::Shown).count();
    if args.json {
        let value = serde_json::json!({
            "workspace": args.name,
            "dir": generated.dir,
            "outputs": generated.outputs.len(),
            "shown": shown,
            "logs": generated.logs.len(),
        });
        writeln!(out, "{value}")?;
    } else {
        writeln!(
            out,
            "Wrote workspace {} to {}: {} outputs ({} shown by default), {} logs.",
            args.name,
            generated.dir.display(),
            generated.outputs.len(),
            shown,
            generated.logs.len()
        )?;
    }
    Ok(EXIT_OK)
}
