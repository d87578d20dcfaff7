"""Loaded by schemathesis before each run (SCHEMATHESIS_HOOKS, set by tests/contract/run).

Hypothesis labels a filtered or mapped strategy by re-parsing the lambda's source with
`ast.parse`. Under CPython 3.11 with two worker threads that parse can raise
`SystemError: AST constructor recursion depth mismatch` (an interpreter bug, not the service's),
which schemathesis reports as an error of whatever operation was being drawn. The label only
names the strategy in messages, so when the parse fails this falls back to Hypothesis's own
"<unknown>" label instead of failing the run. Nothing about what is generated or checked changes.
"""

import hypothesis.internal.lambda_sources as _lambda_sources

_describe = _lambda_sources.lambda_description


def _lambda_description(f):
    try:
        return _describe(f)
    except SystemError:
        return "lambda: <unknown>"


_lambda_sources.lambda_description = _lambda_description
