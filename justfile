# Airlock developer commands. `just --list` shows them all.

airlock := "cargo run -q -p airlock-cli -- --config fixtures/airlock.toml"

# Try the operator CLI on the fixtures: a request from a workspace, the audit log, its check.
cli-demo:
    {{airlock}} migrate
    {{airlock}} check-config
    {{airlock}} create-request vaccine-uptake output/uptake --username researcher_1 --supporting output/uptake/uptake_by_age.csv
    {{airlock}} audit
    {{airlock}} audit verify

# Write a synthetic workspace of N outputs into fixtures/work/workspaces (for benchmarks).
generate-workspace N="10000":
    cargo run -q --release -p airlock-cli -- fixtures generate-workspace fixtures/work/workspaces --name synthetic-{{N}} --outputs {{N}}

# Run the benchmarks (each prints its figures next to its target).
bench:
    cargo bench -p airlock-core --bench rules
    cargo bench -p airlock-store --bench workspace
    cargo bench -p airlock-store --bench add_file
    cargo bench -p airlock-store --bench audit_verify
    cargo bench -p airlock-web --bench load
    cargo bench -p airlock-uploader --bench upload

# Load benchmark of the service: 16 connections on a 10 000-output workspace (release build).
load:
    cargo bench -p airlock-web --bench load

# Upload benchmark: the worker sends a 1 GiB file to the Jobs-site double, against curl.
bench-upload:
    cargo bench -p airlock-uploader --bench upload

# Run the background worker on its own (for `airlock-web --no-worker`), on the fixtures.
worker:
    cargo run --release -p airlock-uploader -- --config fixtures/airlock.toml

# Run the service on the fixtures (SQLite under fixtures/work/); prints its URL and the users.
run:
    cargo run --release -p airlock-web -- --config fixtures/airlock.toml

# Run the whole test suite: the README's second command (PostgreSQL too when it is installed).
test:
    cargo test --workspace

# The same suite through cargo-nextest, which runs tests in parallel processes (optional:
# `cargo install cargo-nextest`); doc tests still need `cargo test --doc`.
test-fast:
    cargo nextest run --workspace --no-fail-fast
    cargo test --workspace --doc

# Full-page PNGs of the pages, 1280 px wide, into docs/screenshots/ (Chromium and chromedriver;
# the list of pages is PAGES in airlock-web/examples/screenshots.rs).
screenshots:
    cargo run -q -p airlock-web --example screenshots -- docs/screenshots

# Lints exactly as CI runs them.
lint:
    cargo fmt --all --check
    cargo clippy --workspace --all-targets -- -D warnings

# Print the request status machine as a Mermaid diagram.
statemachine:
    cargo run -q -p airlock-cli -- statemachine
