//! A replicated key-value store with pluggable conflict detection (Dynamo-style contexts).
