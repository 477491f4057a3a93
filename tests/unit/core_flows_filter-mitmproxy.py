#!/usr/bin/python3
"""core_flows_filter-mitmproxy.py -- checks the answers of the mitmproxy
reference table (ref_cases) of core_flows_filter.c against mitmproxy's own
flowfilter, run on the same flows as that test's ref_setup builds.

Needs Debian's mitmproxy package (apt-get install mitmproxy) and runs
under /usr/bin/python3; the unit test itself does not need it. Each case
of the table is { expression, trawl's answer, mitmproxy's answer or NULL
when it is trawl's }; "error" stands for an expression mitmproxy rejects.
Prints every case whose mitmproxy answer is not the one the table states
(none when the table is right), then "N passed, N failed".

    /usr/bin/python3 tests/unit/core_flows_filter-mitmproxy.py
    /usr/bin/python3 tests/unit/core_flows_filter-mitmproxy.py '~d x' ...

With expressions as arguments it prints mitmproxy's answers for those, to
write new cases from.
"""
import ast
import os
import re
import sys

from mitmproxy import flowfilter, http, tcp
from mitmproxy.test import tflow, tutils


def headers(*fields):
    return http.Headers([(k.encode(), v.encode()) for k, v in fields])


def request(method, scheme, host, port, path, fields, body=b""):
    return tutils.treq(method=method.encode(), scheme=scheme.encode(),
                       host=host, port=port, path=path.encode(),
                       headers=headers(*fields), content=body)


def response(status, fields, body=b""):
    return tutils.tresp(status_code=status, headers=headers(*fields),
                        content=body)


def ref_flows():
    """The flows of ref_setup in core_flows_filter.c, in its order."""
    flows = []
    # 0: a GET with two Content-Type fields in its response.
    flows.append(tflow.tflow(
        req=request("GET", "https", "example.com", 443, "/api/cdn-list?q=1",
                    [("Host", "example.com"), ("User-Agent", "curl/8.0"),
                     ("Accept", "*/*")]),
        resp=response(200, [("Content-Type", "text/html"),
                            ("Content-Type", "application/json"),
                            ("Server", "nginx")], b"hello world")))
    # 1: a POST to an address whose Host header names the host and port.
    f = tflow.tflow(
        req=request("POST", "http", "10.1.1.1", 8080, "/form",
                    [("Host", "upload.test:8080"),
                     ("Content-Type", "application/x-www-form-urlencoded")],
                    b"user=bob&pass=hunter2"))
    f.marked = ":bug:"
    f.comment = "first line\nsecond line"
    flows.append(f)
    # 2: a HEAD: a response without a body.
    flows.append(tflow.tflow(
        req=request("HEAD", "http", "cdn.test", 80, "/logo.png",
                    [("Host", "cdn.test")]),
        resp=response(200, [("Content-Type", "image/png"),
                            ("Content-Length", "1234")])))
    # 3: a 204 to an address whose Host header has no port.
    flows.append(tflow.tflow(
        req=request("GET", "http", "192.0.2.1", 80, "/status",
                    [("Host", "api.test")]),
        resp=response(204, [("Server", "apache"),
                            ("Content-Type", "text/plain"),
                            ("Content-Type", "text/css")])))
    # 4: a PUT with a ! and an & in its URL, a 500 and an error.
    flows.append(tflow.tflow(
        req=request("PUT", "http", "cdn.test", 8080, "/upload!now?a=1&b=2",
                    [("Host", "cdn.test:8080"),
                     ("Content-Type", "text/plain")], b"x"),
        resp=response(500, [("Content-Type", "text/plain")], b"oops"),
        err=True))
    # 5: raw TCP, a message each way; 6: raw TCP that sent nothing.
    flows.append(tflow.ttcpflow(messages=[
        tcp.TCPMessage(True, b"hello"), tcp.TCPMessage(False, b"it's me")]))
    flows.append(tflow.ttcpflow(messages=[]))
    return flows


def answer(expr, flows):
    try:
        flt = flowfilter.parse(expr)
    except ValueError:
        return "error"
    return "".join("1" if flt(f) else "0" for f in flows)


def c_string(s):
    # The table's literals use only \\ and \" escapes, as Python's do.
    return ast.literal_eval('"' + s + '"')


def table():
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "core_flows_filter.c")) as fp:
        src = fp.read()
    body = src[src.index("ref_cases[] = {"):]
    body = body[:body.index("\n};")]
    case = re.compile(r'\{\s*"((?:[^"\\]|\\.)*)",\s*"([01]+|error)",\s*'
                      r'(NULL|"([^"]*)")\s*\}')
    cases = [(c_string(m[1]), m[2], m[4] if m[4] is not None else m[2])
             for m in case.finditer(body)]
    # A case this pattern cannot read would go unchecked: refuse that.
    if len(cases) != body.count('\n\t{ "'):
        sys.exit("core_flows_filter.c: %d of %d ref_cases understood" %
                 (len(cases), body.count('\n\t{ "')))
    return cases


def main():
    flows = ref_flows()
    if len(sys.argv) > 1:
        for expr in sys.argv[1:]:
            print("%-40s %s" % (expr, answer(expr, flows)))
        return 0
    passed = failed = 0
    for expr, trawl, mitm in table():
        got = answer(expr, flows)
        if got == mitm:
            passed += 1
            continue
        failed += 1
        print("%-40s table says mitmproxy answers %s, it answers %s" %
              (expr, mitm, got))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed or passed == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
