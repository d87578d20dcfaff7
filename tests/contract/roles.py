#!/usr/bin/env python3
"""Signs in as each role of the contract suite and prints {role: access token} as JSON.

Usage: roles.py BASE_URL ADMIN_PHONE PASSWORD. The admin exists (create-admin); this makes an
officer of 化隆 (630224), an employer and a training center (each from an invitation) and a
worker, through the API itself.
"""
import json
import sys
import urllib.request

base, admin_phone, password = sys.argv[1], sys.argv[2], sys.argv[3]


def call(method, path, body=None, token=None):
    req = urllib.request.Request(base + path, method=method)
    req.add_header("content-type", "application/json")
    if token:
        req.add_header("authorization", "Bearer " + token)
    data = json.dumps(body).encode() if body is not None else None
    with urllib.request.urlopen(req, data) as resp:
        return json.loads(resp.read() or b"null")


def login(phone):
    return call("POST", "/api/v1/auth/login", {"phone": phone, "password": password})["access_token"]


tokens = {"admin": login(admin_phone)}
call("POST", "/api/v1/officers",
     {"phone": "13800000002", "password": password, "region_code": "630224"}, tokens["admin"])
tokens["officer"] = login("13800000002")
orgs = [("employer", "440113", "91440101MA5CNTR21", "13800000003"),
        ("center", "630224", None, "13800000004")]
for kind, region, credit, phone in orgs:
    body = {"kind": kind, "name": "契约测试" + kind, "region_code": region}
    if credit:
        # Complete the unified social credit code's check character (GB 32100).
        chars = "0123456789ABCDEFGHJKLMNPQRTUWXY"
        weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
        first = credit[:17]
        total = sum(chars.index(c) * w for c, w in zip(first, weights))
        body["credit_code"] = first + chars[(31 - total % 31) % 31]
    created = call("POST", "/api/v1/organizations", body, tokens["admin"])
    accepted = call("POST", "/api/v1/auth/accept-invitation",
                    {"code": created["invitation"]["code"], "phone": phone, "password": password})
    tokens[kind] = accepted["access_token"]
registered = call("POST", "/api/v1/auth/register",
                  {"phone": "13800000005", "password": password, "display_name": "契约测试"})
tokens["worker"] = registered["access_token"]
print(json.dumps(tokens))
