//! `labormatch gen --workers N [--seed S]`: writes a deterministic synthetic program straight
//! into PostgreSQL with COPY (text format), streaming: no more than one chunk of rows is held
//! in memory at a time. Every row is derived from (seed, entity number) alone, so the same
//! seed on an empty database gives the same data.
//!
//! Layout: households (2 workers each, Qinghai counties, mostly Haidong), workers with 1..3
//! skills skewed towards the trades the program really trains (焊工, 拉面 = 中式面点师, cooks,
//! 家政, 保育, construction, excavators, drivers, warehouse), about a third of skills certified
//! (worker_skills rows with source 'certified' and certified_on), destinations across China,
//! employers (valid credit codes) in the big destination cities, one opening per 20 workers.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::Cursor;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use chrono::{Duration, NaiveDate};
use futures_util::SinkExt;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use tokio_postgres::{Client, CopyInSink};

use labormatch::domain::complete_credit_code;

/// Workers per COPY statement; skills of a chunk are copied on a second connection while the
/// next chunk of workers is copied on the first.
const CHUNK: u64 = 10_000;
/// Bytes buffered before a send to the COPY stream.
const SEND_AT: usize = 256 * 1024;

const HAIDONG: [(&str, u32); 6] = [
    ("630202", 18),
    ("630203", 10),
    ("630222", 20),
    ("630223", 16),
    ("630224", 22),
    ("630225", 14),
];

/// The common trades and their weights (the rest of the CSCO level-4 codes form a long tail).
const TRADES: [(&str, u32); 22] = [
    ("6-18-02-04", 12), // 焊工
    ("4-03-02-02", 12), // 中式面点师 (拉面)
    ("4-03-02-01", 9),  // 中式烹调师
    ("4-10-01-06", 9),  // 家政服务员
    ("4-10-01-03", 5),  // 保育师
    ("4-10-01-05", 4),  // 养老护理员
    ("6-29-01-01", 5),  // 砌筑工
    ("6-29-01-03", 3),  // 混凝土工
    ("6-29-01-04", 4),  // 钢筋工
    ("6-29-01-05", 3),  // 架子工
    ("6-29-04-01", 3),  // 装饰装修工
    ("6-29-02-15", 2),  // 管道工
    ("6-29-03-02", 2),  // 电气设备安装工
    ("6-29-02-03", 2),  // 筑路工
    ("6-30-05-05", 7),  // 挖掘铲运和桩工机械司机
    ("4-02-02-02", 6),  // 道路货运汽车驾驶员
    ("4-02-02-01", 2),  // 客运车辆驾驶员
    ("4-02-06-01", 4),  // 仓储管理员
    ("4-02-05-01", 4),  // 装卸搬运工
    ("4-03-02-05", 4),  // 餐厅服务员
    ("4-02-06-03", 2),  // 物流服务师
    ("6-31-01-09", 1),  // 工程机械维修工
];

/// Destination cities: (prefecture code, weight). Employers and openings live here.
const CITIES: [(&str, u32); 12] = [
    ("440100", 12), // 广州
    ("440300", 10), // 深圳
    ("441900", 6),  // 东莞
    ("440600", 5),  // 佛山
    ("330100", 8),  // 杭州
    ("330200", 5),  // 宁波
    ("310100", 9),  // 上海
    ("320500", 7),  // 苏州
    ("320100", 5),  // 南京
    ("110100", 8),  // 北京
    ("120100", 3),  // 天津
    ("630100", 8),  // 西宁
];

/// Workers' accepted destinations (any level).
const DESTINATIONS: [(&str, u32); 16] = [
    ("440000", 14),
    ("440100", 8),
    ("440300", 6),
    ("330000", 10),
    ("330100", 4),
    ("310000", 9),
    ("320000", 8),
    ("320500", 3),
    ("110000", 8),
    ("120000", 2),
    ("630000", 8),
    ("630100", 6),
    ("620000", 2),
    ("610000", 2),
    ("510000", 2),
    ("650000", 2),
];

