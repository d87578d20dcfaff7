#!/usr/bin/env python3
"""Validate the frozen hold-out set titles.csv against the CSCO 2022 table.

Usage: python3 check.py [titles.csv] [csco2022_occupations.csv]
Standard library only. Exits non-zero on any failure.
"""
import csv, collections, hashlib, os, re, sys

HERE = os.path.dirname(os.path.abspath(__file__))
TITLES = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, 'titles.csv')
CSCO = sys.argv[2] if len(sys.argv) > 2 else '/work/shared/data/csco2022_occupations.csv'
HEADER = ['title', 'code', 'label_level', 'sector', 'city', 'style']
STYLES = {'clean', 'noisy', 'short'}
MIN_ROWS = 1600
MAX_VERBATIM_SHARE = 0.03
TRADES = set('welding machining factory construction machinery driving delivery warehouse culinary '
             'hospitality domestic childcare eldercare security cleaning agriculture autorepair beauty repair'.split())

errors = []
def fail(msg):
    errors.append(msg)

occ = {}
verbatim = set()
with open(CSCO, encoding='utf-8', newline='') as f:
    for r in csv.DictReader(f):
        occ[r['code'].strip()] = r
        for n in [r['name'].strip(), re.sub(r'(L/S|L|S)$', '', r['name'].strip())]:
            verbatim.add(n.lower())
        for a in r['alias'].split(','):
            if a.strip():
                verbatim.add(a.strip().lower())

with open(TITLES, 'rb') as fb:
    raw = fb.read()
sha = hashlib.sha256(raw).hexdigest()
try:
    text = raw.decode('utf-8')
except UnicodeDecodeError as e:
    print('FAIL: not UTF-8:', e); sys.exit(1)
if text.startswith('\ufeff'):
    fail('file starts with a BOM')

rows = list(csv.reader(text.splitlines()))
if not rows or rows[0] != HEADER:
    fail(f'bad header: {rows[0] if rows else None!r}, expected {HEADER!r}')
data = rows[1:]
seen = {}
for i, r in enumerate(data, start=2):
    if len(r) != len(HEADER):
        fail(f'line {i}: {len(r)} fields'); continue
    title, code, level, sector, city, style = [x.strip() for x in r]
    if not title:
        fail(f'line {i}: empty title')
    if title in seen:
        fail(f'line {i}: duplicate title {title!r} (first at line {seen[title]})')
    seen[title] = i
    if code not in occ:
        fail(f'line {i}: code {code!r} not in CSCO table'); continue
    if occ[code]['level'] != level:
        fail(f'line {i}: label_level {level!r} != CSCO level {occ[code]["level"]!r} for {code}')
    if level not in ('2', '3', '4'):
        fail(f'line {i}: label_level {level!r} not in 2/3/4')
    if style not in STYLES:
        fail(f'line {i}: style {style!r}')
    if style == 'short' and len(title) > 4:
        fail(f'line {i}: style short but title has {len(title)} characters')
    if not sector or not re.fullmatch(r'[a-z][a-z-]*', sector):
        fail(f'line {i}: bad sector {sector!r}')

n = len(data)
if n < MIN_ROWS:
    fail(f'only {n} rows (< {MIN_ROWS})')
nverb = sum(1 for r in data if r and r[0].strip().lower() in verbatim)
if n and nverb / n > MAX_VERBATIM_SHARE:
    fail(f'{nverb} titles ({nverb/n:.1%}) are verbatim CSCO names/aliases (> {MAX_VERBATIM_SHARE:.0%})')

prov = os.path.join(os.path.dirname(os.path.abspath(TITLES)), 'PROVENANCE.md')
if os.path.exists(prov):
    if sha not in open(prov, encoding='utf-8').read():
        fail(f'sha256 {sha} not recorded in PROVENANCE.md')

def show(name, counter):
    print(f'\n{name}:')
    for k, v in sorted(counter.items(), key=lambda kv: (-kv[1], kv[0])):
        print(f'  {k or "(none)":<18} {v:>5}  {v / n:6.1%}')

if n:
    good = [r for r in data if len(r) == len(HEADER)]
    print(f'rows: {n}')
    print(f'sha256: {sha}')
    print(f'verbatim CSCO name/alias titles: {nverb} ({nverb / n:.1%})')
    print(f'titles naming/implying a city: {sum(1 for r in good if r[4].strip())} ({sum(1 for r in good if r[4].strip()) / n:.1%})')
    show('style', collections.Counter(r[5] for r in good))
    show('label_level', collections.Counter(r[2] for r in good))
    show('block (labour-export trades vs urban office/professional/service)',
         collections.Counter('trades' if r[3] in TRADES else 'office/professional/service' for r in good))
    show('major group of label', collections.Counter(r[1][0] for r in good))
    show('sector', collections.Counter(r[3] for r in good))
    show('city (top 15)', collections.Counter(dict(collections.Counter(r[4] for r in good if r[4]).most_common(15))))
    print(f'\ndistinct codes: {len(set(r[1] for r in good))}')

if errors:
    print(f'\nFAIL: {len(errors)} problem(s)')
    for e in errors[:50]:
        print('  ' + e)
    sys.exit(1)
print('\nOK: all checks passed')
