//! What every example's `main` does with its `render` function: print the text it returns, or
//! the error on standard error with a failing exit code. Each example keeps its work in
//! `render(&[String]) -> Result<String, String>` so the golden tests can run it in-process.
use std::process::ExitCode;

/// Runs `render` on the command-line arguments (without the program name): prints its text and
/// succeeds, or prints `error: …` to standard error and fails.
pub fn run(render: fn(&[String]) -> Result<String, String>) -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match render(&args) {
        Ok(out) => {
            print!("{out}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