const SURNAMES: [&str; 24] = [
    "马", "韩", "李", "王", "张", "冶", "赵", "刘", "陈", "杨", "祁", "鲁", "才", "索", "仁", "何",
    "周", "朱", "沈", "喇", "苏", "白", "罗", "安",
];
const GIVEN: [&str; 32] = [
    "建", "国", "明", "海", "军", "华", "英", "兰", "芳", "福", "林", "忠", "德", "成", "秀", "梅",
    "青", "平", "文", "志", "燕", "红", "勇", "强", "伟", "静", "玉", "花", "哈", "木", "热", "撒",
];
const ETHNICITIES: [(&str, u32); 5] = [
    ("回族", 30),
    ("汉族", 35),
    ("撒拉族", 10),
    ("土族", 12),
    ("藏族", 13),
];
const EDUCATION: [(&str, u32); 5] = [
    ("primary", 20),
    ("junior_high", 45),
    ("senior_high", 15),
    ("vocational", 15),
    ("college", 5),
];
const VILLAGES: [&str; 16] = [
    "上庄", "下庄", "马营", "甘都", "群科", "扎巴", "巴燕", "李家", "阿岱", "官亭", "古鄯", "五十",
    "丹麻", "高庙", "洪水", "街子",
];
const HOUSEHOLD_STATUS: [(&str, u32); 4] = [
    ("registered_poor", 30),
    ("monitored", 15),
    ("exited", 45),
    ("other", 10),
];
const FIRM_WORDS: [&str; 16] = [
    "恒达",
    "鑫源",
    "华建",
    "宏图",
    "金鼎",
    "永盛",
    "新航",
    "远大",
    "安居",
    "顺丰达",
    "南粤",
    "长江",
    "锦绣",
    "天成",
    "聚福",
    "德信",
];
const FIRM_KINDS: [&str; 8] = [
    "建筑工程有限公司",
    "餐饮管理有限公司",
    "家政服务有限公司",
    "机械设备有限公司",
    "物流有限公司",
    "制造有限公司",
    "酒店管理有限公司",
    "劳务派遣有限公司",
];

pub struct GenOptions {
    pub workers: u64,
    pub seed: u64,
}

#[derive(Debug, serde::Serialize)]
pub struct GenReport {
    pub workers: u64,
    pub households: u64,
    pub skills: u64,
    pub employers: u64,
    pub openings: u64,
    pub load_secs: f64,
    pub index_secs: f64,
    pub workers_per_sec: f64,
    pub peak_rss_mib: f64,
    pub index_mib: f64,
}

/// Reference data the generator draws from, read from the seeded tables.
struct Catalog {
    trades: Vec<(String, u32)>,
    all_codes: Vec<String>,
    names: HashMap<String, String>,
    qinghai_other: Vec<String>,
    /// Prefecture → its counties (the prefecture itself when it has none in the table).
    city_counties: HashMap<String, Vec<String>>,
    region_names: HashMap<String, String>,
    today: NaiveDate,
    seed: u64,
    household_base: i64,
    worker_base: i64,
    employer_base: i64,
    employers: u64,
    opening_base: i64,
}

fn pick<'a, T>(rng: &mut StdRng, items: &'a [(T, u32)]) -> &'a T {
    let total: u32 = items.iter().map(|(_, w)| w).sum();
    let mut x = rng.gen_range(0..total.max(1));
    for (item, w) in items {
        if x < *w {
            return item;
        }
        x -= w;
    }
    &items[items.len() - 1].0
}

/// One generator per entity, so any row can be re-derived alone (and the streams stay stable
/// whatever order they are written in).
fn rng_for(seed: u64, kind: u64, n: u64) -> StdRng {
    StdRng::seed_from_u64(
        seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ (kind << 56) ^ n.wrapping_mul(0x2545_F491),
    )
}

struct Skill {
    code: String,
    level: Option<i16>,
    certified_on: Option<NaiveDate>,
    years: f32,
}

struct Worker {
    id: i64,
    household_id: i64,
    home: String,
    name: String,
    gender: &'static str,
    birth_year: i32,
    ethnicity: &'static str,
    education: &'static str,
    destinations: Vec<&'static str>,
    accept_anywhere: bool,
    min_wage: i32,
    available_from: Option<NaiveDate>,
    brand_tags: Vec<&'static str>,
    status: &'static str,
    skills: Vec<Skill>,
}

