#!/usr/bin/env python3
"""HTTP load on `labormatch serve` over data written by `labormatch gen`, driven by wrk.

Measures, each for --duration seconds with --connections concurrent connections:
candidates of an opening (an administrator's token, a random opening of 1,000 per request),
matches for a worker (20 worker accounts made through the API, a random one per request) and
free-text search of openings (the 20 typical queries of `labormatch bench`). Prints requests
per second, latency percentiles and non-2xx counts, as Markdown.

    export LABORMATCH_DATA_DIR=/work/bench-data/1m LABORMATCH_INDEX_DIR=/work/bench-data/1m/index
    python3 tests/load/http_bench.py --bin target/release/labormatch

Needs wrk (Debian: apt-get install wrk). Uses only the standard library.
"""

import argparse
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

ADMIN_PHONE = "13900000001"
PASSWORD = "load-test-password-1"
QUERIES = [
    "焊工", "电焊工", "拉面", "拉面师傅", "厨师", "家政", "保育师", "挖机司机", "货车司机",
    "仓库管理员", "搬运工", "包吃包住", "钢筋工", "瓦工", "养老护理员", "深圳 电焊工",
    "广州 厨师", "杭州 家政", "月薪 8000", "餐厅服务员",
]
# Trades and destinations for the worker accounts, as the generator draws them.
TRADES = ["6-18-02-04", "4-03-02-02", "4-10-01-06", "6-29-01-01", "4-02-02-01", "4-10-01-03"]
DESTINATIONS = [["440000"], ["330000"], ["320500"], ["440300"], ["310000"]]


def call(base, method, path, token=None, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data, method=method)
    req.add_header("content-type", "application/json")
    if token:
        req.add_header("authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            return resp.status, json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def wait_ready(base, server):
    for _ in range(600):
        if server.poll() is not None:
            sys.exit("the server exited before it was ready")
        try:
            with urllib.request.urlopen(base + "/readyz", timeout=2) as resp:
                if resp.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.5)
    sys.exit("the server did not become ready")


def opening_ids(base, token, n):
    ids, cursor = [], None
    while len(ids) < n:
        path = "/api/v1/openings?limit=100"
        if cursor:
            path += "&cursor=" + urllib.parse.quote(cursor)
        status, page = call(base, "GET", path, token)
        if status != 200:
            sys.exit(f"listing openings: {status} {page}")
        ids += [o["id"] for o in page["items"]]
        cursor = page.get("next_cursor")
        if not cursor:
            break
    return ids[:n]


def worker_tokens(base, n):
    tokens = []
    for i in range(n):
        phone = f"139{random.randrange(10**8):08d}"
        status, body = call(base, "POST", "/api/v1/auth/register", body={
            "phone": phone, "password": PASSWORD, "display_name": f"负载{i}"})
        if status == 409:  # made by an earlier run on the same data
            status, body = call(base, "POST", "/api/v1/auth/login",
                                body={"phone": phone, "password": PASSWORD})
        if status not in (200, 201):
            sys.exit(f"register: {status} {body}")
        token = body["access_token"]
        profile = {
            "name": f"马负载{i}", "gender": "male", "birth_year": 1990, "ethnicity": "回族",
            "languages": ["zh"], "education": "junior_high", "home_region": "630224",
            "destinations": DESTINATIONS[i % len(DESTINATIONS)], "min_wage": 4000,
            "skills": [{"occupation_code": TRADES[i % len(TRADES)], "years_experience": 3}],
            "brand_tags": [],
        }
        status, body = call(base, "PUT", "/api/v1/me/worker", token, profile)
        if status not in (200, 201):
            sys.exit(f"worker profile: {status} {body}")
        tokens.append(token)
    return tokens


def lua_list(values):
    return "{" + ",".join(json.dumps(v, ensure_ascii=False) for v in values) + "}"


def script(paths, tokens):
    return f"""
local paths = {lua_list(paths)}
local tokens = {lua_list(tokens)}
math.randomseed(os.time())
request = function()
  local path = paths[math.random(#paths)]
  local token = tokens[math.random(#tokens)]
  return wrk.format("GET", path, {{["Authorization"] = "Bearer " .. token}})
end
"""


