#!/bin/sh
# Intercept without a screen: pause, edit, resume, kill, replay and
# set a response, driven through the stdin line protocol of --dump.
. "$(dirname "$0")/lib.sh"

OP=$(free_port); PP=$(free_port)
start_origin "$OP"
mkfifo "$TMP/ctl"
# Hold the fifo open for writing so trawl never sees end of input.
sleep 600 >"$TMP/ctl" &
HOLD=$!
cleanup_add "kill $HOLD"
TRAWL_STDIN=$TMP/ctl start_trawl --mode "regular@$PP" --dump \
    --intercept '~q & ~u /headers'
exec 3>"$TMP/ctl"
wait_port 127.0.0.1 "$PP" || exit 1
O=http://127.0.0.1:$OP
X="-x http://127.0.0.1:$PP"
D=$TMP/dump.out

cmd() { echo "$1" >&3; sleep 0.3; }
# Waits for a line in the dump (3 s).
await() {
	i=0
	while ! grep -qF -- "$1" "$D"; do
		i=$((i + 1)); [ $i -gt 30 ] && return 1; sleep 0.1
	done
}

# 1. The request pauses: curl waits, the server sees nothing.
before=$(curl -s "$O/conns")
curl -s $X -H "X-Orig: 1" "$O/headers" >"$TMP/c1" &
C1=$!
check "a matching request pauses" await "paused 1 request GET $O/headers"
sleep 0.5
check "the paused client waits" kill -0 $C1
eq "nothing reached the server while paused" "$(curl -s "$O/conns")" "$((before + 1))"
check "other flows are not stalled" sh -c "curl -s $X '$O/len/10' | wc -c | grep -qx 10"

# 2. An invalid edit is refused; the flow stays paused.
printf 'this is not http\r\n\r\n' >"$TMP/bad"
cmd "edit 1 request $TMP/bad"
contains "an invalid edit is refused with the reason" "$D" "error: the request head is malformed"
cmd "list"
contains "the flow stays paused after a bad edit" "$D" "ok"
check "the client still waits" kill -0 $C1

# 3. A valid edit changes a header the server then sees.
printf 'GET /headers HTTP/1.1\r\nHost: 127.0.0.1:%s\r\nX-Edited: yes\r\n\r\n' "$OP" >"$TMP/good"
cmd "edit 1 request $TMP/good"
cmd "resume 1"
wait $C1
contains "the server saw the edited header" "$TMP/c1" "X-Edited: yes"
check "the removed header is gone" sh -c "! grep -q X-Orig '$TMP/c1'"

# 4. Kill releases the client with an error.
curl -s $X -o "$TMP/c2" -w '%{http_code}' "$O/headers" >"$TMP/c2code" &
C2=$!
check "second request pauses" await "paused 3 request"
cmd "kill 3"
wait $C2
eq "a killed flow gives the client a 502" "$(cat "$TMP/c2code")" "502"
check "the kill is recorded" await "error: killed by the user"

# 5. Replay produces a second flow marked as a replay.
cmd "replay 1"
contains "replay answers with the new flow id" "$D" "ok replay"
cmd "resume all"
check "the replay finishes as its own flow" await " replay GET $O/headers << 200 OK"

# 6. A response set on a request-stage flow answers locally.
curl -s $X "$O/headers" >"$TMP/c3" &
C3=$!
check "third request pauses" await "paused 5 request"
printf 'HTTP/1.1 418 Teapot\r\nX-Local: 1\r\n\r\nbrewed here' >"$TMP/resp"
before=$(curl -s "$O/conns")
cmd "edit 5 response $TMP/resp"
cmd "resume 5"
wait $C3
eq "the client got the local response" "$(cat "$TMP/c3")" "brewed here"
eq "the server was never asked" "$(curl -s "$O/conns")" "$((before + 1))"
check "the flow records the set response" await "GET $O/headers << 418 Teapot"

# 7. Duplicate, mark and comment work on any flow; filters see them.
cmd "duplicate 1"
contains "duplicate answers with the copy's id" "$D" "ok duplicate"
cmd "mark 1 :star:"
cmd "comment 1 looked at this"
cmd "rules"
contains "rules are listed" "$D" "rule 1 on ~q & ~u /headers"
cmd "unintercept 1"
cmd "intercept ~marker star & ~comment looked"
contains "a rule on marks and comments compiles" "$D" "ok rule 2"

# 8. Bad commands get errors, never a crash.
cmd "resume 999"
contains "unknown flow id is an error" "$D" "error: no flow 999"
cmd "frobnicate"
contains "unknown command is an error" "$D" "error: unknown command 'frobnicate'"
check "trawl is alive" kill -0 "$TRAWL_PID"
finish