impl Catalog {
    fn household_county(&self, h: u64) -> String {
        let mut rng = rng_for(self.seed, 1, h);
        if rng.gen_bool(0.85) || self.qinghai_other.is_empty() {
            pick(&mut rng, &HAIDONG).to_string()
        } else {
            self.qinghai_other
                .choose(&mut rng)
                .cloned()
                .unwrap_or_default()
        }
    }

    fn occupation(&self, rng: &mut StdRng) -> String {
        if rng.gen_bool(0.85) || self.all_codes.is_empty() {
            pick(rng, &self.trades).clone()
        } else {
            self.all_codes.choose(rng).cloned().unwrap_or_default()
        }
    }

    fn worker(&self, i: u64) -> Worker {
        let mut rng = rng_for(self.seed, 2, i);
        let h = i / 2;
        let home = self.household_county(h);
        let name = format!(
            "{}{}{}",
            SURNAMES.choose(&mut rng).unwrap_or(&"马"),
            GIVEN.choose(&mut rng).unwrap_or(&"建"),
            if rng.gen_bool(0.7) {
                GIVEN.choose(&mut rng).unwrap_or(&"国")
            } else {
                ""
            }
        );
        let gender = if rng.gen_bool(0.68) { "male" } else { "female" };
        let birth_year = rng.gen_range(1968..=2006);
        let accept_anywhere = rng.gen_bool(0.15);
        let mut destinations: Vec<&'static str> = Vec::new();
        if !accept_anywhere {
            for _ in 0..rng.gen_range(1..=2) {
                let d = *pick(&mut rng, &DESTINATIONS);
                if !destinations.contains(&d) {
                    destinations.push(d);
                }
            }
        }
        // Bands of 500 yuan, most between 4,000 and 6,500.
        let band: [(i32, u32); 13] = [
            (3000, 3),
            (3500, 5),
            (4000, 10),
            (4500, 12),
            (5000, 14),
            (5500, 12),
            (6000, 10),
            (6500, 7),
            (7000, 5),
            (7500, 3),
            (8000, 2),
            (8500, 1),
            (9000, 1),
        ];
        let min_wage = *pick(&mut rng, &band);
        let available_from = if rng.gen_bool(0.5) {
            None
        } else {
            Some(self.today + Duration::days(rng.gen_range(-60..=75)))
        };
        let n_skills = *pick(&mut rng, &[(1usize, 50), (2, 35), (3, 15)]);
        let mut skills: Vec<Skill> = Vec::new();
        for _ in 0..n_skills {
            let code = self.occupation(&mut rng);
            if code.is_empty() || skills.iter().any(|s| s.code == code) {
                continue;
            }
            let certified = rng.gen_bool(0.35);
            skills.push(Skill {
                level: if certified {
                    Some(rng.gen_range(3..=5))
                } else if rng.gen_bool(0.3) {
                    Some(5)
                } else {
                    None
                },
                certified_on: certified.then(|| self.today - Duration::days(rng.gen_range(0..900))),
                years: (rng.gen_range(0..150) as f32) / 10.0,
                code,
            });
        }
        let mut brand_tags = Vec::new();
        if skills.iter().any(|s| s.code == "4-03-02-02") {
            brand_tags.push(if home == "630225" {
                "循化拉面"
            } else {
                "化隆拉面"
            });
        }
        if skills.iter().any(|s| s.code == "4-10-01-06") && rng.gen_bool(0.5) {
            brand_tags.push("青海家政");
        }
        let ethnicity = *pick(&mut rng, &ETHNICITIES);
        let education = *pick(&mut rng, &EDUCATION);
        Worker {
            id: self.worker_base + i as i64,
            household_id: self.household_base + h as i64,
            home,
            name,
            gender,
            birth_year,
            ethnicity,
            education,
            destinations,
            accept_anywhere,
            min_wage,
            available_from,
            brand_tags,
            status: if rng.gen_bool(0.95) {
                "available"
            } else {
                "placed"
            },
            skills,
        }
    }

