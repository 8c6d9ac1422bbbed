//! ShiViz parser regexes run by the browser's own `RegExp` (ECMAScript 2018, §22.2): exact
//! JavaScript semantics — look-ahead and look-behind, back-references, `^`/`$` with the `m`
//! flag, named groups — as ShiViz itself runs them, and no regex engine in the WebAssembly
//! bundle (the core's native engine, `regex-automata`, is left out of the browser build).
//!
//! A backtracking engine cannot be interrupted once a match has started, so the page guards
//! itself before and while it runs: a pattern with a repetition that could backtrack
//! exponentially is refused when it compiles (`chronoscope::trace::backtracking`), and a log
//! line longer than [`MAX_LINE_CHARS`] is refused before the search, which bounds the work of
//! polynomial patterns (`.*.*=`). Matches are read in batches (one call into JavaScript per
//! [`BATCH`] matches) and their UTF-16 offsets turned into the byte offsets the core uses.
//!
//! Invariant: compiling or running any pattern over any text returns matches or a
//! `PatternError`; it never panics and never starts a search the guards refuse.

use chronoscope::trace::pattern::Engine;

/// The engine a ShiViz import uses in this build: the browser's `RegExp` in the browser,
/// the core's native engine in host-side tests and tools.
pub fn engine() -> &'static dyn Engine {
    #[cfg(target_arch = "wasm32")]
    {
        &browser::BrowserEngine
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        &chronoscope::trace::js_regex::NativeEngine
    }
}

/// The longest log line the browser engine searches, in characters.
pub const MAX_LINE_CHARS: usize = 32 * 1024;

/// Matches read per call into JavaScript.
pub const BATCH: u32 = 4096;

#[cfg(target_arch = "wasm32")]
pub use browser::BrowserEngine;

#[cfg(target_arch = "wasm32")]
mod browser {
    use std::ops::Range;
    use std::rc::Rc;

    use chronoscope::trace::backtracking;
    use chronoscope::trace::pattern::{group_names, Engine, OnMatch, Pattern, PatternError};
    use js_sys::{Int32Array, JsString, RegExp};
    use wasm_bindgen::prelude::*;

    use super::{BATCH, MAX_LINE_CHARS};

    #[wasm_bindgen(inline_js = r#"
export function compile_regex(source) { return new RegExp(source, "dgm"); }
export function count_groups(source) { return new RegExp(source + "|", "m").exec("").length; }
export function exec_batch(re, text, from, max) {
  re.lastIndex = from;
  const out = [];
  for (let n = 0; n < max; n++) {
    const m = re.exec(text);
    if (m === null) { out.push(-1); return new Int32Array(out); }
    for (const span of m.indices) {
      if (span === undefined) { out.push(-1, -1); } else { out.push(span[0], span[1]); }
    }
    if (m[0].length === 0) { re.lastIndex++; }
  }
  out.push(re.lastIndex);
  return new Int32Array(out);
}
"#)]
    extern "C" {
        #[wasm_bindgen(catch)]
        fn compile_regex(source: &str) -> Result<RegExp, JsValue>;
        #[wasm_bindgen(catch)]
        fn count_groups(source: &str) -> Result<u32, JsValue>;
        #[wasm_bindgen(catch)]
        fn exec_batch(
            re: &RegExp,
            text: &JsString,
            from: u32,
            max: u32,
        ) -> Result<Int32Array, JsValue>;
    }

    /// The reason in a JavaScript error, without the pattern it echoes
    /// (`Invalid regular expression: /(a/dgm: Unterminated group` → `Unterminated group`).
    fn reason(e: &JsValue) -> String {
        let text = e
            .dyn_ref::<js_sys::Error>()
            .map(|e| String::from(e.message()))
            .or_else(|| e.as_string())
            .unwrap_or_else(|| String::from("the browser refused the pattern"));
        match text.rsplit_once(": ") {
            Some((_, reason)) if !reason.is_empty() => reason.to_owned(),
            _ => text,
        }
    }

    /// The browser's `RegExp`, with the guards of the module docs.
    #[derive(Clone, Copy, Debug, Default)]
    pub struct BrowserEngine;

