#!/usr/bin/env python3
"""Validate judged_fresh.json: codes, keys, dates, hard-filter consistency of judgments; print counts."""
import csv, json, sys, os, datetime
from collections import Counter

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = "/work/shared/data"
errors, warnings = [], []
def err(m): errors.append(m)
def warn(m): warnings.append(m)

occ = {r["code"]: r for r in csv.DictReader(open(os.path.join(DATA, "csco2022_occupations.csv"), encoding="utf-8"))}
div = {r["id"]: r for r in csv.DictReader(open(os.path.join(DATA, "cn_admin_divisions.csv"), encoding="utf-8"))}
d = json.load(open(os.path.join(HERE, "judged_fresh.json"), encoding="utf-8"))

def date(s, where, nullable=False):
    if s is None:
        if not nullable: err(f"{where}: date is null")
        return None
    try:
        return datetime.date.fromisoformat(s)
    except Exception:
        err(f"{where}: bad date {s!r}"); return None

def region(code, where):
    if code not in div: err(f"{where}: unknown region code {code}")

def code_ok(c, where):
    if c not in occ: err(f"{where}: unknown occupation code {c}")
    elif occ[c]["level"] != "4": warn(f"{where}: {c} is a group (level {occ[c]['level']}) code")

def contains(dest, r):
    if dest == r: return True
    if dest.endswith("0000"): return r[:2] == dest[:2]
    if dest.endswith("00"): return r[:4] == dest[:4]
    return False

for k in ["about", "reference_date", "training_center", "officer_region", "employers", "households", "workers", "openings"]:
    if k not in d: err(f"missing top-level key {k}")
ref = date(d["reference_date"], "reference_date")
region(d["training_center"]["region"], "training_center"); region(d["officer_region"], "officer_region")

emp = {}
for e in d["employers"]:
    if e["key"] in emp: err(f"duplicate employer {e['key']}")
    emp[e["key"]] = e; region(e["region"], f"employer {e['key']}")
hh = {}
for h in d["households"]:
    if h["key"] in hh: err(f"duplicate household {h['key']}")
    hh[h["key"]] = h; region(h["county_code"], f"household {h['key']}")
    if h["status"] not in ("registered_poor", "monitored", "exited", "other"): err(f"household {h['key']}: bad status")
    if not (1 <= h["member_count"] <= 12): err(f"household {h['key']}: member_count")
regs = Counter(h["registry_number"] for h in d["households"])
for r, n in regs.items():
    if n > 1: err(f"duplicate registry_number {r}")

W = {}
for w in d["workers"]:
    k = w["key"]
    if k in W: err(f"duplicate worker {k}")
    W[k] = w
    region(w["home_region"], f"worker {k} home")
    for dst in w["destinations"]: region(dst, f"worker {k} destination")
    if w["accept_anywhere"] and w["destinations"]: warn(f"worker {k}: anywhere plus destinations")
    if not w["accept_anywhere"] and not w["destinations"]: err(f"worker {k}: no destinations and not anywhere")
    if w["household"] is not None:
        if w["household"] not in hh: err(f"worker {k}: unknown household {w['household']}")
        elif hh[w["household"]]["county_code"] != w["home_region"]: err(f"worker {k}: household county != home_region")
    if w["status"] not in ("available", "placed", "inactive"): err(f"worker {k}: bad status")
    if w["gender"] not in ("male", "female"): err(f"worker {k}: gender")
    if not (1955 <= w["birth_year"] <= 2008): err(f"worker {k}: birth_year {w['birth_year']}")
    date(w["available_from"], f"worker {k} available_from", nullable=True)
    if not w["skills"]: err(f"worker {k}: no skills")
    for s in w["skills"]:
        code_ok(s["occupation_code"], f"worker {k} skill")
        if s["years_experience"] < 0 or s["years_experience"] > 45: err(f"worker {k}: years")
        if s["years_experience"] > w.get("birth_year") and False: pass
        if 2026 - w["birth_year"] - s["years_experience"] < 14: err(f"worker {k}: {s['years_experience']} yrs impossible for age")
        c = s.get("certified")
        if c is not None:
            if c["level"] is not None and c["level"] not in (1, 2, 3, 4, 5): err(f"worker {k}: cert level")
            cd = date(c["result_on"], f"worker {k} cert", nullable=True)
            if cd and ref and cd > ref: err(f"worker {k}: cert date after reference date")
            if cd and cd.year < w["birth_year"] + 16: err(f"worker {k}: cert before age 16")

