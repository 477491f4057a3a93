#!/bin/sh
# A request resumed without an edit, and a replay, reach the server as the
# client sent them: the same fields in the same order, nothing added.
. "$(dirname "$0")/lib.sh"

OP=$(free_port); PP=$(free_port)
start_origin "$OP"
mkfifo "$TMP/ctl"
sleep 600 >"$TMP/ctl" &
HOLD=$!
cleanup_add "kill $HOLD"
TRAWL_STDIN=$TMP/ctl start_trawl --mode "regular@$PP" --dump \
    -w "$TMP/out.har" --intercept '~q & ~u /headers & !~replay'
exec 3>"$TMP/ctl"
wait_port 127.0.0.1 "$PP" || exit 1
D=$TMP/dump.out
cmd() { echo "$1" >&3; sleep 0.3; }
await() {
	i=0
	while ! grep -qF -- "$1" "$D"; do
		i=$((i + 1)); [ $i -gt 30 ] && return 1; sleep 0.1
	done
}

# Content-Length before Content-Type, Host in the middle: an order that
# reframing at the end of the list would change.
python3 - "$PP" "$OP" >"$TMP/got" 2>&1 <<'PY' &
import socket, sys
pp, op = int(sys.argv[1]), sys.argv[2]
s = socket.create_connection(("127.0.0.1", pp))
s.sendall(("POST http://127.0.0.1:%s/headers HTTP/1.1\r\n"
           "User-Agent: asis/1\r\nX-First: a\r\nHost: 127.0.0.1:%s\r\n"
           "Content-Length: 5\r\nX-Mid: b\r\nContent-Type: text/plain\r\n"
           "Accept: */*\r\n\r\nhello" % (op, op)).encode())
data = b""
while not data.endswith(b"\n\n") and len(data) < 100000:
    b = s.recv(65536)
    if not b:
        break
    data += b
print(data.decode(errors="replace").split("\r\n\r\n", 1)[-1])
PY
C=$!
check "the request pauses" await "paused 1 request POST"
cmd "resume 1"
wait $C
# The origin answers with the head it received (Python joins the fields
# with LF); the names in order tell the order.
names() { sed -n '2,$p' "$1" | grep : | cut -d: -f1 | tr '\n' ' '; }
WANT="User-Agent X-First Host Content-Length X-Mid Content-Type Accept "
eq "resumed unedited: the fields in the client's order" "$(names "$TMP/got")" \
    "$WANT"

cmd "replay 1"
check "the replay ran" await "replay POST"
stop_trawl
# The replay is the second flow; its response is the head it sent.
python3 -c "
import json
es = json.load(open('$TMP/out.har'))['log']['entries']
print(es[-1]['response']['content'].get('text', ''))" >"$TMP/replayed"
eq "the replay sends the recorded fields in order, nothing added" \
    "$(names "$TMP/replayed")" "$WANT"
check "the replay adds no Connection field" sh -c "! grep -qi '^connection:' '$TMP/replayed'"
finish
