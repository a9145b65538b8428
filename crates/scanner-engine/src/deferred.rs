//! Regexes compiled on first use: a rule set of hundreds of rules costs
//! most of its start-up in regex compilation, while a typical scan confirms
//! candidates of only a few rules.
//!
//! Invariants:
//! - A [`Deferred`] holds a pattern that is known to compile: either it was
//!   compiled when the engine was built (and the result is stored), or it
//!   was compiled by an earlier build of the same engine source with the same
//!   rules (the database cache's key says so, see `db_cache`).
//! - The value is compiled at most once per `Deferred` and shared by every
//!   thread (`OnceLock`); a `Deferred` never changes after that.

use std::sync::OnceLock;

/// How to compile a pattern into a `T`.
pub(crate) type CompileFn<T> = fn(&str) -> Result<T, String>;

/// A pattern and its compiled form, compiled when first asked for.
pub(crate) struct Deferred<T> {
    pattern: Box<str>,
    compile: CompileFn<T>,
    value: OnceLock<T>,
}

impl<T> Deferred<T> {
    /// A pattern compiled already.
    pub(crate) fn ready(pattern: &str, value: T, compile: CompileFn<T>) -> Self {
        let cell = OnceLock::new();
        // A fresh cell is empty, so this cannot fail.
        let _ = cell.set(value);
        Self {
            pattern: pattern.into(),
            compile,
            value: cell,
        }
    }

    /// A pattern known to compile (see the module invariants), compiled on
    /// first use.
    pub(crate) fn later(pattern: &str, compile: CompileFn<T>) -> Self {
        Self {
            pattern: pattern.into(),
            compile,
            value: OnceLock::new(),
        }
    }

    /// The compiled pattern.
    ///
    /// # Panics
    /// Only if a pattern that compiled in an earlier build of the same engine
    /// no longer compiles, which the cache key (engine source and version)
    /// rules out.
    pub(crate) fn get(&self) -> &T {
        self.value.get_or_init(|| {
            (self.compile)(&self.pattern).unwrap_or_else(|e| {
                panic!(
                    "pattern `{}` compiled when the rule set was cached but not now: {e}",
                    self.pattern
                )
            })
        })
    }

    /// Whether the pattern has been compiled.
    #[cfg(test)]
    pub(crate) fn is_compiled(&self) -> bool {
        self.value.get().is_some()
    }
}

impl<T> std::fmt::Debug for Deferred<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Deferred")
            .field("pattern", &self.pattern)
            .field("compiled", &self.value.get().is_some())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_len(p: &str) -> Result<usize, String> {
        p.parse::<usize>().map_err(|e| e.to_string())
    }

    #[test]
    fn compiles_once_on_first_use() {
        let d = Deferred::later("42", parse_len);
        assert!(!d.is_compiled());
        assert_eq!(*d.get(), 42);
        assert!(d.is_compiled());
        let r = Deferred::ready("7", 7, parse_len);
        assert!(r.is_compiled());
        assert_eq!(*r.get(), 7);
    }
}
