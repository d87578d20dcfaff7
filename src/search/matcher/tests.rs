//! The matcher's tests: every ranking checked against scoring every pair.

use super::*;
use crate::search::documents::{opening_document, worker_document, SkillDoc};
use crate::search::profile::title_words;

fn ranking() -> Arc<Ranking> {
    Arc::new(Ranking {
        weights: Default::default(),
        names: Names::new(),
        related: Relatedness::from_seed().unwrap(),
    })
}

fn worker(id: i64, code: &str, years: f32, notes: &str) -> WorkerDoc {
    WorkerDoc {
        id,
        skills: vec![SkillDoc {
            code: code.into(),
            certified: false,
            level: None,
            years,
            certified_on: None,
        }],
        notes: notes.into(),
        ..WorkerDoc::example()
    }
}

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 28).unwrap()
}

fn index_of(workers: &[WorkerDoc], openings: &[OpeningDoc]) -> LiveIndex {
    let live = LiveIndex::empty().unwrap();
    let mut writer: tantivy::IndexWriter =
        live.index.writer_with_num_threads(1, 15_000_000).unwrap();
    for w in workers {
        writer
            .add_document(worker_document(&live.fields, w))
            .unwrap();
    }
    for o in openings {
        writer
            .add_document(opening_document(&live.fields, o))
            .unwrap();
    }
    writer.commit().unwrap();
    live.reader.reload().unwrap();
    live
}

fn opening(title: &str) -> OpeningDoc {
    OpeningDoc {
        title: title.into(),
        title_words: title_words(title),
        ..OpeningDoc::example()
    }
}

fn ranked(live: &LiveIndex, o: &OpeningDoc) -> Candidates {
    candidates(live, o, None, today(), &ranking(), 500, Segments::Spread).unwrap()
}

#[test]
fn every_worker_that_passes_is_ranked_and_only_limit_are_answered() {
    // A riveter (铆工) can stand in for a welder: with hundreds of welders he is still
    // ranked (no shortlist cuts him off), below them at his weaker fit.
    let mut workers: Vec<WorkerDoc> = (0..450)
        .map(|i| worker(i + 1, "6-18-02-04", 0.2, "电焊"))
        .collect();
    workers.push(worker(100_000, "6-18-01-11", 20.0, "铆焊 电焊"));
    let live = index_of(&workers, &[]);
    let o = opening("招电焊工");
    let all = ranked(&live, &o);
    assert_eq!(all.passed_filters, 451);
    assert_eq!(all.items.len(), 451);
    let top = candidates(&live, &o, None, today(), &ranking(), 5, Segments::Spread).unwrap();
    assert_eq!(top.passed_filters, 451);
    let ids: Vec<i64> = top.items.iter().map(|c| c.worker_id).collect();
    let expected: Vec<i64> = all.items.iter().take(5).map(|c| c.worker_id).collect();
    assert_eq!(ids, expected);
    assert_eq!(all.items.last().unwrap().worker_id, 100_000);
    assert_eq!(ids, vec![1, 2, 3, 4, 5], "equal scores: the lower id first");
    assert!(all.items.windows(2).all(|p| p[0].score > p[1].score
        || (p[0].score == p[1].score && p[0].worker_id < p[1].worker_id)));
}

#[test]
fn other_trades_of_the_unit_group_stay_out_of_a_short_list() {
    let workers = vec![
        worker(1, "6-18-02-04", 2.0, "电焊"),
        // Cutter and caster share the welders' unit group; the table says neither welds.
        worker(2, "6-18-02-05", 9.0, "火焰切割"),
        worker(3, "6-18-02-01", 9.0, "铸造 浇注"),
    ];
    let list = ranked(&index_of(&workers, &[]), &opening("招电焊工"));
    let ids: Vec<i64> = list.items.iter().map(|c| c.worker_id).collect();
    assert_eq!(ids, vec![1]);
    assert_eq!(list.passed_filters, 1);
}

