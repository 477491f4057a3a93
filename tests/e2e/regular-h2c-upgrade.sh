#!/bin/sh
# regular-h2c-upgrade.sh -- `Upgrade: h2c` in regular mode. In a CONNECT
# tunnel (curl --http2 -p) the request is in origin form: trawl answers
# 101 and the tunnel goes on as HTTP/2, the next request on it as stream
# 3, while origin.py (HTTP/1 only) is asked in HTTP/1.1 without the
# upgrade's fields. A request to the proxy in absolute form keeps
# HTTP/1.1: HTTP/2 has no absolute form, and curl's next requests on an
# upgraded proxy connection would be malformed.
[ -n "${H2_E2E_TIMED:-}" ] || H2_E2E_TIMED=1 exec timeout -k 5 60 sh "$0" "$@"
. "$(dirname "$0")/lib.sh"
OP=$(free_port); PP=$(free_port)
start_origin "$OP" || { not_ok "origin.py listens"; finish; }
start_trawl --mode "regular@$PP" --dump -w "$TMP/up.har"
wait_port 127.0.0.1 "$PP" || { not_ok "trawl listens"; finish; }
X="-x http://127.0.0.1:$PP"
O=http://127.0.0.1:$OP
D=$TMP/dump.out

curl -sv -m 10 --http2 -p $X -o "$TMP/b1" -o "$TMP/b2" -w '%{http_version} ' \
    "$O/headers" "$O/len/5" >"$TMP/v" 2>"$TMP/curl.err"
eq "curl --http2 in a tunnel speaks HTTP/2 after the upgrade" "$(cat "$TMP/v")" "2 2 "
check "trawl answered 101" grep -q '^< HTTP/1.1 101 Switching Protocols' "$TMP/curl.err"
check "the response came as HTTP/2" grep -q '^< HTTP/2 200' "$TMP/curl.err"
check "the second request went as stream 3 on the same connection" \
    grep -q 'Using Stream ID: 3' "$TMP/curl.err"
check "origin.py was asked in HTTP/1.1" grep -q '^GET /headers HTTP/1.1' "$TMP/b1"
check "without the upgrade's fields" sh -c "! grep -qi '^upgrade\|^http2-settings' '$TMP/b1'"
eq "the second body arrived" "$(wc -c <"$TMP/b2")" 5
contains "the upgraded request is an HTTP/2.0 flow" "$D" "GET $O/headers HTTP/2.0 << 200"
contains "stream 3 is one too" "$D" "GET $O/len/5 HTTP/2.0 << 200"

# Absolute form on the proxy port: declined, HTTP/1.1, both requests work.
curl -s -m 10 --http2 $X -o /dev/null -o /dev/null -w '%{http_version} ' \
    "$O/len/3" "$O/len/4" >"$TMP/v"
eq "an absolute-form request keeps HTTP/1.1" "$(cat "$TMP/v")" "1.1 1.1 "
contains "recorded as HTTP/1.1" "$D" "GET $O/len/4 << 200"
# By hand in a tunnel: malformed HTTP2-Settings are declined (HTTP/1.1
# answer); a client that takes the 101 and then sends no preface is cut
# off with a GOAWAY, and trawl goes on.
cat >"$TMP/raw.py" <<'PY'
import socket, sys
def tunnel():
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), 5)
    s.settimeout(5)
    s.sendall(b"CONNECT 127.0.0.1:%s HTTP/1.1\r\nHost: x\r\n\r\n" % sys.argv[2].encode())
    b = b""
    while b"\r\n\r\n" not in b:
        b += s.recv(4096)
    return s
def ask(settings, then=b""):
    s = tunnel()
    s.sendall(b"GET /len/2 HTTP/1.1\r\nHost: 127.0.0.1\r\n"
              b"Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n"
              b"HTTP2-Settings: " + settings + b"\r\n\r\n" + then)
    b = b""
    try:
        while True:
            d = s.recv(65536)
            if not d:
                break
            b += d
            if b.startswith(b"HTTP/1.1 200") and b.endswith(b"\x00\x01"):
                break
    except socket.timeout:
        pass
    s.close()
    return b
b = ask(b"!!not base64!!")
print("bad-settings", b.split(b"\r\n")[0].decode())
b = ask(b"AAMAAABkAAQCAAAAAAIAAAAA", b"GET / HTTP/1.1\r\n\r\n")
# 101, then trawl's SETTINGS and a GOAWAY (frame type 7) before it closes
print("no-preface", b.split(b"\r\n")[0].decode(), "goaway" if b"\x07\x00\x00\x00\x00\x00" in b else "no goaway")
PY
python3 "$TMP/raw.py" "$PP" "$OP" >"$TMP/raw.out" 2>&1
eq "malformed HTTP2-Settings: the upgrade is declined" \
    "$(sed -n 's/^bad-settings //p' "$TMP/raw.out")" "HTTP/1.1 200 OK"
eq "no preface after the 101: cut off with a GOAWAY" \
    "$(sed -n 's/^no-preface //p' "$TMP/raw.out")" "HTTP/1.1 101 Switching Protocols goaway"
eq "trawl still serves" "$(curl -s -m 5 $X -o /dev/null -w '%{http_code}' "$O/len/1")" 200
stop_trawl
v=$(python3 - "$TMP/up.har" "$O/headers" <<'PY'
import json, sys
for e in json.load(open(sys.argv[1]))["log"]["entries"]:
    if e["request"]["url"] == sys.argv[2]:
        print(e["request"]["httpVersion"], e["response"]["httpVersion"])
PY
)
eq "the HAR: HTTP/2.0 toward curl, HTTP/1.1 toward the server" "$v" "HTTP/2.0 HTTP/1.1"
finish
