#!/usr/bin/env python3
"""Standard-library validator for titles2/titles.csv (CSCO 2022 held-out set #2).
Usage: python3 check.py [titles.csv] [csco2022_occupations.csv]
Exit code 0 = all checks pass."""
import csv, sys, os, re, hashlib, collections
HERE = os.path.dirname(os.path.abspath(__file__))
TITLES = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, 'titles.csv')
CSCO = sys.argv[2] if len(sys.argv) > 2 else '/work/shared/data/csco2022_occupations.csv'
HEADER = ['title', 'code', 'label_level', 'sector', 'city', 'style']
STYLES = {'clean', 'noisy', 'short'}
MIN_ROWS = 1500
MANUAL = {'factory','construction','driving_transport','repair_maintenance','cooking_food',
          'cleaning_security','care_domestic','warehouse_delivery','agriculture','utilities'}
errors = []
def err(m): errors.append(m)
def norm(t): return re.sub(r'\s+', '', t).lower()

levels = collections.defaultdict(set); verbatim = set()
with open(CSCO, encoding='utf-8') as f:
    for r in csv.DictReader(f):
        levels[r['code']].add(r['level'])
        n = r['name']; verbatim.add(norm(n)); verbatim.add(norm(re.sub(r'(L/S|L|S)$', '', n)))
        for a in r['alias'].split(','):
            if a.strip(): verbatim.add(norm(a.strip()))

with open(TITLES, encoding='utf-8', newline='') as f:
    rd = csv.reader(f); header = next(rd); rows = [r for r in rd]
if header != HEADER: err(f'bad header {header}')
seen = {}
for i, r in enumerate(rows, start=2):
    if len(r) != 6: err(f'line {i}: {len(r)} fields'); continue
    t, code, lv, sec, city, st = r
    if not t.strip() or t != t.strip(): err(f'line {i}: empty/unstripped title')
    if code not in levels: err(f'line {i}: unknown code {code}')
    elif len(levels[code]) != 1: err(f'line {i}: code {code} has ambiguous level in CSV {levels[code]}')
    elif lv not in levels[code]: err(f'line {i}: label_level {lv} != CSV level {levels[code]} for {code}')
    if not re.fullmatch(r'\d-\d\d-\d\d-\d\d', code): err(f'line {i}: malformed code {code}')
    if st not in STYLES: err(f'line {i}: bad style {st}')
    if st == 'short' and not (2 <= len(t) <= 4): err(f'line {i}: short title not 2-4 chars: {t}')
    if st == 'clean' and len(t) <= 4: err(f'line {i}: clean title of <=4 chars should be style short: {t}')
    if not sec or not city: err(f'line {i}: empty sector/city')
    k = norm(t)
    if k in seen: err(f'line {i}: duplicate title {t} (first at line {seen[k]})')
    seen[k] = i
n = len(rows)
if n < MIN_ROWS: err(f'only {n} rows (< {MIN_ROWS})')
nverb = sum(1 for r in rows if norm(r[0]) in verbatim)
if nverb > 0.035 * n: err(f'{nverb} verbatim CSCO names/aliases ({nverb/n:.1%}) > ~3%')

def dist(idx, title):
    c = collections.Counter(r[idx] for r in rows)
    print(f'\n{title}:')
    for k, v in sorted(c.items(), key=lambda x: (-x[1], x[0])): print(f'  {k:<28} {v:>5}  {v/n:6.1%}')
print(f'rows: {n}')
print(f'sha256: {hashlib.sha256(open(TITLES,"rb").read()).hexdigest()}')
print(f'distinct codes: {len(set(r[1] for r in rows))}')
print(f'verbatim CSCO name/alias titles: {nverb} ({nverb/n:.1%})')
man = sum(1 for r in rows if r[3] in MANUAL)
print(f'skilled/manual sectors: {man} ({man/n:.1%}); urban office/professional/service: {n-man} ({(n-man)/n:.1%})')
grp = sum(1 for r in rows if r[2] != '4')
print(f'group labels (label_level 1-3): {grp} ({grp/n:.1%})')
dist(5, 'style'); dist(2, 'label_level'); dist(3, 'sector'); dist(4, 'city')
c = collections.Counter(r[1].split('-')[0] for r in rows)
print('\nCSCO major group:'); [print(f'  {k}  {v:>5}  {v/n:6.1%}') for k, v in sorted(c.items())]
top = collections.Counter(r[1] for r in rows).most_common(1)[0]
print(f'\nmax rows per code: {top[0]} x{top[1]}')
if errors:
    print(f'\nFAIL: {len(errors)} problem(s)'); [print('  ' + e) for e in errors[:50]]; sys.exit(1)
print('\nPASS')