    /// (city, county) of employer `e`.
    fn employer_place(&self, e: u64) -> (String, String) {
        let mut rng = rng_for(self.seed, 3, e);
        let city = pick(&mut rng, &CITIES).to_string();
        let county = self
            .city_counties
            .get(&city)
            .and_then(|c| c.choose(&mut rng).cloned())
            .unwrap_or_else(|| city.clone());
        (city, county)
    }

    fn employer_name(&self, e: u64) -> String {
        let mut rng = rng_for(self.seed, 4, e);
        let (city, _) = self.employer_place(e);
        let city_name = self.region_names.get(&city).cloned().unwrap_or_default();
        format!(
            "{}{}{}",
            city_name,
            FIRM_WORDS.choose(&mut rng).unwrap_or(&"恒达"),
            FIRM_KINDS.choose(&mut rng).unwrap_or(&"有限公司")
        )
    }

    fn name_of(&self, code: &str) -> String {
        self.names.get(code).cloned().unwrap_or_default()
    }

    /// The way a recruiter would write the trade.
    fn colloquial(&self, code: &str, rng: &mut StdRng) -> String {
        let informal = match code {
            "6-18-02-04" => Some("电焊工"),
            "4-03-02-02" => Some("拉面师傅"),
            "4-03-02-01" => Some("厨师"),
            "4-10-01-06" => Some("家政阿姨"),
            "4-10-01-03" => Some("育婴师"),
            "6-30-05-05" => Some("挖机司机"),
            "4-02-02-02" => Some("货车司机"),
            "4-02-05-01" => Some("搬运工"),
            "4-02-06-01" => Some("仓库管理员"),
            "6-29-01-01" => Some("瓦工"),
            _ => None,
        };
        match informal {
            Some(w) if rng.gen_bool(0.5) => w.to_string(),
            _ => self.name_of(code),
        }
    }
}

fn copy_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
    out
}

fn array(items: &[&str]) -> String {
    format!("{{{}}}", items.join(","))
}

fn opt<T: std::fmt::Display>(v: &Option<T>) -> String {
    match v {
        Some(v) => v.to_string(),
        None => "\\N".into(),
    }
}

/// A COPY ... FROM STDIN in text format, fed in buffers of `SEND_AT` bytes.
struct Copy {
    sink: Pin<Box<CopyInSink<Cursor<Vec<u8>>>>>,
    buf: String,
}

impl Copy {
    async fn start(client: &Client, sql: &str) -> anyhow::Result<Copy> {
        let sink = client
            .copy_in(sql)
            .await
            .with_context(|| format!("starting {sql}"))?;
        Ok(Copy {
            sink: Box::pin(sink),
            buf: String::with_capacity(SEND_AT + 4096),
        })
    }

    async fn row(&mut self) -> anyhow::Result<()> {
        self.buf.push('\n');
        if self.buf.len() >= SEND_AT {
            let bytes = std::mem::replace(&mut self.buf, String::with_capacity(SEND_AT + 4096));
            self.sink.send(Cursor::new(bytes.into_bytes())).await?;
        }
        Ok(())
    }

    async fn finish(mut self) -> anyhow::Result<u64> {
        if !self.buf.is_empty() {
            let bytes = std::mem::take(&mut self.buf);
            self.sink.send(Cursor::new(bytes.into_bytes())).await?;
        }
        Ok(self.sink.as_mut().finish().await?)
    }
}

async fn session(client: &Client) -> anyhow::Result<()> {
    // A bulk load that can simply be re-run: no need to wait for the WAL flush per COPY.
    client.batch_execute("SET synchronous_commit = off").await?;
    // Every reference is valid by construction (ids are assigned here, codes come from the
    // seed tables): skip the per-row foreign-key triggers, as pg_restore --disable-triggers
    // does. Needs a superuser (the private cluster's is one); elsewhere the checks just run.
    if let Err(e) = client
        .batch_execute("SET session_replication_role = replica")
        .await
    {
        tracing::info!(error = %e, "foreign-key checks stay on during the load");
    }
    Ok(())
}

