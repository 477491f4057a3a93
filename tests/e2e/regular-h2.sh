#!/bin/sh
# regular-h2.sh -- HTTP/2 in regular mode: nginx as an HTTP/2 upstream
# (TLS through CONNECT, and h2c) and as an HTTP/1-only one; curl --http2
# (bodies intact, an upload), nghttp -v (the frames reach the client),
# h2load with many streams at once, h2c with prior knowledge on the proxy
# port and in a tunnel; the flows and the HAR record the version each side
# spoke; intercept, edit and resume of an HTTP/2 request with --dump
# commands, kill resets the stream, replay goes out over HTTP/2.
[ -n "${H2_E2E_TIMED:-}" ] || H2_E2E_TIMED=1 exec timeout -k 5 150 sh "$0" "$@"
. "$(dirname "$0")/lib.sh"
. "$HERE/h2-common.inc"
for c in nginx nghttp h2load curl; do
	command -v $c >/dev/null || { not_ok "$c is installed (make deps)"; finish; }
done

h2_certs "$TMP" "DNS:localhost,IP:127.0.0.1" || { not_ok "test certificates"; finish; }
OP=$(free_port); NS=$(free_port); NC=$(free_port); N1=$(free_port)
PP=$(free_port); RP=$(free_port); RP1=$(free_port)
start_origin "$OP" || { not_ok "origin.py listens"; finish; }
h2_nginx "$TMP" "127.0.0.1:$NS" "127.0.0.1:$NC" "127.0.0.1:$N1" "127.0.0.1:$OP"
nginx -c "$TMP/ngx/nginx.conf" 2>"$TMP/nginx.stderr" &
cleanup_add "kill $!"
for p in $NS $NC $N1; do wait_port 127.0.0.1 $p || { not_ok "nginx listens"; finish; }; done

mkfifo "$TMP/ctl"
# Hold the fifo open for writing so trawl never sees end of input.
sleep 600 >"$TMP/ctl" &
cleanup_add "kill $!"
TRAWL_STDIN=$TMP/ctl start_trawl --mode "regular@$PP" --dump \
    --upstream-ca "$TMP/ca.pem" -w "$TMP/h2.har"
exec 3>"$TMP/ctl"
wait_port 127.0.0.1 "$PP" || { not_ok "trawl listens"; finish; }
TCA=$XDG_CONFIG_HOME/trawl/trawl-ca-cert.pem
X="-x http://127.0.0.1:$PP"
S=https://127.0.0.1:$NS
D=$TMP/dump.out
# nghttp has no proxy setting: these relays make its connections CONNECT
# tunnels through trawl (to the HTTP/2 and to the HTTP/1-only server).
python3 "$HERE/h2relay.py" "$RP" "$PP" "127.0.0.1:$NS" 2>"$TMP/relay.err" &
cleanup_add "kill $!"
python3 "$HERE/h2relay.py" "$RP1" "$PP" "127.0.0.1:$N1" 2>"$TMP/relay1.err" &
cleanup_add "kill $!"
wait_port 127.0.0.1 "$RP" && wait_port 127.0.0.1 "$RP1" || { not_ok "relays"; finish; }

cmd() { echo "$1" >&3; sleep 0.3; }
# Waits for a line in the dump (5 s).
await() {
	i=0
	while ! grep -qF -- "$1" "$D"; do
		i=$((i + 1)); [ $i -gt 50 ] && return 1; sleep 0.1
	done
}
# har URL: "request-version response-version client-ALPN server-ALPN
# status" of the last HAR entry for URL (written as its flow finishes).
har() {
	python3 - "$TMP/h2.har" "$1" <<'PY'
import json, sys
v = "none"
for e in json.load(open(sys.argv[1]))["log"]["entries"]:
    if e["request"]["url"] == sys.argv[2]:
        v = "%s %s %s %s %s" % (e["request"]["httpVersion"],
            e["response"]["httpVersion"] or "-",
            e.get("_clientTLS", {}).get("alpn") or "-",
            e.get("_serverTLS", {}).get("alpn") or "-", e["response"]["status"])
print(v)
PY
}
# harwait URL WANT: har URL until it reads WANT (3 s).
harwait() {
	i=0
	while [ "$(har "$1")" != "$2" ] && [ $i -lt 30 ]; do i=$((i + 1)); sleep 0.1; done
	eq "HAR: $1 records $2" "$(har "$1")" "$2"
}

# 1. curl --http2 through CONNECT to an HTTP/2 server: HTTP/2 on both
# sides, bodies intact both ways.
eq "curl --http2 speaks HTTP/2 through trawl" \
    "$(curl -s --cacert "$TCA" --http2 $X -o "$TMP/small" -w '%{http_version}' "$S/small")" 2
