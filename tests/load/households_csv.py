#!/usr/bin/env python3
"""Writes a household CSV of N rows the way a county office's spreadsheet export looks
(UTF-8 with a BOM, CRLF line ends, Chinese status words), for timing `labormatch import`.

    python3 tests/load/households_csv.py --rows 100000 --out /tmp/households-100k.csv
"""
import argparse
import random

COUNTIES = ["630202", "630203", "630222", "630223", "630224", "630225"]
VILLAGES = ["下营村", "上寨村", "甘都村", "群科村", "扎巴村", "新庄村", "马营村", "古城村"]
STATUSES = ["贫困户", "监测户", "脱贫户", "registered_poor"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    rnd = random.Random(args.seed)
    with open(args.out, "w", encoding="utf-8-sig", newline="") as f:
        f.write("registry_number,county_code,village,member_count,status,"
                "income_per_capita,income_assessed_on,other_income_yuan\r\n")
        for i in range(args.rows):
            f.write(
                f"HD-{i:07d},{rnd.choice(COUNTIES)},{rnd.choice(VILLAGES)},"
                f"{rnd.randint(1, 8)},{rnd.choice(STATUSES)},"
                f"{rnd.randint(2000, 12000)},2026-{rnd.randint(1, 10):02d}-15,"
                f"{rnd.choice([0, 0, 500, 1200])}\r\n"
            )


if __name__ == "__main__":
    main()
