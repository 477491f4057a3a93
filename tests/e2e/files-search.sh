#!/bin/sh
# files-search.sh -- trawl -n -r FILE --search TEXT prints one line per
# hit ("ID WHERE: LINE") over URLs, header lines and decoded, formatted
# bodies, and exits like grep: 0 with a hit, 1 without, 2 on a bad query.
. "$(dirname "$0")/lib.sh"

# Three flows: a gzip'ed JSON answer, a form post answered in CR LF text,
# and a response whose body the file does not hold (only its size).
/usr/bin/python3 - "$TMP/s.har" <<'PY'
import base64, gzip, json, sys
js = json.dumps({"users": [{"name": "alice"}, {"name": "bob"}]}).encode()
def entry(method, url, req_headers, post, status, resp_headers, content):
    e = {"startedDateTime": "2024-05-01T10:00:00.000Z", "time": 5,
         "request": {"method": method, "url": url, "httpVersion": "HTTP/1.1",
                     "headers": req_headers, "queryString": [], "cookies": [],
                     "headersSize": -1, "bodySize": -1},
         "response": {"status": status, "statusText": "OK",
                      "httpVersion": "HTTP/1.1", "headers": resp_headers,
                      "cookies": [], "content": content, "redirectURL": "",
                      "headersSize": -1, "bodySize": -1},
         "cache": {}, "timings": {"send": 0, "wait": 5, "receive": 0}}
    if post is not None:
        e["request"]["postData"] = post
    return e
h = lambda *kv: [{"name": k, "value": v} for k, v in kv]
entries = [
    entry("GET", "http://api.example/users?page=1", h(("Host", "api.example")),
          None, 200, h(("Content-Type", "application/json"),
                       ("Content-Encoding", "gzip")),
          {"size": len(js), "mimeType": "application/json",
           "text": base64.b64encode(gzip.compress(js)).decode(),
           "encoding": "base64"}),
    entry("POST", "http://shop.example/cart", h(("Host", "shop.example"),
          ("Content-Type", "application/x-www-form-urlencoded")),
          {"mimeType": "application/x-www-form-urlencoded",
           "text": "item=book&buyer=alice"},
          200, h(("Content-Type", "text/plain")),
          {"size": 23, "mimeType": "text/plain",
           "text": "ok\r\nAlice paid\r\nbye\r\n"}),
    entry("GET", "http://cdn.example/big.bin", h(("Host", "cdn.example")),
          None, 200, h(("Content-Type", "application/octet-stream")),
          {"size": 5000, "mimeType": "application/octet-stream"}),
]
json.dump({"log": {"version": "1.2", "creator": {"name": "t", "version": "1"},
                   "entries": entries}}, open(sys.argv[1], "w"))
PY

s() { # ARGS... -> $TMP/out, $TMP/err, $RC
	"$TRAWL" -n -r "$TMP/s.har" "$@" >"$TMP/out" 2>"$TMP/err"
	RC=$?
}

s --search alice
eq "hits exit 0" "$RC" "0"
cat >"$TMP/want" <<'EOF'
1 resp body line 4:       "name": "alice"
2 req body line 2: buyer: alice
2 resp body line 2: Alice paid
EOF
d="one line per hit: id, where, the line (decoded, pretty JSON, form, no CR)"
if cmp -s "$TMP/out" "$TMP/want"; then ok "$d"; else not_ok "$d"
	diff "$TMP/want" "$TMP/out" | sed 's/^/    /'; fi
contains "a body the file did not hold is counted" "$TMP/err" \
    "1 body not kept, not searched"

s --search Alice
eq "an upper-case letter makes it case-sensitive" "$(cat "$TMP/out")" \
    "2 resp body line 2: Alice paid"

s --search 're:"name": "b.b"$'
eq "re: is a regex, over the pretty-printed text" "$(cat "$TMP/out")" \
    '1 resp body line 7:       "name": "bob"'

s --search 'page=1'
eq "the URL is searched" "$(cat "$TMP/out")" \
    "1 url: http://api.example/users?page=1"

s --search 'encoding: gz'
eq "header lines are searched as name: value" "$(cat "$TMP/out")" \
    "1 resp header: Content-Encoding: gzip"

s --search alice '~d shop'
eq "the dump filter picks the flows searched" "$(cat "$TMP/out")" \
    "$(printf '2 req body line 2: buyer: alice\n2 resp body line 2: Alice paid')"

s --search alice -q
eq "-q: no output, still exit 0" "$RC/$(wc -c <"$TMP/out" | tr -d ' ')" "0/0"

s --search nobody-says-this
eq "no hit exits 1" "$RC" "1"
check "and prints nothing" [ ! -s "$TMP/out" ]

s --search 're:a(b'
eq "a bad regex exits 2" "$RC" "2"
contains "and says why" "$TMP/err" "bad --search"

"$TRAWL" -n -r "$TMP/missing.har" --search alice >"$TMP/out" 2>"$TMP/err"
eq "a file that cannot be read exits 2" "$?" "2"
finish