async fn max_id(client: &Client, table: &str) -> anyhow::Result<i64> {
    let row = client
        .query_one(
            &format!("SELECT coalesce(max(id), 0)::int8 FROM {table}"),
            &[],
        )
        .await?;
    Ok(row.get(0))
}

async fn catalog(client: &Client, opts: &GenOptions) -> anyhow::Result<Catalog> {
    let occupations = client
        .query("SELECT code, name, level FROM occupations", &[])
        .await?;
    let mut names = HashMap::new();
    let mut all_codes = Vec::new();
    for r in &occupations {
        let code: String = r.get(0);
        let level: i16 = r.get(2);
        if level == 4 {
            all_codes.push(code.clone());
        }
        names.insert(code, r.get::<_, String>(1));
    }
    all_codes.sort();
    let trades: Vec<(String, u32)> = TRADES
        .iter()
        .filter(|(c, _)| names.contains_key(*c))
        .map(|(c, w)| (c.to_string(), *w))
        .collect();
    anyhow::ensure!(
        !trades.is_empty(),
        "the occupations table is empty: run migrate first"
    );
    let regions = client
        .query(
            "SELECT code, name FROM regions WHERE code LIKE '63%' OR left(code, 4) = ANY($1)",
            &[&CITIES
                .iter()
                .map(|(c, _)| c[..4].to_string())
                .collect::<Vec<_>>()],
        )
        .await?;
    let mut region_names = HashMap::new();
    let mut qinghai_other = Vec::new();
    let mut city_counties: HashMap<String, Vec<String>> = HashMap::new();
    for r in &regions {
        let code: String = r.get(0);
        let name: String = r.get(1);
        let is_county = !code.ends_with("00");
        if code.starts_with("63") && is_county && !code.starts_with("6302") {
            qinghai_other.push(code.clone());
        }
        if is_county {
            if let Some((city, _)) = CITIES.iter().find(|(c, _)| c[..4] == code[..4]) {
                city_counties
                    .entry(city.to_string())
                    .or_default()
                    .push(code.clone());
            }
        }
        region_names.insert(code, name);
    }
    qinghai_other.sort();
    for v in city_counties.values_mut() {
        v.sort();
    }
    for (c, _) in CITIES {
        if !region_names.contains_key(c) {
            // 上海/北京/天津 have no 0100 prefecture row in some tables: name them by province.
            let province = format!("{}0000", &c[..2]);
            let name = region_names.get(&province).cloned().unwrap_or_default();
            region_names.insert(c.to_string(), name);
        }
    }
    let openings = (opts.workers / 20).max(1);
    Ok(Catalog {
        trades,
        all_codes,
        names,
        qinghai_other,
        city_counties,
        region_names,
        today: labormatch::validate::today(),
        seed: opts.seed,
        household_base: max_id(client, "households").await? + 1,
        worker_base: max_id(client, "workers").await? + 1,
        employer_base: max_id(client, "organizations").await? + 1,
        employers: (openings / 4).max(1),
        opening_base: max_id(client, "openings").await? + 1,
    })
}

async fn copy_employers(client: &Client, cat: &Catalog) -> anyhow::Result<u64> {
    let mut copy = Copy::start(
        client,
        "COPY organizations (id, kind, name, credit_code, region_code, address) FROM STDIN",
    )
    .await?;
    for e in 0..cat.employers {
        let id = cat.employer_base + e as i64;
        let (_, county) = cat.employer_place(e);
        let credit = complete_credit_code(&format!("91{county}{id:09}"))
            .context("building a credit code")?;
        let address = format!(
            "{}工业园{}号",
            cat.region_names.get(&county).cloned().unwrap_or_default(),
            e % 300 + 1
        );
        write!(
            copy.buf,
            "{id}\temployer\t{}\t{credit}\t{county}\t{}",
            copy_text(&cat.employer_name(e)),
            copy_text(&address)
        )?;
        copy.row().await?;
    }
    copy.finish().await
}