def fails(w, o):
    out = []
    if w["status"] != "available": out.append("not_available")
    if w["available_from"] and w["available_from"] > o["start_date"]: out.append("availability")
    if not (w["accept_anywhere"] or any(contains(x, o["work_region"]) for x in w["destinations"])): out.append("destination")
    if o["wage_max"] < w["min_wage"]: out.append("wage")
    return out

grades, reasons = Counter(), Counter()
print(f"{'open':4} {'rel':>3} {'g3':>3} {'g2':>3} {'g1':>3} {'irr':>3} {'pass_rel':>8} {'pass_all':>8}  title")
for o in d["openings"]:
    k = o["key"]
    if o["employer"] not in emp: err(f"opening {k}: unknown employer")
    region(o["work_region"], f"opening {k}")
    if o["employer"] in emp and emp[o["employer"]]["region"] != o["work_region"]: warn(f"opening {k}: work_region differs from employer region")
    for c in o["required_occupations"] + o["nice_occupations"]: code_ok(c, f"opening {k}")
    sd, dl = date(o["start_date"], f"{k} start"), date(o["deadline"], f"{k} deadline")
    if sd and dl and dl > sd: err(f"opening {k}: deadline after start")
    if dl and ref and dl < ref: err(f"opening {k}: deadline before reference date")
    if not (0 < o["wage_min"] <= o["wage_max"]): err(f"opening {k}: wage band")
    j = o["judgments"]; seen = set()
    if not j.get("rationale"): err(f"opening {k}: no rationale")
    for r in j["relevant"]:
        wk = r["worker"]
        if wk not in W: err(f"opening {k}: unknown worker {wk}"); continue
        if wk in seen: err(f"opening {k}: {wk} judged twice")
        seen.add(wk)
        if r["grade"] not in (1, 2, 3): err(f"opening {k}: bad grade for {wk}")
        if not r.get("why"): err(f"opening {k}: no why for {wk}")
        f = fails(W[wk], o)
        if f: err(f"opening {k}: relevant {wk} fails hard filter {f}")
        grades[r["grade"]] += 1
    for r in j["irrelevant"]:
        wk = r["worker"]
        if wk not in W: err(f"opening {k}: unknown worker {wk}"); continue
        if wk in seen: err(f"opening {k}: {wk} judged twice")
        seen.add(wk)
        if not r.get("why"): err(f"opening {k}: no why for {wk}")
        f = fails(W[wk], o)
        if r["reason"] == "wrong_trade":
            if f: warn(f"opening {k}: wrong_trade {wk} also fails filter {f}")
        elif r["reason"] not in f:
            err(f"opening {k}: irrelevant {wk} reason {r['reason']} but filters say {f}")
        reasons[r["reason"]] += 1
    passing = [w for w in W.values() if not fails(w, o)]
    pr = [r for r in j["relevant"]]
    g = Counter(r["grade"] for r in pr)
    print(f"{k:4} {len(pr):3} {g[3]:3} {g[2]:3} {g[1]:3} {len(j['irrelevant']):3} {len(pr):8} {len(passing):8}  {o['title']}")
    if not any(r["grade"] == 3 for r in pr): warn(f"opening {k}: no ideal candidate")
    nwrong = sum(1 for r in j["irrelevant"] if r["reason"] == "wrong_trade")
    if nwrong and len(pr) < 7: warn(f"opening {k}: wrong_trade marks with only {len(pr)} relevant")

nw, no = len(d["workers"]), len(d["openings"])
if not (170 <= nw <= 200): err(f"{nw} workers, want 170-200")
if not (22 <= no <= 26): err(f"{no} openings, want 22-26")
used = set(s["occupation_code"] for w in d["workers"] for s in w["skills"]) | set(c for o in d["openings"] for c in o["required_occupations"] + o["nice_occupations"])
print()
print(f"employers {len(d['employers'])}, households {len(d['households'])}, workers {nw}, openings {no}")
print("household status:", dict(Counter(h["status"] for h in d["households"])))
print("worker status:", dict(Counter(w["status"] for w in d["workers"])),
      "| anywhere:", sum(w["accept_anywhere"] for w in d["workers"]),
      "| with household:", sum(w["household"] is not None for w in d["workers"]),
      "| certified skills:", sum(1 for w in d["workers"] for s in w["skills"] if "certified" in s))
print("home regions:", dict(Counter(w["home_region"] for w in d["workers"])))
print(f"occupation codes used: {len(used)} (all checked against CSCO 2022)")
print("relevant judgments by grade:", dict(sorted(grades.items())), "total", sum(grades.values()))
print("irrelevant judgments by reason:", dict(reasons), "total", sum(reasons.values()))
for m in warnings: print("WARN:", m)
for m in errors: print("ERROR:", m)
print("OK" if not errors else f"{len(errors)} ERRORS")
sys.exit(1 if errors else 0)
