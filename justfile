# Airlock developer commands. `just --list` shows them all.

# Run the service on the fixtures with the embedded SQLite database.
run:
    cargo run --release -p airlock-web -- --config fixtures/airlock.toml

# Run the whole test suite (PostgreSQL too when AIRLOCK_TEST_PG_URL is set; CI always sets it).
test:
    cargo nextest run --workspace --no-fail-fast
    cargo test --workspace --doc

# Start a throwaway PostgreSQL and run the whole suite against both databases.
test-all:
    #!/usr/bin/env bash
    set -euo pipefail
    eval "$(.ci/start-postgres)"
    trap '.ci/stop-postgres "$PG_TMP"' EXIT
    just test

# Lints exactly as CI runs them.
lint:
    cargo fmt --all --check
    cargo clippy --workspace --all-targets -- -D warnings

# Print the request status machine as a Mermaid diagram.
statemachine:
    cargo run -q -p airlock-cli -- statemachine
