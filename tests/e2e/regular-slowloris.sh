#!/bin/sh
# A request head has LIMIT_HEAD_SEC from its first byte (issue 11, item 6):
# clients that trickle a head one byte a second get 408 and a flow that
# says "request head not complete" (as an explicit-proxy client, after a
# first request on a keep-alive connection, and inside a CONNECT tunnel),
# while other clients are served throughout, and a server slower than
# the head deadline still answers a request whose head was complete.
. "$(dirname "$0")/lib.sh"

LIMIT=$(sed -n 's/^#define LIMIT_HEAD_SEC[[:space:]]*\([0-9]*\).*/\1/p' \
    "$HERE/../../core/loop/limits.h")
[ -n "$LIMIT" ] || { not_ok "no LIMIT_HEAD_SEC in core/loop/limits.h"; finish; }
N=20

OP=$(free_port); PP=$(free_port)
start_origin "$OP"
start_trawl --mode "regular@$PP" --dump
wait_port 127.0.0.1 "$PP" || exit 1
X="-x http://127.0.0.1:$PP"
O=http://127.0.0.1:$OP
D=$TMP/dump.out

python3 "$HERE/slowloris.py" "$PP" "$OP" "$LIMIT" "$N" "$TMP/slow.json" \
    >"$TMP/slow.err" 2>&1 &
SLOW=$!
cleanup_add "kill $SLOW"
# Its head is complete at once; the server takes longer than the head
# deadline to answer.
curl -s -m $((LIMIT + 20)) -o "$TMP/late.body" -w '%{http_code}' $X \
    "$O/sleep/$((LIMIT + 3))" >"$TMP/late.code" 2>&1 &
LATE=$!
cleanup_add "kill $LATE"

# Other clients, all the while the slow ones hold their connections.
served=0 tries=0
while kill -0 $SLOW 2>/dev/null; do
	tries=$((tries + 1))
	[ "$(curl -s -m 5 -o /dev/null -w '%{http_code}' $X "$O/len/10")" = 200 ] &&
		served=$((served + 1))
	sleep 2
done
wait $SLOW
wait $LATE
check "other clients were asked for ($tries times)" [ "$tries" -ge $((LIMIT / 3)) ]
eq "other clients were all served meanwhile" "$served" "$tries"
eq "a server slower than the head deadline still answers" "$(cat "$TMP/late.code")" "200"

python3 - "$TMP/slow.json" "$LIMIT" >"$TMP/slow-check" 2>&1 <<'PY'
import json, sys
res, limit = json.load(open(sys.argv[1])), int(sys.argv[2])
for name, r in sorted(res.items()):
    good = (r.get("answer") == "HTTP/1.1 408 Request Timeout" and
            r["sent"] < r["head"] and r["after"] >= limit - 1 and
            "request head not complete" in r.get("body", ""))
    if name == "keepalive":
        good = good and r.get("first") == "HTTP/1.1 200 OK"
    if name == "tunnel":
        good = good and r.get("connect", "").startswith("HTTP/1.1 200")
    print("%s %s %s: %r after %s s, %d of %d bytes sent" % (
        "ok" if good else "BAD", name, r.get("client"), r.get("answer"),
        r.get("after"), r.get("sent", 0), r.get("head", 0)))
PY
grep -v '^ok plain' "$TMP/slow-check" | sed 's/^/    /'
eq "every plain trickler got 408 once its head was late" \
    "$(grep -c '^ok plain' "$TMP/slow-check")" "$N"
check "the keep-alive one got 408 for its second head" grep -q '^ok keepalive' "$TMP/slow-check"
check "the one in a tunnel got 408" grep -q '^ok tunnel' "$TMP/slow-check"
for c in $(python3 -c 'import json,sys; print(" ".join(r["client"] for r in json.load(open(sys.argv[1])).values()))' "$TMP/slow.json"); do
	grep -q "^[^ ]* $c .*error: request head not complete after $LIMIT s" "$D" ||
		echo "$c" >>"$TMP/noflow"
done
check "each trickler has a flow that says its head was not complete" [ ! -s "$TMP/noflow" ]
[ -s "$TMP/noflow" ] && sed 's/^/    no flow for /' "$TMP/noflow"
check "trawl is still alive" kill -0 "$TRAWL_PID"
finish
