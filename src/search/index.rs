//! The index's life on disk: generations (`gen-000001`, ...) named by a `CURRENT` file, so a
//! fresh index can be built beside the live one and swapped in atomically by a rename.
//! Each commit's payload records how far through the outbox the index got.

use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::{Deserialize, Serialize};
use tantivy::{Index, IndexReader, IndexSettings, ReloadPolicy};

/// Stored-document block size (tantivy's default is 16 KiB).
const DOCSTORE_BLOCK_BYTES: usize = 4 * 1024;

use super::filters::FilterCache;
use super::opening_docs::OpeningDocs;
use super::schema::{build_schema, register_tokenizers, Fields};

/// An open generation of the index, shared by every search.
/// Decompressed 4 KiB document-store blocks kept per segment (at most 8 MiB each). Every
/// candidate list reads up to 400 stored documents, and decompressing their blocks was a sixth
/// of the server's CPU; when the store fits (a program of some 10,000 workers), uncached
/// candidate requests went from about 386 to 484 per second. At 100,000 and more it fits only
/// in part and made no measurable difference.
const DOC_STORE_CACHE_BLOCKS: usize = 2_048;

/// Bytes of dense terms' bitsets kept (see `filters`): a bit per document, so 125 KB per term
/// at a million documents; room for some 500 terms (common trades, destinations, "anywhere",
/// home counties), more than a program of a million workers has dense.
const FILTER_CACHE_BYTES: u64 = 64 << 20;

/// Bytes of parsed openings kept (see `opening_docs`): some 20,000 openings of a kilobyte and
/// a half, the open openings of a program of 400,000 workers; at a million, the most asked.
const OPENING_DOCS_BYTES: u64 = 32 << 20;

pub struct LiveIndex {
    pub generation: u64,
    pub index: Index,
    pub reader: IndexReader,
    pub fields: Fields,
    /// Dense filter terms' documents per segment of this index.
    pub filters: FilterCache,
    /// Openings' stored documents, parsed (see `opening_docs`).
    pub openings: OpeningDocs,
}

impl LiveIndex {
    pub fn open(dir: &Path, generation: u64) -> anyhow::Result<LiveIndex> {
        let path = generation_dir(dir, generation);
        let index = Index::open_in_dir(&path)
            .with_context(|| format!("opening the index in {}", path.display()))?;
        LiveIndex::from_index(index, generation)
    }

    fn from_index(mut index: Index, generation: u64) -> anyhow::Result<LiveIndex> {
        register_tokenizers(&index);
        // Segments are searched in parallel: one query's latency drops with the cores; under
        // concurrent load the same threads are shared.
        let threads = crate::cores();
        if threads > 1 {
            index.set_multithread_executor(threads)?;
        }
        let (_, fields) = build_schema();
        // Reloaded explicitly after each commit, so the indexer knows when a change is visible.
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .doc_store_cache_num_blocks(DOC_STORE_CACHE_BLOCKS)
            .try_into()?;
        Ok(LiveIndex {
            generation,
            index,
            reader,
            fields,
            filters: FilterCache::new(FILTER_CACHE_BYTES),
            openings: OpeningDocs::new(OPENING_DOCS_BYTES),
        })
    }

    /// An empty index in RAM, used until the first generation exists.
    pub fn empty() -> anyhow::Result<LiveIndex> {
        let (schema, _) = build_schema();
        LiveIndex::from_index(Index::create_in_ram(schema), 0)
    }

    pub fn progress(&self) -> Progress {
        Progress::of(&self.index)
    }
}

/// How far through the outbox an index is: every change up to `upto` is applied except the
/// `gaps`: sequence numbers not yet visible when higher ones were (their transactions had not
/// committed). A gap is retried until it shows up, or until every transaction that could own it
/// has ended (`horizon`: the snapshot's xmax when the gap was seen), which means it rolled back.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Progress {
    pub upto: i64,
    pub gaps: Vec<(i64, i64)>,
}

impl Progress {
    pub fn of(index: &Index) -> Progress {
        index
            .load_metas()
            .ok()
            .and_then(|m| m.payload)
            .and_then(|p| serde_json::from_str(&p).ok())
            .unwrap_or_default()
    }

