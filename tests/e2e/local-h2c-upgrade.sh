#!/bin/sh
# local-h2c-upgrade.sh -- `Upgrade: h2c` (RFC 7540 3.2) in local mode:
# curl --http2 and nghttp -u ask a cleartext server to switch to HTTP/2;
# trawl answers 101 itself and the connection goes on as HTTP/2 (the
# request is stream 1, later requests further streams), while the server,
# an nginx that knows no h2c upgrade, is spoken to in HTTP/1.1. The flows
# say HTTP/2.0 on the client's side and HTTP/1.1 on the server's. A
# request with a body keeps HTTP/1.1 (trawl declines its upgrade).
[ -n "${LOCAL_E2E_TIMED:-}" ] || LOCAL_E2E_TIMED=1 exec timeout -k 5 60 sh "$0" "$@"
. "$(dirname "$0")/local-common.inc"
for c in nginx nghttp; do command -v $c >/dev/null || fail "$c missing"; done

start_servers
chmod 755 "$T"		# nginx's worker runs as nobody
mkdir -p "$T/www" "$T/ngx"
printf 'hello\n' >"$T/www/small"
cat >"$T/ngx/nginx.conf" <<NGX
worker_processes 1;
daemon off;
error_log $T/ngx/error.log;
pid $T/ngx/nginx.pid;
events { worker_connections 256; }
http {
	access_log off;
	client_body_temp_path $T/ngx;
	proxy_temp_path $T/ngx;
	fastcgi_temp_path $T/ngx;
	uwsgi_temp_path $T/ngx;
	scgi_temp_path $T/ngx;
	root $T/www;
	server { listen 192.0.2.1:8081;
		location = /hdr { default_type text/plain;
			return 200 "proto=\$server_protocol up=\$http_upgrade s=\$http_http2_settings\n"; } }
}
NGX
inb nginx -c "$T/ngx/nginx.conf"
i=0
until ina curl -s -o /dev/null -m 1 http://192.0.2.1:8081/small; do
	i=$((i + 1)); [ $i -gt 100 ] && fail "nginx did not start"
	sleep 0.05
done
# Without trawl nginx declines the upgrade: curl stays on HTTP/1.1.
[ "$(ina curl -s -o /dev/null --http2 -w '%{http_version}' http://192.0.2.1:8081/small)" = 1.1 ] ||
	fail "nginx upgraded to h2c by itself"

start_trawl "curl,nghttp" -w "$T/up.har"

# curl --http2: the 101 comes from trawl, then HTTP/2 on the connection;
# the second URL goes as stream 3 on the same connection.
bgcg curl -sv -m 10 --http2 -o "$T/b1" -o "$T/b2" -w '%{http_version} ' \
    http://192.0.2.1:8081/hdr http://192.0.2.1:8081/small >"$T/v" 2>"$T/curl.err"
wait $p || fail "curl --http2: $(tail -5 "$T/curl.err")"
grep -q '^< HTTP/1.1 101 Switching Protocols' "$T/curl.err" ||
	fail "no 101 in curl -v: $(grep '^[<*]' "$T/curl.err" | head -20)"
grep -q '^< HTTP/2 200' "$T/curl.err" || fail "no HTTP/2 response in curl -v"
grep -q 'Using Stream ID: 3' "$T/curl.err" && ! grep -q 'Connection #1' "$T/curl.err" ||
	fail "the second request did not go as stream 3 on the same connection"
[ "$(cat "$T/v")" = "2 2 " ] || fail "curl got HTTP versions '$(cat "$T/v")'"
[ "$(cat "$T/b1")" = "proto=HTTP/1.1 up= s=" ] ||
	fail "nginx saw '$(cat "$T/b1")' (want HTTP/1.1 without the upgrade fields)"
[ "$(cat "$T/b2")" = hello ] || fail "the second body is '$(cat "$T/b2")'"
ok "curl --http2: 101 from trawl, HTTP/2 responses, nginx asked in HTTP/1.1"
waitfor "curl:$p GET http://192\.0\.2\.1:8081/hdr HTTP/2\.0 << 200" || fail "the upgraded flow is not HTTP/2.0"
waitfor "curl:$p GET http://192\.0\.2\.1:8081/small HTTP/2\.0 << 200" || fail "stream 3's flow is missing"
ok "the flows of both streams say HTTP/2.0"

# nghttp -u: the upgrade as nghttp2's own client does it.
bgcg nghttp -u -v http://192.0.2.1:8081/hdr >"$T/nghttp" 2>&1
wait $p || fail "nghttp -u: $(tail -5 "$T/nghttp")"
grep -q "HTTP Upgrade response" "$T/nghttp" && grep -q "recv (stream_id=1) :status: 200" "$T/nghttp" &&
    grep -q "^proto=HTTP/1.1" "$T/nghttp" || fail "nghttp -u: $(tail -8 "$T/nghttp")"
waitfor "nghttp:$p GET http://192\.0\.2\.1:8081/hdr HTTP/2\.0 << 200" || fail "nghttp -u flow missing"
ok "nghttp -u: upgraded, stream 1 answered"

# A request with a body: declined, HTTP/1.1 both ways.
bgcg curl -sS -m 10 --http2 -d hello -o "$T/b3" -w '%{http_version}' \
    http://192.0.2.1:8081/hdr >"$T/v"
wait $p || fail "curl --http2 -d"
[ "$(cat "$T/v") $(cat "$T/b3")" = "1.1 proto=HTTP/1.1 up= s=" ] ||
	fail "a POST's upgrade: '$(cat "$T/v") $(cat "$T/b3")'"
waitfor "curl:$p POST http://192\.0\.2\.1:8081/hdr << 200" || fail "POST flow missing"
ok "a request with a body keeps HTTP/1.1"

# The HAR: the client's side HTTP/2.0, the server's HTTP/1.1.
stop_trawl
v=$(python3 - "$T/up.har" <<'PY'
import json, sys
for e in json.load(open(sys.argv[1]))["log"]["entries"]:
    if e["request"]["url"] == "http://192.0.2.1:8081/hdr":
        print(e["request"]["httpVersion"], e["response"]["httpVersion"])
        break
PY
)
[ "$v" = "HTTP/2.0 HTTP/1.1" ] || fail "the HAR records '$v'"
ok "HAR: HTTP/2.0 toward the client, HTTP/1.1 toward nginx"
echo PASS
