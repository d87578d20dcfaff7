//! Openings as the document store holds them, parsed once per segment document. A worker's
//! matches and a free-text search each answer with up to 20 openings, and reading their stored
//! documents (a block lookup and copy, the JSON and its dates parsed, the ranking's profile
//! built) was some 40 % of a worker's matches at 100,000 workers. Openings are few (one for
//! some twenty workers) and a segment's documents never change, so each is parsed once and
//! kept while it is asked for. A deleted or replaced opening is never asked for again
//! (searches skip deleted documents), so nothing needs invalidating: old entries age out.

use std::sync::Arc;

use quick_cache::sync::Cache;
use quick_cache::Weighter;
use tantivy::index::SegmentId;
use tantivy::schema::Value;
use tantivy::{DocAddress, DocId, Searcher, TantivyDocument};

use super::documents::OpeningDoc;
use super::profile::OpeningProfile;
use super::schema::Fields;

/// An opening's stored document, parsed, with the ranking's reading of it.
pub struct StoredOpening {
    pub doc: OpeningDoc,
    pub profile: OpeningProfile,
    /// Estimated heap bytes held (the cache's weight).
    bytes: u64,
}

#[derive(Clone, Copy, Default)]
struct ByBytes;

impl Weighter<(SegmentId, DocId), Arc<StoredOpening>> for ByBytes {
    fn weight(&self, _key: &(SegmentId, DocId), value: &Arc<StoredOpening>) -> u64 {
        value.bytes
    }
}

/// Parsed openings of one index generation, bounded by their estimated bytes.
pub struct OpeningDocs {
    inner: Cache<(SegmentId, DocId), Arc<StoredOpening>, ByBytes>,
}

/// A parsed opening holds its strings and vectors about twice over its JSON's length (the
/// profile repeats the codes and title words), plus the fixed part.
fn estimated_bytes(json_len: usize) -> u64 {
    (2 * json_len + 512) as u64
}

impl OpeningDocs {
    pub fn new(max_bytes: u64) -> OpeningDocs {
        // Sized for openings of about a kilobyte and a half each, parsed.
        let items = (max_bytes / 1_536).max(16) as usize;
        OpeningDocs {
            inner: Cache::with_weighter(items, max_bytes, ByBytes),
        }
    }

    /// The opening at `addr` (an opening's document of `searcher`), parsed; `None` when the
    /// stored document cannot be read or is not an opening.
    pub fn get(
        &self,
        searcher: &Searcher,
        f: &Fields,
        addr: DocAddress,
    ) -> Option<Arc<StoredOpening>> {
        let segment = searcher
            .segment_readers()
            .get(addr.segment_ord as usize)?
            .segment_id();
        let key = (segment, addr.doc_id);
        if let Some(hit) = self.inner.get(&key) {
            return Some(hit);
        }
        let stored: TantivyDocument = searcher.doc(addr).ok()?;
        let data = stored.get_first(f.data)?.as_str()?;
        let doc: OpeningDoc = serde_json::from_str(data).ok()?;
        let opening = Arc::new(StoredOpening {
            profile: OpeningProfile::of(&doc),
            bytes: estimated_bytes(data.len()),
            doc,
        });
        self.inner.insert(key, opening.clone());
        Some(opening)
    }

    /// Whether no opening is kept (for tests).
    pub fn is_empty(&self) -> bool {
        self.inner.is_empty()
    }
}