def parse_wrk(out):
    def ms(text):
        value, unit = re.match(r"([\d.]+)(us|ms|s)", text).groups()
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    pct = {m.group(1): ms(m.group(2)) for m in re.finditer(r"^\s+(50|75|90|99)%\s+(\S+)", out, re.M)}
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    total = int(re.search(r"(\d+) requests in", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    return {
        "rps": rps, "requests": total, "p50": pct.get("50"), "p90": pct.get("90"),
        "p99": pct.get("99"), "non2xx": int(bad.group(1)) if bad else 0,
        "socket_errors": errors.group(1) if errors else "",
    }


def run_wrk(base, name, paths, tokens, args):
    if args.warm:
        for token in tokens:
            for path in paths:
                status, body = call(base, "GET", path, token)
                if status != 200:
                    sys.exit(f"warming {path}: {status} {body}")
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(script(paths, tokens))
    cmd = ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{args.duration}s",
           "--latency", "--timeout", "10s", "-s", f.name, base]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    os.unlink(f.name)
    if args.verbose:
        print(out, file=sys.stderr)
    result = parse_wrk(out)
    result["name"] = name
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bin", default="target/release/labormatch")
    parser.add_argument("--port", type=int, default=18080)
    parser.add_argument("--duration", type=int, default=30)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--openings", type=int, default=1000)
    parser.add_argument("--no-result-cache", action="store_true",
                        help="serve with LABORMATCH_RESULT_CACHE_ITEMS=0: every request searches")
    parser.add_argument("--warm", action="store_true",
                        help="ask every path (with every token) once before measuring it")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    random.seed(1)
    env = dict(os.environ, LABORMATCH_ADMIN_PASSWORD=PASSWORD, RUST_LOG="warn",
               LABORMATCH_BIND=f"127.0.0.1:{args.port}")
    if args.no_result_cache:
        env["LABORMATCH_RESULT_CACHE_ITEMS"] = "0"
    # The private cluster admits one process at a time: make the administrator first.
    subprocess.run([args.bin, "create-admin", "--phone", ADMIN_PHONE], env=env,
                   capture_output=True)
    base = f"http://127.0.0.1:{args.port}"
    server = subprocess.Popen([args.bin, "serve"], env=env, stdout=subprocess.DEVNULL)
    try:
        wait_ready(base, server)
        status, body = call(base, "POST", "/api/v1/auth/login",
                            body={"phone": ADMIN_PHONE, "password": PASSWORD})
        if status != 200:
            sys.exit(f"admin login: {status} {body}")
        admin = body["access_token"]
        ids = opening_ids(base, admin, args.openings)
        workers = worker_tokens(base, 20)
        time.sleep(1)  # the new profiles reach the index
        runs = [
            ("candidates of an opening (top 20)",
             [f"/api/v1/openings/{i}/candidates?limit=20" for i in ids], [admin]),
            ("matches for a worker (top 20)", ["/api/v1/me/matches?limit=20"], workers),
            ("free-text search (top 20 + facets)",
             ["/api/v1/openings/search?q=" + urllib.parse.quote(q) for q in QUERIES], [admin]),
        ]
        results = [run_wrk(base, name, paths, tokens, args) for name, paths, tokens in runs]
        with open(f"/proc/{server.pid}/status") as f:
            hwm = re.search(r"VmHWM:\s+(\d+) kB", f.read())
        peak_rss_mib = int(hwm.group(1)) / 1024 if hwm else float("nan")
    finally:
        server.terminate()
        server.wait(timeout=60)
    cache = "off" if args.no_result_cache else "on" + (", warmed" if args.warm else "")
    print(f"wrk -t{args.threads} -c{args.connections} -d{args.duration}s, "
          f"{len(ids)} openings, 20 worker accounts, result cache {cache}\n")
    print("| endpoint | requests | requests/s | p50 ms | p90 ms | p99 ms | non-2xx |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in results:
        print(f"| {r['name']} | {r['requests']} | {r['rps']:.0f} | {r['p50']:.1f} | "
              f"{r['p90']:.1f} | {r['p99']:.1f} | {r['non2xx']} |")
        if r["socket_errors"]:
            print(f"socket errors ({r['name']}): {r['socket_errors']}", file=sys.stderr)
    print(f"\nPeak RSS of the server (VmHWM): {peak_rss_mib:.0f} MiB")


if __name__ == "__main__":
    main()