eq "the small body is intact" "$(cat "$TMP/small")" hello
curl -s --cacert "$TCA" --http2 $X -o "$TMP/big" "$S/big"
check "a 5 MiB body is intact" cmp -s "$TMP/big" "$TMP/www/big"
head -c 3000000 /dev/urandom >"$TMP/up"
curl -s --cacert "$TCA" --http2 $X --data-binary "@$TMP/up" -D "$TMP/up.head" \
    -o "$TMP/up.back" "$S/o/echo"
eq "a 3 MB upload reached the server intact" \
    "$(sed -n 's/^x-sha256: \([0-9a-f]*\).*/\1/p' "$TMP/up.head")" \
    "$(sha256sum <"$TMP/up" | cut -d' ' -f1)"
check "and came back intact" cmp -s "$TMP/up" "$TMP/up.back"
contains "the upload is a flow" "$D" "POST $S/o/echo HTTP/2.0 << 200"
harwait "$S/small" "HTTP/2.0 HTTP/2.0 h2 h2 200"
harwait "$S/o/echo" "HTTP/2.0 HTTP/2.0 h2 h2 200"

# 2. The HTTP/1-only server: curl offers both and gets HTTP/1.1 from
# trawl, as the server chose.
eq "an HTTP/1-only server: curl --http2 gets HTTP/1.1" \
    "$(curl -s --cacert "$TCA" --http2 $X -o "$TMP/h1" -w '%{http_version}' "https://127.0.0.1:$N1/hdr")" 1.1
contains "the HTTP/1 server answered" "$TMP/h1" "proto=HTTP/1.1"
harwait "https://127.0.0.1:$N1/hdr" "HTTP/1.1 HTTP/1.1 http/1.1 http/1.1 200"

# 3. nghttp (offers h2 only) through a tunnel: the frames reach it.
timeout 10 nghttp -v -H ":authority: 127.0.0.1:$NS" "https://127.0.0.1:$RP/small" \
    >"$TMP/nghttp" 2>&1
contains "nghttp: trawl's SETTINGS arrive" "$TMP/nghttp" "recv SETTINGS frame"
contains "nghttp: the response HEADERS arrive" "$TMP/nghttp" "recv HEADERS frame"
contains "nghttp: :status 200" "$TMP/nghttp" "recv (stream_id=13) :status: 200"
contains "nghttp: DATA with END_STREAM" "$TMP/nghttp" "; END_STREAM"
contains "nghttp: the body" "$TMP/nghttp" "hello"
harwait "$S/small" "HTTP/2.0 HTTP/2.0 h2 h2 200"
# An HTTP/2 client and an HTTP/1-only server: httpx with http1=False
# speaks HTTP/2 whatever ALPN chose; trawl speaks HTTP/2 to it and
# HTTP/1.1 to the server. (nghttp, which offers h2 alone, fails there:
# regular-h2-bugs.sh.)
/usr/bin/python3 - "$PP" "$TCA" "https://127.0.0.1:$N1/hdr" >"$TMP/httpx1" 2>&1 <<'PY'
import sys, httpx
with httpx.Client(http1=False, http2=True, verify=sys.argv[2],
                  proxies="http://127.0.0.1:%s" % sys.argv[1], timeout=10) as c:
    r = c.get(sys.argv[3])
    print(r.http_version, r.status_code, r.text.split()[-1])
PY
eq "an HTTP/2 client behind an HTTP/1 server: HTTP/2 to the client, HTTP/1.1 to the server" \
    "$(cat "$TMP/httpx1")" "HTTP/2 200 proto=HTTP/1.1"
harwait "https://127.0.0.1:$N1/hdr" "HTTP/2.0 HTTP/1.1 http/1.1 http/1.1 200"

# 4. h2c with prior knowledge: on the proxy port (routed by :authority)
# and inside a CONNECT tunnel.
C=http://127.0.0.1:$NC
eq "h2c prior knowledge on the proxy port" \
    "$(curl -s --http2-prior-knowledge --connect-to "::127.0.0.1:$PP" -o "$TMP/c1" -w '%{http_version}' "$C/small")" 2
eq "h2c on the proxy port: the body" "$(cat "$TMP/c1")" hello
eq "h2c prior knowledge in a CONNECT tunnel" \
    "$(curl -s --http2-prior-knowledge -p $X -o "$TMP/c2" -w '%{http_version}' "$C/hdr")" 2
contains "h2c in a tunnel: the server spoke HTTP/2" "$TMP/c2" "proto=HTTP/2.0"
harwait "$C/hdr" "HTTP/2.0 HTTP/2.0 - - 200"
timeout 10 nghttp -v -H ":authority: 127.0.0.1:$NC" "http://127.0.0.1:$PP/small" \
    >"$TMP/nghttp2" 2>&1
contains "nghttp h2c on the proxy port: HEADERS" "$TMP/nghttp2" "recv (stream_id=13) :status: 200"

