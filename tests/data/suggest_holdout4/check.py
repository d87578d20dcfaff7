#!/usr/bin/env python3
"""Check holdout4 titles.csv against the CSCO 2022 catalogue (standard library only).

Usage: python3 check.py [CATALOGUE_CSV] [--titles TITLES_CSV] [--cap N]
Default catalogue: /work/shared/data/csco2022_occupations.csv
Default titles: titles.csv next to this script.
Exit status 0 when every check passes, 1 otherwise.
"""
import argparse
import collections
import csv
import hashlib
import os
import sys

HEADER = ["title", "code", "label_level", "sector", "city", "style"]
STYLES = {"clean", "noisy", "short"}
SECTORS = {"office_professional", "services", "production_construction"}


def load_catalogue(path):
    levels = collections.defaultdict(set)
    forbidden = {}
    with open(path, encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(fh):
            code = r["code"].strip()
            levels[code].add(r["level"].strip())
            name = r["name"].strip()
            forbidden.setdefault(name.casefold(), ("name", code, name))
            for a in (r.get("alias") or "").split(","):
                a = a.strip()
                if a:
                    forbidden.setdefault(a.casefold(), ("alias", code, a))
    return levels, forbidden


def table(title, counter, total, key=None):
    print(f"\n{title}")
    items = sorted(counter.items(), key=key or (lambda kv: (-kv[1], kv[0])))
    for k, v in items:
        print(f"  {k:<28} {v:>5}  {100.0 * v / total:5.1f}%")


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument("catalogue", nargs="?", default="/work/shared/data/csco2022_occupations.csv")
    ap.add_argument("--titles", default=os.path.join(here, "titles.csv"))
    ap.add_argument("--cap", type=int, default=12)
    ap.add_argument("--min-rows", type=int, default=1600)
    a = ap.parse_args()

    levels, forbidden = load_catalogue(a.catalogue)
    errors = []
    with open(a.titles, encoding="utf-8", newline="") as fh:
        rd = csv.reader(fh)
        header = next(rd)
        rows = [r for r in rd]
    if header != HEADER:
        errors.append(f"header is {header}, expected {HEADER}")

    seen = {}
    per_code = collections.Counter()
    for i, r in enumerate(rows, start=2):
        if len(r) != len(HEADER):
            errors.append(f"line {i}: {len(r)} fields")
            continue
        title, code, level, sector, city, style = (x.strip() for x in r)
        if not title:
            errors.append(f"line {i}: empty title")
        if code not in levels:
            errors.append(f"line {i}: code {code} not in catalogue")
        elif level not in levels[code]:
            errors.append(f"line {i}: label_level {level} != catalogue level {sorted(levels[code])} for {code}")
        hit = forbidden.get(title.casefold())
        if hit:
            errors.append(f"line {i}: title {title!r} equals catalogue {hit[0]} of {hit[1]}")
        key = title.casefold()
        if key in seen:
            errors.append(f"line {i}: duplicate title {title!r} (first at line {seen[key]})")
        seen.setdefault(key, i)
        if style not in STYLES:
            errors.append(f"line {i}: style {style!r}")
        if sector not in SECTORS:
            errors.append(f"line {i}: sector {sector!r}")
        if not city:
            errors.append(f"line {i}: empty city")
        if style == "short" and not (2 <= len(title) <= 4):
            errors.append(f"line {i}: short title {title!r} is not 2-4 characters")
        per_code[code] += 1
    for code, n in per_code.items():
        if n > a.cap:
            errors.append(f"code {code} has {n} titles (cap {a.cap})")
    if len(rows) < a.min_rows:
        errors.append(f"only {len(rows)} rows (< {a.min_rows})")

    n = len(rows)
    good = [r for r in rows if len(r) == len(HEADER)]
    with open(a.titles, "rb") as fh:
        digest = hashlib.sha256(fh.read()).hexdigest()
    print(f"titles.csv sha256 {digest}")
    print(f"rows {n}   distinct codes {len(per_code)}   max per code {max(per_code.values()) if per_code else 0}")
    dist = collections.Counter(per_code.values())
    print("codes by number of titles: " + ", ".join(f"{k}:{dist[k]}" for k in sorted(dist)))
    table("styles", collections.Counter(r[5] for r in good), n)
    table("label levels", collections.Counter(r[2] for r in good), n, key=lambda kv: kv[0])
    grp = sum(1 for r in good if r[2] in {"1", "2", "3"})
    print(f"  group-level (1-3)            {grp:>5}  {100.0 * grp / n:5.1f}%")
    table("major groups", collections.Counter(r[1][0] for r in good), n, key=lambda kv: kv[0])
    table("sectors", collections.Counter(r[3] for r in good), n)
    table("sector x style", collections.Counter(f"{r[3]}/{r[5]}" for r in good), n)
    top = collections.Counter(r[4] for r in good)
    print(f"\ncities: {len(top)} distinct; top 10: " + ", ".join(f"{c} {v}" for c, v in top.most_common(10)))

    if errors:
        print(f"\nFAIL: {len(errors)} problem(s)")
        for e in errors[:200]:
            print("  " + e)
        return 1
    print("\nPASS: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
