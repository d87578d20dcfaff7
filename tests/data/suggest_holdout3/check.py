#!/usr/bin/env python3
"""Validate /work/holdout3/titles.csv against the CSCO 2022 catalogue.

Standard library only. Exit 0 when every check passes, 1 otherwise.
Usage: python3 check.py [titles.csv] [csco2022_occupations.csv]
"""
import collections
import csv
import hashlib
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TITLES = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "titles.csv")
CATALOGUE = sys.argv[2] if len(sys.argv) > 2 else "/work/shared/data/csco2022_occupations.csv"

HEADER = ["title", "code", "label_level", "sector", "city", "style"]
STYLES = {"clean", "noisy", "short"}
MIN_ROWS = 1600
MAX_PER_CODE = 12
MIN_CODES = 500
MAX_VERBATIM_SHARE = 0.01
# markers that count as feed noise (brackets, digits, whitespace-separated tags, keywords)
NOISE_CHARS = re.compile(r"[\s（）()【】\[\]0-9０-９]")
NOISE_WORDS = re.compile(
    r"(包吃|包住|包食宿|五险|双休|单休|急招|诚聘|急聘|日结|底薪|提成|月薪|年薪|月入|"
    r"夜班|倒班|白班|长白班|兼职|岁以下|岁|持证|有证|高薪|面议)")


def norm(s):
    return re.sub(r"\s", "", s).lower()


def main():
    errors = []
    # ---- catalogue
    levels = collections.defaultdict(set)
    verbatim = set()
    with open(CATALOGUE, encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(fh):
            levels[r["code"]].add(r["level"].strip())
            verbatim.add(norm(r["name"]))
            for a in (r.get("alias") or "").split(","):
                if norm(a):
                    verbatim.add(norm(a))

    # ---- titles
    raw = open(TITLES, "rb").read()
    sha = hashlib.sha256(raw).hexdigest()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        print("FAIL: not UTF-8:", e)
        return 1
    rows = list(csv.reader(text.splitlines()))
    if not rows or rows[0] != HEADER:
        errors.append("header must be exactly %s, got %s" % (",".join(HEADER), rows[0] if rows else None))
    data = rows[1:]

    seen = {}
    per_code = collections.Counter()
    per_level = collections.Counter()
    per_style = collections.Counter()
    per_major = collections.Counter()
    verb_rows = []
    for i, r in enumerate(data, start=2):
        if len(r) != len(HEADER):
            errors.append("line %d: %d fields" % (i, len(r)))
            continue
        title, code, lvl, sector, city, style = [x.strip() for x in r]
        if not title or not sector or not city:
            errors.append("line %d: empty title/sector/city" % i)
        if code not in levels:
            errors.append("line %d: code %s not in catalogue" % (i, code))
            continue
        if len(levels[code]) != 1:
            errors.append("line %d: code %s has several levels in catalogue %s" % (i, code, sorted(levels[code])))
        elif lvl != next(iter(levels[code])):
            errors.append("line %d: label_level %s != catalogue level %s for %s" % (i, lvl, next(iter(levels[code])), code))
        k = norm(title)
        if k in seen:
            errors.append("line %d: duplicate title %r (first on line %d)" % (i, title, seen[k]))
        else:
            seen[k] = i
        if style not in STYLES:
            errors.append("line %d: bad style %r" % (i, style))
        n = len(k)
        noisy_marks = bool(NOISE_CHARS.search(title) or NOISE_WORDS.search(title))
        bracket_or_kw = bool(re.search(r"[\s（）()【】\[\]]", title) or NOISE_WORDS.search(title))
        if style == "short" and not (2 <= n <= 4):
            errors.append("line %d: short title must be 2-4 chars: %r" % (i, title))
        if style == "short" and bracket_or_kw:
            errors.append("line %d: short title carries noise: %r" % (i, title))
        if style == "clean" and n <= 4:
            errors.append("line %d: clean title of 2-4 chars must be style short: %r" % (i, title))
        if style == "clean" and bracket_or_kw:
            errors.append("line %d: clean title carries noise: %r" % (i, title))
        if style == "noisy" and not noisy_marks:
            errors.append("line %d: noisy title has no noise marker: %r" % (i, title))
        if k in verbatim:
            verb_rows.append(title)
        per_code[code] += 1
        per_level[lvl] += 1
        per_style[style] += 1
        per_major[code[0]] += 1

    total = len(data)
    if total < MIN_ROWS:
        errors.append("only %d rows, need >= %d" % (total, MIN_ROWS))
    over = {c: n for c, n in per_code.items() if n > MAX_PER_CODE}
    if over:
        errors.append("codes over cap %d: %s" % (MAX_PER_CODE, over))
    if len(per_code) < MIN_CODES:
        errors.append("only %d distinct codes, need >= %d" % (len(per_code), MIN_CODES))
    vshare = len(verb_rows) / total if total else 0
    if vshare > MAX_VERBATIM_SHARE:
        errors.append("verbatim share %.2f%% > 1%%: %s" % (100 * vshare, verb_rows))

    # ---- report
    print("file:", TITLES)
    print("sha256:", sha)
    print("rows:", total, " distinct codes:", len(per_code), " max per code:", max(per_code.values()) if per_code else 0)
    print("styles:", {k: "%d (%.1f%%)" % (v, 100 * v / total) for k, v in sorted(per_style.items())})
    print("label levels:", {k: "%d (%.1f%%)" % (v, 100 * v / total) for k, v in sorted(per_level.items())})
    grp = sum(v for k, v in per_level.items() if k != "4")
    print("group labels (level 1-3): %d (%.1f%%)" % (grp, 100 * grp / total))
    print("major groups:", dict(sorted(per_major.items())))
    print("verbatim name/alias titles: %d (%.2f%%) %s" % (len(verb_rows), 100 * vshare, verb_rows))
    if errors:
        print("FAIL (%d problems)" % len(errors))
        for e in errors[:200]:
            print("  -", e)
        return 1
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
