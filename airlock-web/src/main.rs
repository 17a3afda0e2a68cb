//! Placeholder binary: the web service is not implemented yet.

fn main() -> anyhow::Result<()> {
    anyhow::bail!(
        "{} is not available yet; use the `airlock` operator CLI",
        airlock_web::SERVICE_NAME
    )
}
