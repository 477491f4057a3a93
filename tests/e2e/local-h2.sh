#!/bin/sh
# local-h2.sh -- HTTP/2 in local mode: captured clients in netns A, nginx
# (HTTP/2 over TLS on 443, h2c on 8080, HTTP/1-only TLS on 8443) and
# python grpcio servers (h2c on 50051, TLS on 50052) in netns B. curl
# --http2 and --http2-prior-knowledge, nghttp, h2load, httpx with http2
# (TLS, and h2c with http1=False) and grpcio (h2c and TLS) each work and
# are recorded as HTTP/2 flows with their process.
[ -n "${LOCAL_E2E_TIMED:-}" ] || LOCAL_E2E_TIMED=1 exec timeout -k 5 120 sh "$0" "$@"
. "$(dirname "$0")/local-common.inc"
. tests/e2e/h2-common.inc
PY=/usr/bin/python3	# Debian's grpcio and httpx import only there
for c in nginx nghttp h2load; do command -v $c >/dev/null || fail "$c missing"; done
$PY -c 'import grpc, httpx, h2' 2>/dev/null || fail "python3-grpcio, python3-httpx, python3-h2 missing (make deps)"

start_servers
h2_certs "$T" "DNS:www.test.trawl,IP:192.0.2.1" || fail "test certificates"
h2_nginx "$T" 192.0.2.1:443 192.0.2.1:8080 192.0.2.1:8443 192.0.2.1:80
inb nginx -c "$T/ngx/nginx.conf"
inb $PY tests/e2e/grpc-peer.py server 192.0.2.1 50051
inb $PY tests/e2e/grpc-peer.py server 192.0.2.1 50052 "$T/srv.pem" "$T/srv.key"
i=0
until ina curl -s -o /dev/null -m 1 --cacert "$T/ca.pem" https://192.0.2.1/small &&
    ina curl -s -o /dev/null -m 1 --http2-prior-knowledge http://192.0.2.1:8080/small &&
    ina $PY -c 'import socket; socket.create_connection(("192.0.2.1", 50051), 1)
socket.create_connection(("192.0.2.1", 50052), 1)' 2>/dev/null; do
	i=$((i + 1)); [ $i -gt 100 ] && fail "servers did not start"
	sleep 0.05
done

start_trawl "curl,python3,nghttp,h2load" --confdir "$T/conf" \
    --upstream-ca "$T/ca.pem" -w "$T/h2.har"
TCA=$T/conf/trawl-ca-cert.pem

# har URL: "request-version response-version status" of the last HAR
# entry for URL, waiting for it (3 s).
har() {
	python3 - "$T/h2.har" "$1" <<'PY'
import json, sys, time
for _ in range(30):
    v = None
    for e in json.load(open(sys.argv[1]))["log"]["entries"]:
        if e["request"]["url"] == sys.argv[2]:
            v = "%s %s %s" % (e["request"]["httpVersion"],
                e["response"]["httpVersion"] or "-", e["response"]["status"])
    if v:
        break
    time.sleep(0.1)
print(v)
PY
}
# recorded WHAT URL WANT
recorded() {
	v=$(har "$2")
	[ "$v" = "$3" ] || fail "$1: the HAR records '$v' for $2, want '$3'"
	ok "$1: recorded as $3"
}

# curl --http2 over TLS: HTTP/2 both sides, bodies intact both ways.
bgcg curl -sS -m 10 --http2 --cacert "$TCA" -o "$T/small" -w '%{http_version}' \
    https://192.0.2.1/small >"$T/v"
wait $p || fail "curl --http2"
[ "$(cat "$T/v") $(cat "$T/small")" = "2 hello" ] || fail "curl --http2 got '$(cat "$T/v") $(cat "$T/small")'"
waitfor "curl:$p GET https://192\.0\.2\.1/small HTTP/2\.0 << 200" || fail "curl --http2 flow missing"
recorded "curl --http2" https://192.0.2.1/small "HTTP/2.0 HTTP/2.0 200"
bgcg curl -sS -m 20 --http2 --cacert "$TCA" -o "$T/big" https://192.0.2.1/big
wait $p || fail "curl --http2 big"
cmp -s "$T/big" "$T/www/big" || fail "the 5 MiB body differs"
head -c 2000000 /dev/urandom >"$T/up"
bgcg curl -sS -m 20 --http2 --cacert "$TCA" --data-binary "@$T/up" -D "$T/up.head" \
    -o /dev/null https://192.0.2.1/o/echo
wait $p || fail "curl --http2 upload"
grep -qi "^x-sha256: $(sha256sum <"$T/up" | cut -d' ' -f1)" "$T/up.head" ||
	fail "the upload arrived changed"
ok "curl --http2: a 5 MiB download and a 2 MB upload are intact"

# An HTTP/1-only server: curl gets HTTP/1.1, as the server chose.
bgcg curl -sS -m 10 --http2 --cacert "$TCA" -o /dev/null -w '%{http_version}' \
    https://192.0.2.1:8443/hdr >"$T/v"
wait $p || fail "curl to the HTTP/1 server"
[ "$(cat "$T/v")" = 1.1 ] || fail "HTTP/1-only server: curl got $(cat "$T/v")"
recorded "curl --http2 to an HTTP/1-only server" https://192.0.2.1:8443/hdr "HTTP/1.1 HTTP/1.1 200"