    /// Every change at or below this number is in the index.
    pub fn visible_upto(&self) -> i64 {
        self.gaps
            .iter()
            .map(|(seq, _)| seq - 1)
            .min()
            .unwrap_or(self.upto)
            .min(self.upto)
    }
}

pub fn generation_dir(dir: &Path, generation: u64) -> PathBuf {
    dir.join(format!("gen-{generation:06}"))
}

/// The generation named by `CURRENT`, if any.
pub fn current_generation(dir: &Path) -> Option<u64> {
    let text = std::fs::read_to_string(dir.join("CURRENT")).ok()?;
    text.trim().strip_prefix("gen-")?.parse().ok()
}

/// Makes `generation` the live one: write a temp file, fsync, rename over CURRENT.
pub fn set_current(dir: &Path, generation: u64) -> anyhow::Result<()> {
    use std::io::Write;
    let tmp = dir.join("CURRENT.tmp");
    {
        let mut f = std::fs::File::create(&tmp)?;
        writeln!(f, "gen-{generation:06}")?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, dir.join("CURRENT"))?;
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// Whether `generation` was built with today's schema. An index from an older build has other
/// fields (or the same names in other places) and must be rebuilt from PostgreSQL before use.
pub fn has_current_schema(dir: &Path, generation: u64) -> bool {
    Index::open_in_dir(generation_dir(dir, generation))
        .map(|index| index.schema() == build_schema().0)
        .unwrap_or(false)
}

/// Creates the directory of a new, empty generation (numbered after every existing one).
pub fn create_generation(dir: &Path) -> anyhow::Result<(u64, Index)> {
    std::fs::create_dir_all(dir)?;
    let newest = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            e.file_name()
                .to_str()?
                .strip_prefix("gen-")?
                .parse::<u64>()
                .ok()
        })
        .max()
        .unwrap_or(0);
    let generation = newest + 1;
    let path = generation_dir(dir, generation);
    std::fs::create_dir_all(&path)?;
    let (schema, _) = build_schema();
    // Matching reads a few hundred stored documents per query, scattered over the index: small
    // blocks mean little is decompressed that is not wanted.
    let settings = IndexSettings {
        docstore_blocksize: DOCSTORE_BLOCK_BYTES,
        ..IndexSettings::default()
    };
    let index = Index::builder()
        .schema(schema)
        .settings(settings)
        .create_in_dir(&path)
        .with_context(|| format!("creating the index in {}", path.display()))?;
    register_tokenizers(&index);
    Ok((generation, index))
}

/// Removes generations older than the live one (after a swap, once nothing reads them).
pub fn remove_old_generations(dir: &Path, keep: u64) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let old = e
            .file_name()
            .to_str()
            .and_then(|n| n.strip_prefix("gen-"))
            .and_then(|n| n.parse::<u64>().ok())
            .map(|g| g < keep)
            .unwrap_or(false);
        if old {
            if let Err(err) = std::fs::remove_dir_all(e.path()) {
                tracing::warn!(error = %err, dir = %e.path().display(), "removing an old index generation");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn visible_upto_stops_below_the_first_gap() {
        let p = Progress {
            upto: 10,
            gaps: vec![(7, 100), (9, 100)],
        };
        assert_eq!(p.visible_upto(), 6);
        assert_eq!(
            Progress {
                upto: 10,
                gaps: vec![]
            }
            .visible_upto(),
            10
        );
    }

    #[test]
    fn generations_and_current() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(current_generation(dir.path()), None);
        let (g1, _) = create_generation(dir.path()).unwrap();
        let (g2, _) = create_generation(dir.path()).unwrap();
        assert_eq!((g1, g2), (1, 2));
        set_current(dir.path(), g2).unwrap();
        assert_eq!(current_generation(dir.path()), Some(2));
        remove_old_generations(dir.path(), 2);
        assert!(!generation_dir(dir.path(), 1).exists());
        assert!(LiveIndex::open(dir.path(), 2).is_ok());
    }
}
