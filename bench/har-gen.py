#!/usr/bin/python3
# har-gen.py -- writes a HAR of about SIZE megabytes in trawl's own layout
# (creator "trawl", one entry per line), for the HAR-load figures of make
# bench and the big-file tests.
#
# usage: har-gen.py FILE SIZE_MB [BODY_KIB [JUNK_KIB]]
#   BODY_KIB  response body of each entry (text), default 16
#   JUNK_KIB  an extra field trawl does not keep, default 0: a file that is
#             big on disk but small once loaded
import json
import sys

path, size_mb = sys.argv[1], float(sys.argv[2])
body_kib = int(sys.argv[3]) if len(sys.argv) > 3 else 16
junk_kib = int(sys.argv[4]) if len(sys.argv) > 4 else 0
want = int(size_mb * 1e6)

head = ('{\n  "log": {\n    "version": "1.2",\n'
        '    "creator": {"name": "trawl", "version": "bench"},\n'
        '    "pages": [],\n    "entries": [\n')
tail = '\n    ]\n  }\n}\n'


def entry(i):
    body = ("line %d of a text body; " % i) * (body_kib * 1024 // 24 + 1)
    body = body[:body_kib * 1024]
    hdrs = [{"name": "Host", "value": "bench.example"},
            {"name": "User-Agent", "value": "curl/7.88.1"},
            {"name": "Accept", "value": "*/*"},
            {"name": "Cookie", "value": "session=%08x" % i}]
    e = {
        "startedDateTime": "2024-05-14T09:21:03.000Z", "time": 1.5,
        "request": {"method": "GET", "url": "http://bench.example/item/%d" % i,
                    "httpVersion": "HTTP/1.1", "cookies": [], "headers": hdrs,
                    "queryString": [], "headersSize": 120, "bodySize": 0,
                    "_scheme": "http", "_host": "bench.example", "_port": 80,
                    "_path": "/item/%d" % i, "_tStart": 1715678463.0,
                    "_tEnd": 1715678463.001},
        "response": {"status": 200, "statusText": "OK",
                     "httpVersion": "HTTP/1.1", "cookies": [],
                     "headers": [{"name": "Content-Type",
                                  "value": "text/plain"},
                                 {"name": "Content-Length",
                                  "value": str(len(body))}],
                     "content": {"size": len(body), "mimeType": "text/plain",
                                 "text": body, "_truncated": False},
                     "redirectURL": "", "headersSize": 60,
                     "bodySize": len(body), "_tStart": 1715678463.001,
                     "_tEnd": 1715678463.0015},
        "cache": {}, "timings": {"blocked": -1, "dns": -1, "connect": -1,
                                 "ssl": -1, "send": 0, "wait": 1,
                                 "receive": 0.5},
        "serverIPAddress": "192.0.2.1", "connection": "40000",
        "_id": i + 1, "_type": "http", "_state": "done",
        "_client": "127.0.0.1:40000", "_server": "192.0.2.1:80", "_pid": 0,
        "_timings": {"start": 1715678463.0, "end": 1715678463.0015},
        "_replay": "none", "_replayOf": 0, "_clientGone": False,
        "_modified": False,
    }
    if junk_kib:
        e["_junk"] = "j" * (junk_kib * 1024)
    return json.dumps(e)


with open(path, "w") as f:
    f.write(head)
    n, i = len(head) + len(tail), 0
    while n < want:
        s = (",\n" if i else "") + entry(i)
        f.write(s)
        n += len(s)
        i += 1
    f.write(tail)
print(i)