# h2c with prior knowledge.
bgcg curl -sS -m 10 --http2-prior-knowledge -o "$T/c" -w '%{http_version}' \
    http://192.0.2.1:8080/hdr >"$T/v"
wait $p || fail "curl --http2-prior-knowledge"
[ "$(cat "$T/v")" = 2 ] && grep -q "proto=HTTP/2.0" "$T/c" ||
	fail "h2c: '$(cat "$T/v")' '$(cat "$T/c")'"
waitfor "curl:$p GET http://192\.0\.2\.1:8080/hdr HTTP/2\.0 << 200" || fail "h2c flow missing"
recorded "curl --http2-prior-knowledge" http://192.0.2.1:8080/hdr "HTTP/2.0 HTTP/2.0 200"

# nghttp (h2 alone in its ALPN) and h2load (many streams at once).
bgcg nghttp -v https://192.0.2.1/small >"$T/nghttp" 2>&1
wait $p || fail "nghttp"
grep -q "recv (stream_id=13) :status: 200" "$T/nghttp" && grep -q "^hello" "$T/nghttp" ||
	fail "nghttp: $(tail -5 "$T/nghttp")"
waitfor "nghttp:$p GET https://192\.0\.2\.1/small HTTP/2\.0 << 200" || fail "nghttp flow missing"
ok "nghttp: HTTP/2 frames and the body arrive"
bgcg h2load -n 1000 -c 2 -m 50 http://192.0.2.1:8080/small >"$T/h2load" 2>&1
wait $p || fail "h2load: $(tail -5 "$T/h2load")"
grep -q "1000 succeeded, 0 failed, 0 errored, 0 timeout" "$T/h2load" ||
	fail "h2load: $(grep requests: "$T/h2load")"
i=0
while [ "$(grep -c "h2load:$p GET http://192.0.2.1:8080/small HTTP/2.0 << 200" "$T/dump.out")" -lt 1000 ] &&
    [ $i -lt 60 ]; do i=$((i + 1)); sleep 0.05; done
[ "$(grep -c "h2load:$p GET http://192.0.2.1:8080/small HTTP/2.0 << 200" "$T/dump.out")" = 1000 ] ||
	fail "h2load: not every stream is a flow"
ok "h2load: 1000 requests on 2 connections x 50 streams, each a flow"

# httpx with http2=True over TLS (verifying with trawl's CA), and h2c
# with prior knowledge (http1=False).
cat >"$T/client-httpx.py" <<'PY'
import sys, httpx
with httpx.Client(http2=True, verify=sys.argv[1], timeout=10) as c:
    r = c.get("https://192.0.2.1/hdr")
    assert (r.http_version, r.status_code) == ("HTTP/2", 200), r
    assert "proto=HTTP/2.0" in r.text, r.text
with httpx.Client(http1=False, http2=True, timeout=10) as c:
    r = c.get("http://192.0.2.1:8080/hdr?httpx")
    assert (r.http_version, r.status_code) == ("HTTP/2", 200), r
    assert "proto=HTTP/2.0" in r.text, r.text
print("httpx ok")
PY
bgcg $PY "$T/client-httpx.py" "$TCA" >"$T/httpx" 2>&1
wait $p && grep -q "httpx ok" "$T/httpx" || fail "httpx: $(tail -3 "$T/httpx")"
waitfor "python3:$p GET https://192\.0\.2\.1/hdr HTTP/2\.0 << 200" || fail "httpx TLS flow missing"
recorded "httpx http2=True" https://192.0.2.1/hdr "HTTP/2.0 HTTP/2.0 200"
recorded "httpx h2c (http1=False)" "http://192.0.2.1:8080/hdr?httpx" "HTTP/2.0 HTTP/2.0 200"

# grpcio: every kind of call, h2c and TLS.
bgcg $PY tests/e2e/grpc-peer.py client 192.0.2.1:50052 --ca "$TCA" \
    --name www.test.trawl >"$T/gt" 2>&1
wait $p || fail "grpc over TLS: $(tail -3 "$T/gt")"
[ "$(grep -c '^ok' "$T/gt")" = 8 ] || fail "grpc over TLS: $(cat "$T/gt")"
waitfor "python3:$p POST https://www\.test\.trawl:50052/trawl\.test\.Echo/Bidi HTTP/2\.0 << 200" ||
	fail "grpc TLS flows missing"
recorded "grpc over TLS" https://www.test.trawl:50052/trawl.test.Echo/ServerStream "HTTP/2.0 HTTP/2.0 200"
bgcg $PY tests/e2e/grpc-peer.py client 192.0.2.1:50051 >"$T/gc" 2>&1
wait $p || fail "grpc h2c: $(tail -3 "$T/gc")"
[ "$(grep -c '^ok' "$T/gc")" = 8 ] || fail "grpc h2c: $(cat "$T/gc")"
waitfor "python3:$p POST http://192\.0\.2\.1:50051/trawl\.test\.Echo/Bidi HTTP/2\.0 << 200" ||
	fail "grpc h2c flows missing"
recorded "grpc h2c" http://192.0.2.1:50051/trawl.test.Echo/ServerStream "HTTP/2.0 HTTP/2.0 200"
grep -q "trawl.test.Echo.*error:" "$T/dump.out" && fail "a gRPC flow has an error"
ok "grpcio: unary, streaming and bidirectional calls, h2c and TLS"
stop_trawl
echo PASS
