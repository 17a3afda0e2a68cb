//! Placeholder binary: the upload worker is not implemented yet.

fn main() -> anyhow::Result<()> {
    anyhow::bail!("{} is not available yet", airlock_uploader::WORKER_NAME)
}
