//! Tantivy: the occupation suggester (free text to CSCO codes) and the skills index.

pub mod suggest;
