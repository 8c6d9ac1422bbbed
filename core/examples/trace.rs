//! Imports a vector-clock log (ShiViz or JSON lines) and prints a summary or an export.
//!
//! ```text
//! cargo run -p chronoscope --example trace -- FILE [--regex R] [--delimiter D]
//!     [--mermaid|--sequence|--dot|--json|--shiviz]
//! ```
//! Without `--regex` the format is detected (`chronoscope::trace::import`): a file whose first
//! line is a regex is ShiViz's file form (regex, delimiter, log); one starting with `{` is JSON
//! lines; anything else a GoVector log. Bad input: a message naming the line, exit code 1.
mod common;

use std::process::ExitCode;

use chronoscope::trace::dag::Log;
use chronoscope::trace::export;

const USAGE: &str =
    "usage: trace FILE [--regex R] [--delimiter D] [--mermaid|--sequence|--dot|--json|--shiviz]";

fn import(text: &str, regex: Option<&str>, delimiter: Option<&str>) -> Result<Log, String> {
    chronoscope::trace::import::import(text, regex, delimiter).map_err(|e| e.to_string())
}

/// Runs the example on its command-line arguments (without the program name) and returns what
/// it prints; the golden test calls this in-process.
pub fn render(args: &[String]) -> Result<String, String> {
    let mut args = args.iter().cloned();
    let (mut file, mut regex, mut delimiter, mut format) = (None, None, None, "summary");
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--regex" => regex = Some(args.next().ok_or("--regex needs a value")?),
            "--delimiter" => delimiter = Some(args.next().ok_or("--delimiter needs a value")?),
            "--mermaid" | "--sequence" | "--dot" | "--json" | "--shiviz" => {
                format = match arg.as_str() {
                    "--mermaid" => "mermaid",
                    "--sequence" => "sequence",
                    "--dot" => "dot",
                    "--json" => "json",
                    _ => "shiviz",
                }
            }
            "-h" | "--help" => return Ok(format!("{USAGE}\n")),
            a if a.starts_with("--") => return Err(format!("unknown option {a}\n{USAGE}")),
            _ if file.is_none() => file = Some(arg),
            _ => return Err(format!("one file only\n{USAGE}")),
        }
    }
    let file = file.ok_or(USAGE)?;
    let text = std::fs::read_to_string(&file).map_err(|e| format!("{file}: {e}"))?;
    let log = import(&text, regex.as_deref(), delimiter.as_deref())
        .map_err(|e| format!("{file}: {e}"))?;
    let each = |f: fn(&chronoscope::trace::dag::Execution) -> String| {
        log.executions.iter().map(f).collect::<Vec<_>>().join("\n")
    };
    Ok(match format {
        "mermaid" => each(export::to_mermaid),
        "sequence" => each(export::to_mermaid_sequence),
        "dot" => each(export::to_dot),
        "json" => export::to_json_lines(&log),
        "shiviz" => export::to_shiviz(&log),
        _ => {
            let mut out = format!("{file}: {} execution(s)\n", log.executions.len());
            for x in &log.executions {
                out += &format!(
                    "  {}: {} hosts, {} events, {} messages\n    hosts: {}\n",
                    x.name().unwrap_or("(unnamed)"),
                    x.hosts().len(),
                    x.events().len(),
                    x.messages().count(),
                    x.hosts().join(", ")
                );
            }
            out
        }
    })
}

fn main() -> ExitCode {
    common::run(render)
}