    impl Engine for BrowserEngine {
        fn compile(&self, source: &str) -> Result<Rc<dyn Pattern>, PatternError> {
            let regex = compile_regex(source).map_err(|e| PatternError::Invalid(reason(&e)))?;
            backtracking::check(source)?;
            let names = group_names(source);
            let counted = count_groups(source).map_err(|e| PatternError::Failed(reason(&e)))?;
            if counted as usize != names.len() {
                return Err(PatternError::Failed(format!(
                    "its capture groups could not be numbered ({} by the browser, {} read from the pattern)",
                    counted.saturating_sub(1),
                    names.len() - 1
                )));
            }
            Ok(Rc::new(BrowserPattern { regex, names }))
        }
    }

    #[derive(Debug)]
    struct BrowserPattern {
        regex: RegExp,
        names: Vec<Option<String>>,
    }

    /// Byte offsets of UTF-16 offsets in one text, walked from the last one asked (matches
    /// come in order, so the walk is linear overall). An offset inside a surrogate pair
    /// rounds up to the end of its character.
    struct Offsets<'a> {
        text: &'a str,
        ascii: bool,
        unit: usize,
        byte: usize,
    }

    impl Offsets<'_> {
        fn byte(&mut self, unit: i32) -> usize {
            let unit = unit.max(0) as usize;
            if self.ascii {
                return unit.min(self.text.len());
            }
            while self.unit > unit {
                let Some(c) = self.text[..self.byte].chars().next_back() else {
                    break;
                };
                self.byte -= c.len_utf8();
                self.unit -= c.len_utf16();
            }
            while self.unit < unit {
                let Some(c) = self.text[self.byte..].chars().next() else {
                    break;
                };
                self.byte += c.len_utf8();
                self.unit += c.len_utf16();
            }
            self.byte
        }
    }

    /// Refuses a text with a line longer than [`MAX_LINE_CHARS`].
    fn check_lines(text: &str, base: usize) -> Result<(), PatternError> {
        let mut at = 0;
        for line in text.split('\n') {
            if line.len() > MAX_LINE_CHARS {
                let chars = line.chars().count();
                if chars > MAX_LINE_CHARS {
                    return Err(PatternError::LineTooLong {
                        at: base + at,
                        chars,
                        limit: MAX_LINE_CHARS,
                    });
                }
            }
            at += line.len() + 1;
        }
        Ok(())
    }

    impl Pattern for BrowserPattern {
        fn group_names(&self) -> &[Option<String>] {
            &self.names
        }

        fn for_each_match(
            &self,
            text: &str,
            range: Range<usize>,
            on_match: &mut OnMatch<'_>,
        ) -> Result<(), PatternError> {
            let base = range.start;
            let Some(segment) = text.get(range) else {
                return Err(PatternError::Failed(String::from(
                    "the range searched is not on character boundaries",
                )));
            };
            check_lines(segment, base)?;
            let js = JsString::from(segment);
            let width = 2 * self.names.len();
            let mut offsets = Offsets {
                text: segment,
                ascii: segment.is_ascii(),
                unit: 0,
                byte: 0,
            };
            let mut spans: Vec<Option<Range<usize>>> = vec![None; self.names.len()];
            let mut from = 0;
            loop {
                let batch = exec_batch(&self.regex, &js, from, BATCH)
                    .map_err(|e| PatternError::Failed(reason(&e)))?
                    .to_vec();
                let Some((&next, matches)) = batch.split_last() else {
                    return Ok(());
                };
                for found in matches.chunks_exact(width) {
                    for (span, pair) in spans.iter_mut().zip(found.chunks_exact(2)) {
                        *span = (pair[0] >= 0).then(|| {
                            let start = offsets.byte(pair[0]);
                            base + start..base + offsets.byte(pair[1]).max(start)
                        });
                    }
                    if !on_match(&spans) {
                        return Ok(());
                    }
                }
                if next < 0 {
                    return Ok(());
                }
                from = next as u32;
            }
        }
    }
}
