//! The `airlock` operator command line. Everything lives in the library; see
//! [`airlock_cli::run`].

use std::process::ExitCode;

fn main() -> ExitCode {
    airlock_cli::run(std::env::args_os())
}