async fn copy_households(client: &Client, cat: &Catalog, count: u64) -> anyhow::Result<u64> {
    let mut copy = Copy::start(
        client,
        "COPY households (id, registry_number, county_code, village, member_count, status,
                          income_per_capita, income_assessed_on, other_income_yuan) FROM STDIN",
    )
    .await?;
    for h in 0..count {
        let id = cat.household_base + h as i64;
        let county = cat.household_county(h);
        let mut rng = rng_for(cat.seed, 5, h);
        let village = format!(
            "{}{}村",
            VILLAGES.choose(&mut rng).unwrap_or(&"上庄"),
            ["", "一", "二", "三"].choose(&mut rng).unwrap_or(&"")
        );
        let status = pick(&mut rng, &HOUSEHOLD_STATUS);
        write!(
            copy.buf,
            "{id}\tSYN-{id:010}\t{county}\t{village}\t{}\t{status}\t{}\t{}\t{}",
            rng.gen_range(2..=7),
            rng.gen_range(3_000..16_000),
            cat.today - Duration::days(rng.gen_range(30..400)),
            rng.gen_range(0..8_000)
        )?;
        copy.row().await?;
    }
    copy.finish().await
}

async fn copy_workers(client: &Client, cat: &Catalog, lo: u64, hi: u64) -> anyhow::Result<u64> {
    let mut copy = Copy::start(
        client,
        "COPY workers (id, household_id, name, gender, birth_year, ethnicity, education,
                       home_region, destinations, accept_anywhere, min_wage, available_from,
                       brand_tags, status) FROM STDIN",
    )
    .await?;
    for i in lo..hi {
        let w = cat.worker(i);
        write!(
            copy.buf,
            "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
            w.id,
            w.household_id,
            copy_text(&w.name),
            w.gender,
            w.birth_year,
            w.ethnicity,
            w.education,
            w.home,
            array(&w.destinations),
            if w.accept_anywhere { "t" } else { "f" },
            w.min_wage,
            opt(&w.available_from),
            array(&w.brand_tags),
            w.status
        )?;
        copy.row().await?;
    }
    copy.finish().await
}

async fn copy_skills(client: &Client, cat: &Catalog, lo: u64, hi: u64) -> anyhow::Result<u64> {
    let mut copy = Copy::start(
        client,
        "COPY worker_skills (worker_id, occupation_code, level, source, years_experience,
                             certificate_number, certified_on) FROM STDIN",
    )
    .await?;
    for i in lo..hi {
        let w = cat.worker(i);
        for (k, s) in w.skills.iter().enumerate() {
            let certified = s.certified_on.is_some();
            write!(
                copy.buf,
                "{}\t{}\t{}\t{}\t{}\t{}\t{}",
                w.id,
                s.code,
                opt(&s.level),
                if certified {
                    "certified"
                } else {
                    "self_declared"
                },
                s.years,
                if certified {
                    format!("SYN{}-{k}", w.id)
                } else {
                    "\\N".into()
                },
                opt(&s.certified_on)
            )?;
            copy.row().await?;
        }
    }
    copy.finish().await
}

