//! The ranking's own tests (the matcher's tests check whole lists against every pair).

use super::*;

#[test]
fn the_memo_keeps_each_codes_fits() {
    let mut memo = FitMemo::new(2);
    for code in 1..500u32 {
        let fits = memo.fits(code * 7, |out| out.extend([code as f32, f32::NAN]));
        assert_eq!(fits[0], code as f32);
    }
    for code in 1..500u32 {
        let fits = memo.fits(code * 7, |_| panic!("computed twice"));
        assert_eq!(fits[0], code as f32);
        assert!(fits[1].is_nan());
    }
}

#[test]
fn rounding_up_never_bounds_below_and_the_key_keeps_each_part() {
    for x in [0.0f32, 1e-7, 0.1, 0.6, 0.6000001, 0.99999, 1.0, 1.5, -0.2] {
        for steps in [7, 255] {
            let n = up_to(x, steps);
            assert!(n <= steps);
            assert!(n as f32 / steps as f32 >= x.min(1.0), "{x} {steps}");
        }
    }
    assert_eq!(up_to(0.0, 255), 0);
    assert_eq!(up_to(1.0, 255), 255);
    let worker = WorkerColumns {
        equity: 0.6,
        skills: Vec::new(),
    };
    let key = worker_key(&worker, 0b1011);
    assert_eq!((key >> BOUND_SHIFT) & 0b1111, 0b1011);
    assert!(equity_bound(key >> EQUITY_SHIFT) >= 0.6);
    assert!(equity_bound(key >> EQUITY_SHIFT) < 0.61);
    assert_eq!(key & 0xffff, NO_DAY);
}

#[test]
fn a_worker_key_bounds_every_skills_tie_breakers() {
    use super::super::columns::ColumnSkill;
    let today = 20_000;
    let skill = |years: f32, day: Option<i64>| ColumnSkill {
        code: 6180204,
        inputs: SkillInputs {
            years,
            certified: day.is_some(),
            certified_day: day,
        },
    };
    let recent = |s: &SkillInputs| match (s.certified, s.certified_day) {
        (true, Some(on)) if (0..365).contains(&(today - on)) => 1.0 - (today - on) as f32 / 365.0,
        _ => 0.0,
    };
    let days = [
        None,
        Some(today),
        Some(today - 1),
        Some(today - 364),
        Some(today - 365),
    ];
    let more = [
        Some(today + 3),
        Some(-5),
        Some(0),
        Some(70_000),
        Some(today - 200),
    ];
    for years in [0.0, 0.49, 0.5, 1.3, 3.99, 11.0, 12.0, 23.9, 40.0] {
        for day in days.iter().chain(&more) {
            for other in days {
                let worker = WorkerColumns {
                    equity: 1.0,
                    skills: vec![skill(years, *day), skill(years / 3.0, other)],
                };
                let ties = tie_bounds(worker_key(&worker, 0b1101), today);
                for s in &worker.skills {
                    assert!(ties.recent >= recent(&s.inputs), "{s:?} {ties:?}");
                    assert!(ties.within >= experience_step(s.inputs.years).1);
                }
            }
        }
    }
    // Tight where it can be: no certificate, none recent, the years at a step's start.
    let worker = |skills| WorkerColumns {
        equity: 1.0,
        skills,
    };
    let ties = |w: &WorkerColumns| tie_bounds(worker_key(w, 0), today);
    assert_eq!(ties(&worker(vec![skill(2.0, None)])).recent, 0.0);
    assert_eq!(
        ties(&worker(vec![skill(2.0, Some(today - 400))])).recent,
        0.0
    );
    assert_eq!(ties(&worker(vec![skill(2.0, None)])).within, 0.0);
    assert_eq!(ties(&worker(vec![skill(2.0, Some(today))])).recent, 1.0);
}

#[test]
fn the_heap_keeps_the_best_and_breaks_ties_on_the_lower_id() {
    let mut top = TopK::new(3);
    for (total, id) in [(5.0, 9), (7.0, 4), (5.0, 2), (1.0, 1), (5.0, 3), (7.0, 8)] {
        top.offer(total, || id, DocAddress::new(0, id as u32), 0.0);
    }
    let mut kept = top.into_vec();
    kept.sort_by(Ranked::order);
    let kept: Vec<(f32, i64)> = kept.iter().map(|r| (r.total, r.id)).collect();
    assert_eq!(kept, vec![(7.0, 4), (7.0, 8), (5.0, 2)]);
}

#[test]
fn the_shared_floor_only_rises_and_keeps_each_score_exactly() {
    let floor = SharedFloor::default();
    assert_eq!(floor.get(), None);
    let scores = [-3.5f32, -0.0, 0.0, 1e-30, 0.25, 7.0, 41.75];
    for (i, a) in scores.iter().enumerate() {
        assert_eq!(
            SharedFloor::value(SharedFloor::code(*a)).to_bits(),
            a.to_bits()
        );
        for b in &scores[i + 1..] {
            assert!(SharedFloor::code(*a) < SharedFloor::code(*b), "{a} {b}");
        }
    }
    floor.raise(0.25);
    floor.raise(-3.5);
    assert_eq!(floor.get(), Some(0.25));
    floor.raise(7.0);
    assert_eq!(floor.get(), Some(7.0));
}
