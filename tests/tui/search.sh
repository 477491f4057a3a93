#!/bin/sh
# search.sh -- / in the flow list searches every flow in tmux: the hit
# list's lines and title, Enter landing on the hit, n and N across flows,
# q back, smart case, and Esc stopping a long search with its progress in
# the status bar.
S=trawl-tui-search-$$
. "$(dirname "$0")/screen.inc"

# Flow 1: gzip'ed JSON; 2: a form post answered in text; 3: JSON whose
# hit is far down its body; then 2,000 flows whose one line makes the
# regex below backtrack to its limit (milliseconds each), for Esc.
/usr/bin/python3 - "$TMP/s.har" <<'PY'
import base64, gzip, json, sys
def entry(method, url, req_headers, post, resp_headers, content):
    e = {"startedDateTime": "2024-05-01T10:00:00.000Z", "time": 5,
         "request": {"method": method, "url": url, "httpVersion": "HTTP/1.1",
                     "headers": req_headers, "queryString": [], "cookies": [],
                     "headersSize": -1, "bodySize": -1},
         "response": {"status": 200, "statusText": "OK",
                      "httpVersion": "HTTP/1.1", "headers": resp_headers,
                      "cookies": [], "content": content, "redirectURL": "",
                      "headersSize": -1, "bodySize": -1},
         "cache": {}, "timings": {"send": 0, "wait": 5, "receive": 0}}
    if post is not None:
        e["request"]["postData"] = post
    return e
h = lambda *kv: [{"name": k, "value": v} for k, v in kv]
js = json.dumps({"users": [{"name": "alice"}, {"name": "bob"}]}).encode()
deep = json.dumps({"items": [{"id": i} for i in range(40)] +
                   [{"name": "alice-deep"}] +
                   [{"id": i} for i in range(40, 80)]})
slow = "a" * 28 + "!"
entries = [
    entry("GET", "http://api.example/users", h(("Host", "api.example")), None,
          h(("Content-Type", "application/json"), ("Content-Encoding", "gzip")),
          {"size": len(js), "mimeType": "application/json", "encoding": "base64",
           "text": base64.b64encode(gzip.compress(js)).decode()}),
    entry("POST", "http://shop.example/cart", h(("Host", "shop.example"),
          ("Content-Type", "application/x-www-form-urlencoded")),
          {"mimeType": "application/x-www-form-urlencoded",
           "text": "item=book&buyer=alice"},
          h(("Content-Type", "text/plain")),
          {"size": 18, "mimeType": "text/plain", "text": "ok\nAlice paid\nbye\n"}),
    entry("GET", "http://big.example/list", h(("Host", "big.example")), None,
          h(("Content-Type", "application/json")),
          {"size": len(deep), "mimeType": "application/json", "text": deep}),
] + [entry("GET", "http://slow.example/%d" % i, h(("Host", "slow.example")),
           None, h(("Content-Type", "text/plain")),
           {"size": len(slow), "mimeType": "text/plain", "text": slow})
     for i in range(2000)]
json.dump({"log": {"version": "1.2", "creator": {"name": "t", "version": "1"},
                   "entries": entries}}, open(sys.argv[1], "w"))
PY

tmux new-session -d -s "$S" -x 120 -y 30 "sh -c 'echo \$\$ >$TMP/sh.pid; \
    LANG=C.UTF-8 TERM=xterm-256color NO_COLOR=1 \
    $TRAWL -n -r $TMP/s.har 2>$TMP/err; echo trawl-exit-\$?; sleep 600'"
expect "the flows loaded" "[2003/2003]"
TRAWL_PID=$(pgrep -P "$(cat "$TMP/sh.pid")" | head -1)
[ -n "$TRAWL_PID" ] && cleanup_add "kill $TRAWL_PID"

# row N of the pane (1-based)
row() { tmux capture-pane -p -t "$S" | sed -n "${1}p"; }
row_has() { # DESCRIPTION ROW TEXT
	i=0
	while ! row "$2" | grep -qF -- "$3" && [ $i -lt 30 ]; do
		i=$((i + 1)); sleep 0.1
	done
	if row "$2" | grep -qF -- "$3"; then ok "$1"; else
		not_ok "$1 (row $2: '$(row "$2")')"; fi
}

keys /
expect "/ asks for the text" "search all flows:"
tmux send-keys -t "$S" -l alice
keys Enter
expect "the title counts hits and flows" "4 hits in 3 flows"
row_has "a hit line: flow, method host path, where, the line" 2 \
    '1 GET api.example/users'
row_has "the first hit is in the decoded, pretty JSON" 2 \
    'resp body line 4     "name": "alice"'
row_has "a hit in a form body" 3 "req body line 2      buyer: alice"
row_has "smart case: lower-case text ignores case" 4 "Alice paid"
row_has "the deep hit" 5 '"name": "alice-deep"'

keys Enter
expect "Enter opens the flow view" "Flow 1  GET http://api.example/users"
expect "on the hit, highlighted in the search" '"name": "alice"'
keys n
expect "n goes to the next hit, in the next flow" "Flow 2  POST"
expect "on its tab (the request)" "buyer: alice"
keys n
expect "n again: the response of the same flow" "Alice paid"
keys n
expect "n crosses to flow 3" "Flow 3  GET http://big.example/list"
row_has "scrolled so that the hit is the first body row" 3 \
    '"name": "alice-deep"'
keys N
expect "N goes back a hit, across flows" "Flow 2  POST"
expect "to the response line" "Alice paid"
keys q
expect "q goes back to the hit list" "4 hits in 3 flows"
keys q
expect "q again goes back to the flow list" "METHOD  HOST"

keys /
tmux send-keys -t "$S" -l Alice
keys Enter
expect "an upper-case letter makes it case-sensitive" "1 hit in 1 flow"
keys q

keys /
tmux send-keys -t "$S" -l 're:(a|aa)+$'
keys Enter
expect "a long search shows progress in the status bar" "searching "
check "with counts of flows" sh -c "tmux capture-pane -p -t $S | \
    grep -q 'searching [0-9,]*/2,003 flows, 0 hits'"
keys Escape
expect "Esc stops it" "(stopped at"
expect "and says so" "search stopped after"
keys q
keys Q
expect "Q quits" "trawl-exit-0"
finish