# 5. h2load: 4 connections, 64 streams each at once, every request a
# flow and every one answered.
before=$(grep -c "GET $C/small HTTP/2.0 << 200" "$D")
timeout 60 h2load -n 2000 -c 4 -m 64 --connect-to="127.0.0.1:$PP" "$C/small" \
    >"$TMP/h2load" 2>&1
contains "h2load: 2000 requests, all succeeded" "$TMP/h2load" "2000 succeeded, 0 failed, 0 errored, 0 timeout"
contains "h2load: all 2xx" "$TMP/h2load" "status codes: 2000 2xx"
i=0
while [ "$(grep -c "GET $C/small HTTP/2.0 << 200" "$D")" -lt $((before + 2000)) ] && [ $i -lt 50 ]; do
	i=$((i + 1)); sleep 0.1
done
eq "each h2load request is a flow" "$(grep -c "GET $C/small HTTP/2.0 << 200" "$D")" "$((before + 2000))"

# 6. Intercept, edit, resume: the server sees the edit.
cmd "intercept ~q & ~u /hdr"
contains "the rule is set" "$D" "ok rule 1"
curl -s --cacert "$TCA" --http2 $X -o "$TMP/e1" -w '%{http_version}' "$S/hdr" >"$TMP/e1.v" &
E1=$!
cleanup_add "kill $E1"
check "the HTTP/2 request pauses" await "request GET $S/hdr"
id=$(sed -n "s|^paused \([0-9]*\) request GET $S/hdr\$|\1|p" "$D" | tail -n 1)
check "the client waits" kill -0 $E1
# An HTTP/1-style request line: trawl re-encodes the edit as HTTP/2.
# (The HTTP/2.0 line trawl itself writes is refused: regular-h2-bugs.sh.)
printf 'GET /hdr HTTP/1.1\r\nuser-agent: trawl-edited\r\nx-edited: yes\r\n\r\n' >"$TMP/edit"
cmd "edit $id request $TMP/edit"
cmd "resume $id"
wait $E1
eq "the server saw the edit" "$(cat "$TMP/e1")" "ua=trawl-edited x=yes proto=HTTP/2.0"
eq "the client still spoke HTTP/2" "$(cat "$TMP/e1.v")" 2
check "the edited flow finished" await "GET $S/hdr HTTP/2.0 << 200"

# 7. Kill resets the stream: curl sees an HTTP/2 stream error, and a
# second stream of the same connection is answered.
cmd "intercept ~q & ~u /big"
curl -s --cacert "$TCA" --http2 -Z $X -w '%{url} %{http_code} %{exitcode}\n' \
    -o /dev/null -o "$TMP/k2" "$S/big" "$S/small?other" >"$TMP/k" 2>&1 &
K=$!
cleanup_add "kill $K"
check "the request to kill pauses" await "request GET $S/big"
kid=$(sed -n "s|^paused \([0-9]*\) request GET $S/big\$|\1|p" "$D" | tail -n 1)
check "the other stream is answered meanwhile" await "GET $S/small?other HTTP/2.0 << 200"
cmd "kill $kid"
wait $K
contains "the killed stream is reset (curl: HTTP/2 stream error)" "$TMP/k" "$S/big 000 92"
contains "the other stream got its body" "$TMP/k" "$S/small?other 200 0"
check "the kill is recorded" await "GET $S/big HTTP/2.0 << - 0b"
contains "the killed flow says why" "$D" "error: killed by the user"
cmd "unintercept 1"
cmd "unintercept 2"

# 8. Replay of the edited flow goes out over HTTP/2, as the server prefers.
cmd "replay $id"
contains "replay answers with the new flow id" "$D" "ok replay"
rid=$(sed -n 's/^ok replay \([0-9]*\)$/\1/p' "$D" | tail -n 1)
check "the replay finishes" await " replay GET $S/hdr << 200"
python3 - "$TMP/h2.har" "$rid" "$id" >"$TMP/replay" <<'PY'
import json, sys, time
for _ in range(30):
    for e in json.load(open(sys.argv[1]))["log"]["entries"]:
        if str(e["_id"]) == sys.argv[2]:
            print(e["_replay"], e["_replayOf"], e["response"]["httpVersion"],
                  e["response"]["content"].get("text", "").strip())
            sys.exit(0)
    time.sleep(0.1)
print("no replay entry")
PY
eq "the replay went out over HTTP/2 with the edit" "$(cat "$TMP/replay")" \
    "client $id HTTP/2.0 ua=trawl-edited x=yes proto=HTTP/2.0"

check "trawl is alive" kill -0 "$TRAWL_PID"
stop_trawl
check "the HAR file is valid JSON" python3 -m json.tool "$TMP/h2.har" >/dev/null
finish