#[test]
fn the_titles_own_words_in_the_notes_count() {
    let workers = vec![
        worker(1, "6-18-02-04", 5.0, "二保焊 钢结构"),
        worker(2, "6-18-02-04", 5.0, "氩弧焊 船厂 不锈钢"),
    ];
    let list = ranked(&index_of(&workers, &[]), &opening("船厂急招氩弧焊工"));
    assert_eq!(list.items[0].worker_id, 2);
    assert_eq!(
        list.items[0].explanation.title_words,
        vec!["船厂", "氩弧焊"]
    );
    assert_eq!(list.items[0].explanation.score.title_words, 2.0);
    assert!(list.items[1].explanation.title_words.is_empty());
}

#[test]
fn a_pair_scores_the_same_from_either_side() {
    let mut o = opening("船厂急招氩弧焊工 持证上岗");
    o.requirements.certificate = crate::domain::requirements::CertificateRule::Required;
    let w = worker(7, "6-18-02-04", 6.0, "氩弧焊 船厂");
    let live = index_of(std::slice::from_ref(&w), std::slice::from_ref(&o));
    let from_opening = ranked(&live, &o).items[0].score;
    let from_worker = matches_for_worker(&live, &w, today(), &ranking(), 10).unwrap();
    assert_eq!(from_worker[0].opening_id, o.id);
    assert_eq!(from_worker[0].score, from_opening);
    assert_eq!(
        from_worker[0].explanation.title_words,
        vec!["船厂", "氩弧焊"]
    );
}

/// A varied world: welders, riveters, cutters, cooks and noodle cooks, some certified (some
/// recently), some from poor households, with notes that hold title words or not.
fn world() -> (Vec<WorkerDoc>, Vec<OpeningDoc>) {
    use crate::domain::requirements::CertificateRule;
    let codes = [
        "6-18-02-04",
        "6-18-01-11",
        "6-18-02-05",
        "4-03-02-01",
        "4-03-02-02",
        "6-18-02-00",
    ];
    let notes = [
        "电焊 船厂",
        "氩弧焊 不锈钢",
        "拉面 牛肉面",
        "炒菜",
        "",
        "铆焊 钢结构",
    ];
    let statuses = [
        None,
        Some("registered_poor"),
        Some("monitored"),
        Some("exited"),
    ];
    let workers = (0..600i64)
        .map(|i| {
            let k = i as usize;
            let mut w = worker(
                i + 1,
                codes[k % codes.len()],
                (k * 7 % 97) as f32 / 4.0,
                notes[k * 5 % notes.len()],
            );
            if k.is_multiple_of(3) {
                w.skills.push(SkillDoc {
                    code: codes[(k / 3) % codes.len()].into(),
                    certified: true,
                    level: Some(4),
                    years: 0.0,
                    certified_on: Some(today() - chrono::Duration::days((k * 13 % 800) as i64)),
                });
            }
            w.household_status = statuses[k % statuses.len()].map(str::to_string);
            w.min_wage = 4000 + (k % 7) as i32 * 500;
            w
        })
        .collect();
    let mut openings = Vec::new();
    for (i, (title, code, rule)) in [
        (
            "船厂急招氩弧焊工 持证上岗",
            "6-18-02-04",
            CertificateRule::Required,
        ),
        ("牛肉拉面馆招拉面师傅", "4-03-02-01", CertificateRule::None),
        (
            "招电焊工 三年以上",
            "6-18-02-04",
            CertificateRule::Preferred,
        ),
        ("钢结构厂招焊工", "6-18-02-00", CertificateRule::None),
    ]
    .into_iter()
    .enumerate()
    {
        let mut o = opening(title);
        o.id = 100 + i as i64;
        o.required = vec![code.into()];
        o.requirements.certificate = rule;
        o.requirements.min_years = (i as f32) * 1.5;
        o.wage_max = 6500 + 500 * i as i32;
        if i == 1 {
            o.title_trade = Some(crate::search::title_trade::TitleTrade {
                code: "4-03-02-02".into(),
                confidence: 0.9,
                other_trade_than: Vec::new(),
            });
        }
        openings.push(o);
    }
    (workers, openings)
}

