#!/bin/sh
# WebSocket through the explicit proxy with python3-websockets on both
# ends: ws:// (CONNECT and an absolute-form GET) and wss:// (CONNECT+TLS),
# messages with permessage-deflate, fragments and a close code in the
# dump; intercept (edit, drop, resume) and inject through the --dump
# commands; the messages in a HAR file and back.
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
PEER=$HERE/wspeer.py

cd "$TMP" || exit 1
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout ca.key -out ca.pem -days 7 -subj "/CN=Test WS CA" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout srv.key -out srv.csr -subj "/CN=localhost" 2>/dev/null
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >ext
openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
    -out srv.pem -days 7 -extfile ext 2>/dev/null
cd - >/dev/null || exit 1

WP=$(free_port); WSP=$(free_port); PP=$(free_port)
$PY "$PEER" server "$WP" >"$TMP/ws.log" 2>&1 &
cleanup_add "kill $!"
$PY "$PEER" server "$WSP" "$TMP/srv.pem" "$TMP/srv.key" >"$TMP/wss.log" 2>&1 &
cleanup_add "kill $!"
wait_port 127.0.0.1 "$WP" || exit 1
wait_port 127.0.0.1 "$WSP" || exit 1

mkfifo "$TMP/ctl"
sleep 600 >"$TMP/ctl" &
cleanup_add "kill $!"
CONF=$TMP/conf
TRAWL_STDIN=$TMP/ctl start_trawl --mode "regular@$PP" --dump --dump-messages \
    --confdir "$CONF" --upstream-ca "$TMP/ca.pem" -w "$TMP/ws.har" \
    --intercept '~websocket & ~bq hold'
exec 3>"$TMP/ctl"
wait_port 127.0.0.1 "$PP" || exit 1
D=$TMP/dump.out
cmd() { echo "$1" >&3; sleep 0.3; }
await() { # TEXT [FILE]: waits up to 10 s
	i=0
	while ! grep -qF -- "$1" "${2:-$D}" 2>/dev/null; do
		i=$((i + 1)); [ $i -gt 100 ] && return 1; sleep 0.1
	done
}
client() { # OUT URL ARGS...
	out=$1; shift
	timeout 30 $PY "$PEER" client "$@" --proxy "$PP" >"$out" 2>&1
}

# 1. ws:// through CONNECT: deflate, fragments, binary, close code.
# A message bigger than what may wait for an intercept decision (the rule
# makes every message wait for its end) passes as it comes.
client "$TMP/c1" "ws://127.0.0.1:$WP/echo" recv send:first recv \
    frag:one,two,three recv bin:00ff10 recv big:5000000 recv \
    send:close-me wait-close
contains "the client got every echo" "$TMP/c1" "recv echo:onetwothree"
contains "permessage-deflate was negotiated end to end" "$TMP/c1" "deflate yes"
contains "a 5 MB message went through and back" "$TMP/c1" "recv-bin-len 5000000"
contains "the big message is shown with its whole size" "$D" \
    "client -> server binary 4.8m deflate"
contains "the server's close code and reason reached the client" "$TMP/c1" \
    "closed 4001 bye now"
contains "the client's message is in the dump, inflated" "$D" \
    "client -> server text 5b deflate first"
contains "the server's message is in the dump" "$D" \
    "server -> client text 10b deflate echo:first"
contains "a fragmented message is one message" "$D" \
    "client -> server text 11b deflate onetwothree"
contains "a binary message shows in hex" "$D" "client -> server binary 3b deflate 00ff10"
contains "the close is printed with code and reason" "$D" \
    "closed by server 4001 bye now"
contains "the flow line comes at the close, with the message count" "$D" \
    "GET http://127.0.0.1:$WP/echo << 101 Switching Protocols 10 msg"

# 2. Without deflate, through an absolute-form GET (a plain proxy).
client "$TMP/c2" "ws://127.0.0.1:$WP/echo" --absolute --no-deflate recv \
    send:plain recv close:1000:done