async fn copy_openings(client: &Client, cat: &Catalog, count: u64) -> anyhow::Result<u64> {
    let mut copy = Copy::start(
        client,
        "COPY openings (id, employer_id, title, description, required_occupations,
                        nice_occupations, work_region, wage_min, wage_max, headcount, housing,
                        meals, contract_months, start_date, deadline, status) FROM STDIN",
    )
    .await?;
    for j in 0..count {
        let mut rng = rng_for(cat.seed, 6, j);
        let e = rng.gen_range(0..cat.employers);
        let employer = cat.employer_base + e as i64;
        let (city, county) = cat.employer_place(e);
        let city_name = cat.region_names.get(&city).cloned().unwrap_or_default();
        let mut required = vec![cat.occupation(&mut rng)];
        if rng.gen_bool(0.2) {
            let extra = cat.occupation(&mut rng);
            if !required.contains(&extra) {
                required.push(extra);
            }
        }
        let mut nice: Vec<String> = Vec::new();
        if rng.gen_bool(0.3) {
            let extra = cat.occupation(&mut rng);
            if !required.contains(&extra) {
                nice.push(extra);
            }
        }
        let wage_min = rng.gen_range(8..=16) * 500;
        let wage_max = wage_min + rng.gen_range(2..=8) * 500;
        let headcount = rng.gen_range(1..=30);
        let housing = rng.gen_bool(0.6);
        let meals = rng.gen_bool(0.6);
        let trade = cat.colloquial(&required[0], &mut rng);
        let title = match rng.gen_range(0..5) {
            0 => format!("{city_name}招聘{trade}"),
            1 => format!("急招{trade}{headcount}名"),
            2 => format!("高薪诚聘{trade}"),
            3 if housing && meals => format!("{trade}（包吃住）"),
            _ => format!("招{trade}，月薪{wage_min}-{wage_max}"),
        };
        let perks = match (housing, meals) {
            (true, true) => "，包吃包住",
            (true, false) => "，提供住宿",
            (false, true) => "，提供工作餐",
            _ => "",
        };
        let description = format!(
            "{}在{}招聘{}{}人，月薪{}-{}元{}。要求：{}年以上相关工作经验，{}，身体健康，能吃苦耐劳。",
            cat.employer_name(e),
            city_name,
            cat.name_of(&required[0]),
            headcount,
            wage_min,
            wage_max,
            perks,
            rng.gen_range(0..=5),
            if rng.gen_bool(0.5) {
                "持职业技能等级证书者优先"
            } else {
                "可接受培训后上岗"
            }
        );
        let start = cat.today + Duration::days(rng.gen_range(10..=90));
        let deadline =
            (start - Duration::days(rng.gen_range(0..10))).max(cat.today + Duration::days(1));
        let req: Vec<&str> = required.iter().map(String::as_str).collect();
        let nic: Vec<&str> = nice.iter().map(String::as_str).collect();
        write!(
            copy.buf,
            "{}\t{employer}\t{}\t{}\t{}\t{}\t{county}\t{wage_min}\t{wage_max}\t{headcount}\t{}\t{}\t{}\t{start}\t{deadline}\t{}",
            cat.opening_base + j as i64,
            copy_text(&title),
            copy_text(&description),
            array(&req),
            array(&nic),
            if housing { "t" } else { "f" },
            if meals { "t" } else { "f" },
            [6, 12, 24].choose(&mut rng).unwrap_or(&12),
            if rng.gen_bool(0.95) { "open" } else { "closed" }
        )?;
        copy.row().await?;
    }
    copy.finish().await
}

async fn bump_sequence(client: &Client, table: &str) -> anyhow::Result<()> {
    client
        .execute(
            &format!(
                "SELECT setval(pg_get_serial_sequence('{table}', 'id'),
                               (SELECT greatest(max(id), 1) FROM {table}))"
            ),
            &[],
        )
        .await?;
    Ok(())
}