fn words_in_notes(o: &OpeningDoc, w: &WorkerDoc) -> Vec<usize> {
    let notes = note_terms(&w.notes);
    OpeningProfile::of(o)
        .title_words
        .iter()
        .enumerate()
        .filter(|(_, word)| word.terms.iter().any(|t| notes.contains(t)))
        .map(|(i, _)| i)
        .collect()
}

/// The candidates of `o` as scoring every worker one by one ranks them (best first, then by id).
fn every_pair_ranked(workers: &[WorkerDoc], o: &OpeningDoc, ranking: &Ranking) -> Vec<(f32, i64)> {
    let profile = OpeningProfile::of(o);
    let mut ranked: Vec<(f32, i64)> = workers
        .iter()
        .filter_map(|w| {
            let words = words_in_notes(o, w);
            super::super::score::score_pair(&profile, o, w, &words, today(), ranking)
                .map(|e| (e.score.total, w.id))
        })
        .collect();
    ranked.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    ranked
}

#[test]
fn one_pass_ranks_exactly_as_scoring_every_pair() {
    let (workers, openings) = world();
    let live = index_of(&workers, &openings);
    let ranking = ranking();
    for o in &openings {
        let expected = every_pair_ranked(&workers, o, &ranking);
        let passed = expected.len();
        assert!(passed > 50, "{}: {passed} pass", o.title);
        for walk in [Walk::Buckets, Walk::Groups, Walk::ByDensity] {
            for segments in [Segments::Spread, Segments::InTurn] {
                for limit in [1, 7, 20, 100] {
                    let got =
                        candidates_walked(&live, o, None, today(), &ranking, limit, walk, segments)
                            .unwrap();
                    let got: Vec<(f32, i64)> =
                        got.items.iter().map(|c| (c.score, c.worker_id)).collect();
                    assert_eq!(
                        got,
                        expected[..limit.min(passed)],
                        "{} limit {limit} {walk:?} {segments:?}",
                        o.title
                    );
                }
            }
        }
        assert_eq!(
            candidates(&live, o, None, today(), &ranking, 20, Segments::Spread)
                .unwrap()
                .passed_filters,
            passed
        );
    }
    for w in workers.iter().step_by(37) {
        let mut expected: Vec<(f32, i64)> = openings
            .iter()
            .filter_map(|o| {
                let words = words_in_notes(o, w);
                let profile = OpeningProfile::of(o);
                super::super::score::score_pair(&profile, o, w, &words, today(), &ranking)
                    .map(|e| (e.score.total, o.id))
            })
            .collect();
        expected.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        let matched = || -> Vec<(f32, i64)> {
            matches_for_worker(&live, w, today(), &ranking, 10)
                .unwrap()
                .iter()
                .map(|m| (m.score, m.opening_id))
                .collect()
        };
        let got = matched();
        assert_eq!(got, expected, "worker {}", w.id);
        // Again, now from the openings parsed the first time and kept (`opening_docs`).
        assert!(!live.openings.is_empty());
        assert_eq!(matched(), expected, "worker {}, kept openings", w.id);
    }
}