contains "the absolute-form upgrade works" "$TMP/c2" "recv echo:plain"
contains "an uncompressed message is shown as it is" "$D" \
    "client -> server text 5b plain"
contains "the client's close is printed" "$D" "closed by client 1000 done"

# 3. wss:// through CONNECT and trawl's CA.
client "$TMP/c3" "wss://localhost:$WSP/echo" --ca "$CONF/trawl-ca-cert.pem" \
    recv send:secure recv close:1000:bye
contains "wss echoes through the interception" "$TMP/c3" "recv echo:secure"
contains "wss messages are decrypted in the dump" "$D" \
    "server -> client text 11b deflate echo:secure"

# 4. Intercept: the rule matches the flow once a client message has
# "hold" in it, so from then on every message is held, one at a time (as
# in mitmproxy). The first is edited, the second dropped, the rest go.
client "$TMP/c4" "ws://127.0.0.1:$WP/echo" recv send:hold-a recv \
    send:hold-b send:hold-c recv recv recv big:2000000 wait-close &
C4=$!
check "a matching message is held" await "client -> server text 6b deflate held hold-a"
id=$(grep "held hold-a" "$D" | awk '{print $3}')
check "the held flow is announced paused" await "paused $id message GET"
sleep 0.5
check "the server did not get the held message" sh -c "! grep -q 'recv echo:hold-a' '$TMP/c4'"
printf 'hold-edited!' >"$TMP/edit"
cmd "edit $id message $TMP/edit"
cmd "resume $id"
check "the server's answer to the edit is held in turn" await "held echo:hold-edited!"
cmd "resume $id"
check "the edited message reached the server" await "recv echo:hold-edited!" "$TMP/c4"
check "the second message is held" await "held hold-b"
cmd "drop $id"
check "the third is held after the drop" await "held hold-c"
cmd "resume $id"
check "the answer to the third is held" await "held echo:hold-c"
cmd "unintercept 1"
cmd "resume $id"
check "the third message passed" await "recv echo:hold-c" "$TMP/c4"
cmd "inject $id to-client injected-to-client"
check "an injected message reaches the client" await "recv injected-to-client" "$TMP/c4"
cmd "inject $id to-server injected-to-server"
check "an injected message reaches the server" await "recv echo:injected-to-server" "$TMP/c4"
wait $C4
check "the dropped message never reached the server" sh -c "! grep -q 'echo:hold-b' '$TMP/c4'"
contains "the dump marks injected messages" "$D" "text 18b injected injected-to-server"
# The drop broke the client's deflate context toward the server, so its
# messages are re-sent uncompressed: one past 1 MiB cannot be, and ends
# the connection with 1009.
contains "a message too big to re-encode ends it with 1009" "$TMP/c4" "closed 1009"
contains "the flow says why" "$D" "could not be re-encoded after an edit"
cmd "inject $id to-server late"
contains "a closed connection refuses an injection" "$D" \
    "error: the flow has no open WebSocket connection"

# 5. The HAR file has the messages the way Chrome writes them and reads back.
stop_trawl
exec 3>&-
"$PY" - "$TMP/ws.har" >"$TMP/har.out" <<'EOF'
import json, sys
h = json.load(open(sys.argv[1]))
for e in h["log"]["entries"]:
    for m in e.get("_webSocketMessages", []):
        print(m["type"], m["opcode"], m["data"], type(m["time"]).__name__)
EOF
contains "HAR: a sent message" "$TMP/har.out" "send 1 onetwothree float"
contains "HAR: a received message" "$TMP/har.out" "receive 1 echo:first float"
contains "HAR: a binary message in base64" "$TMP/har.out" "send 2 AP8Q float"
"$TRAWL" -n --dump --dump-messages -r "$TMP/ws.har" >"$TMP/reread.out" 2>&1
contains "HAR: messages read back" "$TMP/reread.out" \
    "client -> server text 11b deflate onetwothree"
contains "HAR: binary read back" "$TMP/reread.out" "binary 3b deflate 00ff10"
finish