/// Generates and loads the program, then builds a fresh index generation from it.
pub async fn generate(
    config: &tokio_postgres::Config,
    index_dir: &std::path::Path,
    opts: &GenOptions,
) -> anyhow::Result<GenReport> {
    let started = Instant::now();
    let mut a = labormatch::db::connect(config).await?;
    let b = labormatch::db::connect(config).await?;
    let c = labormatch::db::connect(config).await?;
    for client in [&a, &b, &c] {
        session(client).await?;
    }
    let cat = Arc::new(catalog(&a, opts).await?);
    let households = opts.workers.div_ceil(2);
    let openings = (opts.workers / 20).max(1);
    let employers = copy_employers(&a, &cat).await?;
    println!(
        "gen: {employers} employers ({:.1}s)",
        started.elapsed().as_secs_f64()
    );
    // Openings only need the employers: load them beside the households and workers.
    let opening_task = {
        let cat = cat.clone();
        tokio::spawn(async move { copy_openings(&c, &cat, openings).await })
    };
    copy_households(&a, &cat, households).await?;
    println!(
        "gen: {households} households ({:.1}s)",
        started.elapsed().as_secs_f64()
    );
    // Skills of chunk k are copied on the second connection while chunk k+1 of workers is
    // copied on the first (a chunk's workers are committed before its skills refer to them).
    let (tx, mut rx) = tokio::sync::mpsc::channel::<(u64, u64)>(2);
    let skills_task = {
        let cat = cat.clone();
        tokio::spawn(async move {
            let mut n = 0;
            while let Some((lo, hi)) = rx.recv().await {
                n += copy_skills(&b, &cat, lo, hi).await?;
            }
            anyhow::Ok(n)
        })
    };
    let mut lo = 0;
    while lo < opts.workers {
        let hi = (lo + CHUNK).min(opts.workers);
        copy_workers(&a, &cat, lo, hi).await?;
        if tx.send((lo, hi)).await.is_err() {
            break;
        }
        if hi.is_multiple_of(250_000) || hi == opts.workers {
            println!(
                "gen: {hi} workers ({:.1}s, rss {:.0} MiB)",
                started.elapsed().as_secs_f64(),
                super::mib(super::rss_bytes())
            );
        }
        lo = hi;
    }
    drop(tx);
    let skills = skills_task.await??;
    let opening_rows = opening_task.await??;
    for table in ["organizations", "households", "workers", "openings"] {
        bump_sequence(&a, table).await?;
    }
    a.batch_execute(
        "ANALYZE organizations; ANALYZE households; ANALYZE workers; ANALYZE worker_skills;
         ANALYZE openings",
    )
    .await?;
    let load_secs = started.elapsed().as_secs_f64();
    println!(
        "gen: loaded {} workers, {skills} skills, {opening_rows} openings in {load_secs:.1}s",
        opts.workers
    );
    std::fs::create_dir_all(index_dir)?;
    let indexing = Instant::now();
    let report = labormatch::search::indexer::build_generation(index_dir, &mut a).await?;
    let index_secs = indexing.elapsed().as_secs_f64();
    println!(
        "gen: index generation {} ({} workers, {} openings) in {index_secs:.1}s",
        report.generation, report.workers, report.openings
    );
    let index_mib = super::mib(super::dir_size(&labormatch::search::index::generation_dir(
        index_dir,
        report.generation,
    )));
    Ok(GenReport {
        workers: opts.workers,
        households,
        skills,
        employers,
        openings: opening_rows,
        load_secs,
        index_secs,
        workers_per_sec: opts.workers as f64 / (load_secs + index_secs),
        peak_rss_mib: super::mib(super::peak_rss_bytes()),
        index_mib,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalog() -> Catalog {
        let mut names = HashMap::new();
        for (c, _) in TRADES {
            names.insert(c.to_string(), format!("n{c}"));
        }
        Catalog {
            trades: TRADES.iter().map(|(c, w)| (c.to_string(), *w)).collect(),
            all_codes: vec!["1-01-01-01".into(), "2-02-02-02".into()],
            names,
            qinghai_other: vec!["630102".into()],
            city_counties: HashMap::from([("440100".to_string(), vec!["440106".to_string()])]),
            region_names: HashMap::new(),
            today: NaiveDate::from_ymd_opt(2026, 11, 28).unwrap(),
            seed: 7,
            household_base: 1,
            worker_base: 1,
            employer_base: 1,
            employers: 10,
            opening_base: 1,
        }
    }

    #[test]
    fn rows_are_deterministic_and_valid() {
        let cat = catalog();
        for i in 0..200 {
            let (a, b) = (cat.worker(i), cat.worker(i));
            assert_eq!(a.name, b.name);
            assert_eq!(a.home, b.home);
            assert_eq!(a.min_wage, b.min_wage);
            assert!(!a.skills.is_empty());
            assert!((3000..=9000).contains(&a.min_wage));
            assert!(a.home.starts_with("63"));
            assert_eq!(a.accept_anywhere, a.destinations.is_empty());
            assert_eq!(a.household_id, 1 + (i / 2) as i64);
        }
        for e in 0..10 {
            let (_, county) = cat.employer_place(e);
            let credit = complete_credit_code(&format!("91{county}{:09}", e + 1)).unwrap();
            assert!(labormatch::domain::CreditCode::parse(&credit).is_ok());
        }
    }
}