#[test]
fn segments_and_deletions_count_and_rank_as_the_engine_and_every_pair_do() {
    let (mut workers, openings) = world();
    let live = LiveIndex::empty().unwrap();
    let mut writer: tantivy::IndexWriter =
        live.index.writer_with_num_threads(1, 15_000_000).unwrap();
    writer.set_merge_policy(Box::new(tantivy::merge_policy::NoMergePolicy));
    let f = live.fields;
    for part in workers.chunks(250) {
        for w in part {
            writer.add_document(worker_document(&f, w)).unwrap();
        }
        writer.commit().unwrap();
    }
    for o in &openings {
        writer.add_document(opening_document(&f, o)).unwrap();
    }
    // Some workers leave, one gains years: deleted documents stay in their segments.
    for id in (1..600).step_by(9) {
        writer.delete_term(term(f.key, &format!("w:{id}")));
    }
    workers.retain(|w| (w.id - 1) % 9 != 0);
    let w = workers.iter_mut().find(|w| w.id == 5).unwrap();
    w.skills[0].years = 30.0;
    writer.delete_term(term(f.key, "w:5"));
    writer.add_document(worker_document(&f, w)).unwrap();
    writer.commit().unwrap();
    live.reader.reload().unwrap();
    assert!(live.reader.searcher().segment_readers().len() >= 3);
    let ranking = ranking();
    let check = |workers: &[WorkerDoc]| {
        let searcher = live.reader.searcher();
        for o in &openings {
            let profile = OpeningProfile::of(o);
            let expected = every_pair_ranked(workers, o, &ranking);
            let query = candidate_query(&f, o, &profile, None, &ranking.related);
            let engine = searcher.search(&query, &tantivy::collector::Count).unwrap();
            // Twice: the second answers from the filters kept by the first.
            for (walk, segments) in [
                (Walk::Groups, Segments::Spread),
                (Walk::Buckets, Segments::InTurn),
                (Walk::Groups, Segments::InTurn),
                (Walk::Buckets, Segments::Spread),
            ] {
                let got = candidates_walked(&live, o, None, today(), &ranking, 20, walk, segments)
                    .unwrap();
                assert_eq!(got.passed_filters, expected.len(), "{}", o.title);
                assert_eq!(got.passed_filters, engine, "{}", o.title);
                let got: Vec<(f32, i64)> =
                    got.items.iter().map(|c| (c.score, c.worker_id)).collect();
                assert_eq!(
                    got,
                    expected[..20.min(expected.len())],
                    "{} {walk:?}",
                    o.title
                );
            }
        }
    };
    check(&workers);
    // More leave from the same segments (their deletions change after the kept sets were
    // made), and a third of the rest ask wages and start dates of hundreds of distinct values
    // (so the ranges have documents between their boundaries), re-added in a new segment.
    for id in (2..600).step_by(7) {
        writer.delete_term(term(f.key, &format!("w:{id}")));
    }
    workers.retain(|w| (w.id - 2) % 7 != 0);
    for w in workers.iter_mut().filter(|w| w.id % 3 == 0) {
        w.min_wage = 3_800 + (w.id as i32 * 37) % 3_400;
        w.available_from = Some(today() + chrono::Duration::days(w.id * 13 % 400 - 100));
        writer.delete_term(term(f.key, &format!("w:{}", w.id)));
        writer.add_document(worker_document(&f, w)).unwrap();
    }
    writer.commit().unwrap();
    live.reader.reload().unwrap();
    check(&workers);
}

#[test]
fn seeking_finds_what_a_full_search_finds() {
    let workers: Vec<WorkerDoc> = (0..50)
        .map(|i| {
            worker(
                i + 1,
                "6-18-02-04",
                3.0,
                if i % 3 == 0 { "氩弧焊" } else { "电焊" },
            )
        })
        .collect();
    let live = index_of(&workers, &[]);
    let searcher = live.reader.searcher();
    let query = any_of(vec![term(live.fields.notes_zh, "氩弧焊")]);
    let full: HashSet<DocAddress> = searcher
        .search(&*query, &TopDocs::with_limit(1_000).order_by_score())
        .unwrap()
        .into_iter()
        .map(|(_, addr)| addr)
        .collect();
    let all: Vec<DocAddress> = (0..50).map(|d| DocAddress::new(0, d)).rev().collect();
    assert_eq!(matching_docs(&searcher, &*query, &all).unwrap(), full);
    assert_eq!(full.len(), 17);
}
