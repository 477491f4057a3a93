#!/bin/sh
# run.sh -- make bench: trawl beside a direct connection and mitmdump, in
# one run, on 127.0.0.1 with an nginx origin. Prints a Markdown report and
# writes it to $BUILD/bench.md (copy the figures to bench/RESULTS.md).
set -u
cd "$(dirname "$0")/.." || exit 1
BUILD=${BUILD:-build}
TRAWL=$(pwd)/$BUILD/trawl
TMP=$(mktemp -d /tmp/trawl-bench.XXXXXX)
PIDS=
trap 'for p in $PIDS; do kill $p 2>/dev/null; done; rm -rf "$TMP"' EXIT
DUR=${BENCH_SECONDS:-5}
OUT=$BUILD/bench.md

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
wait_port() {
	i=0
	while ! python3 -c "import socket; socket.create_connection(('127.0.0.1',$1),0.2)" 2>/dev/null; do
		i=$((i + 1)); [ $i -gt 100 ] && return 1; sleep 0.1
	done
}
rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
hwm_kib() { awk '/^VmHWM/ {print $2}' "/proc/$1/status"; }

# nginx origin: 1 KiB and 256 MiB files, keep-alive without limits.
NP=$(free_port)
mkdir -p "$TMP/www" "$TMP/ngx"
chmod 755 "$TMP"	# nginx's worker runs as nobody
head -c 1024 /dev/urandom >"$TMP/www/1k"
head -c 268435456 /dev/zero >"$TMP/www/256m"
# A test CA and an HTTPS server block signed by it.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$TMP/ca.key" -out "$TMP/ca.pem" -days 7 -subj "/CN=Bench CA" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$TMP/srv.key" -out "$TMP/srv.csr" -subj "/CN=localhost" 2>/dev/null
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >"$TMP/ext"
openssl x509 -req -in "$TMP/srv.csr" -CA "$TMP/ca.pem" -CAkey "$TMP/ca.key" \
    -CAcreateserial -out "$TMP/srv.pem" -days 7 -extfile "$TMP/ext" 2>/dev/null
NS=$(free_port)
cat >"$TMP/ngx/nginx.conf" <<NGX
worker_processes 1;
daemon off;
error_log $TMP/ngx/error.log;
pid $TMP/ngx/nginx.pid;
events { worker_connections 4096; }
http {
	access_log off;
	keepalive_requests 1000000;
	client_body_temp_path $TMP/ngx;
	proxy_temp_path $TMP/ngx;
	fastcgi_temp_path $TMP/ngx;
	uwsgi_temp_path $TMP/ngx;
	scgi_temp_path $TMP/ngx;
	server { listen 127.0.0.1:$NP backlog=4096; root $TMP/www;
		location = /empty { return 204; } }
	server { listen 127.0.0.1:$NS ssl; root $TMP/www;
		ssl_certificate $TMP/srv.pem; ssl_certificate_key $TMP/srv.key; }
}
NGX
nginx -c "$TMP/ngx/nginx.conf" &
PIDS="$PIDS $!"
wait_port "$NP" || { echo "nginx did not start"; exit 1; }

# fresh_trawl: a new trawl (its store empty) on $TP as $TRAWL_PID; the
# memory figures need one that earlier runs did not fill.
fresh_trawl() {
	[ -n "${TRAWL_PID:-}" ] && kill "$TRAWL_PID" 2>/dev/null
	TP=$(free_port)
	# Not on the report's pipe: tee would wait for it to exit.
	"$TRAWL" --mode "regular@$TP" --dump -q --confdir "$TMP/trawl" \
	    --upstream-ca "$TMP/ca.pem" </dev/null >/dev/null 2>&1 &
	TRAWL_PID=$!
	PIDS="$PIDS $TRAWL_PID"
	wait_port "$TP" || { echo "trawl did not start"; exit 1; }
	cat >"$TMP/proxy.lua" <<LUA
wrk.path = "http://127.0.0.1:$NP/1k"
LUA
}
fresh_trawl
MP=$(free_port)
MITM=no
if command -v mitmdump >/dev/null; then
	mitmdump -q --listen-host 127.0.0.1 --listen-port "$MP" \
	    --set stream_large_bodies=1m --set confdir="$TMP/mitm" \
	    --set ssl_verify_upstream_trusted_ca="$TMP/ca.pem" >/dev/null 2>&1 &
	PIDS="$PIDS $!"
	wait_port "$MP" && MITM=yes
fi

# wrk sends absolute-form requests through a proxy ($TMP/proxy.lua).
wrk_run() { # CONNS PORT [proxy] -> "req/s p50 p99"
	if [ "${3:-}" = proxy ]; then s="-s $TMP/proxy.lua"; else s=""; fi
	t=$(( $1 < 2 ? 1 : 2 ))
	wrk -t"$t" -c"$1" -d"${DUR}s" --latency $s "http://127.0.0.1:$2/1k" >"$TMP/wrk" 2>&1
	rps=$(awk '/Requests\/sec/ {print $2}' "$TMP/wrk")
	p50=$(awk '$1=="50%" {print $2}' "$TMP/wrk")
	p99=$(awk '$1=="99%" {print $2}' "$TMP/wrk")
	echo "${rps:-?} ${p50:-?} ${p99:-?}"
}

{
echo "# trawl bench, $(date -u +%Y-%m-%d), $(nproc) cores, $(uname -r)"
echo
echo "Command: \`make bench\` (BENCH_SECONDS=$DUR per wrk run)."
echo
echo "## (a) 1 KiB GET, requests/s and latency (wrk)"
echo
echo "| conns | direct req/s (p50, p99) | trawl req/s (p50, p99) | trawl/direct | mitmdump req/s (p50, p99) |"
echo "| ---: | ---: | ---: | ---: | ---: |"
for c in 1 16 128; do
	set -- $(wrk_run $c "$NP")
	d_rps=$1 d50=$2 d99=$3
	set -- $(wrk_run $c "$TP" proxy)
	t_rps=$1 t50=$2 t99=$3
	m="-"
	if [ $MITM = yes ]; then set -- $(wrk_run $c "$MP" proxy); m="$1 ($2, $3)"; fi
	ratio=$(python3 -c "print('%.2f' % ($t_rps / $d_rps))" 2>/dev/null || echo "?")
	echo "| $c | $d_rps ($d50, $d99) | $t_rps ($t50, $t99) | $ratio | $m |"
done
echo
echo "## (b) 256 MiB download with curl"
echo
speed() { # [proxy-port]
	if [ -n "${1:-}" ]; then x="-x http://127.0.0.1:$1"; else x=""; fi
	curl -s $x -o /dev/null -w '%{speed_download}' "http://127.0.0.1:$NP/256m" |
	    python3 -c "import sys; print('%.0f' % (float(sys.stdin.read()) / 1e6))"
}
fresh_trawl
d=$(speed); t=$(speed "$TP")
m="-"; [ $MITM = yes ] && m=$(speed "$MP")
echo "| direct MB/s | trawl MB/s | trawl/direct | mitmdump MB/s | trawl peak RSS |"
echo "| ---: | ---: | ---: | ---: | ---: |"
echo "| $d | $t | $(python3 -c "print('%.2f' % ($t / $d))") | $m | $(hwm_kib $TRAWL_PID) KiB |"
echo
echo "## (c) 1,000 concurrent keep-alive connections"
echo
set -- $(wrk_run 1000 "$NP"); d99=$3
set -- $(wrk_run 1000 "$TP" proxy); t99=$3
# Memory: 1,000 clients each send one request, then hold the connection.
fresh_trawl
r0=$(rss_kib $TRAWL_PID)
python3 - "$TP" "$NP" "$TRAWL_PID" >"$TMP/held" <<'PY'
import socket, sys
socks = []
req = ("GET http://127.0.0.1:%s/1k HTTP/1.1\r\nHost: x\r\n\r\n" % sys.argv[2]).encode()
for i in range(1000):
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
    s.sendall(req)
    socks.append(s)
for s in socks:
    got = b""
    while b"\r\n\r\n" not in got or len(got.split(b"\r\n\r\n", 1)[1]) < 1024:
        got += s.recv(65536)
rss = [l for l in open("/proc/%s/status" % sys.argv[3]) if l.startswith("VmRSS")][0].split()[1]
print(rss)
PY
r1=$(cat "$TMP/held")
echo "| direct p99 | trawl p99 | trawl RSS growth per held connection (with its flow) |"
echo "| ---: | ---: | ---: |"
echo "| $d99 | $t99 | $(( (r1 - r0) / 1000 )) KiB |"
echo
echo "## (d) memory after 10,000 sequential flows"
echo
fresh_trawl
r0=$(rss_kib $TRAWL_PID)
python3 - "$TP" "$NP" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
req = ("GET http://127.0.0.1:%s/1k HTTP/1.1\r\nHost: x\r\n\r\n" % sys.argv[2]).encode()
for i in range(10000):
    s.sendall(req)
    got = b""
    while b"\r\n\r\n" not in got or len(got.split(b"\r\n\r\n", 1)[1]) < 1024:
        b = s.recv(65536)
        if not b:
            sys.exit("connection closed")
        got += b
PY
r1=$(rss_kib $TRAWL_PID)
# The same with no body at all (204): what a flow costs beyond its body.
fresh_trawl
e0=$(rss_kib $TRAWL_PID)
python3 - "$TP" "$NP" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
req = ("GET http://127.0.0.1:%s/empty HTTP/1.1\r\nHost: x\r\n\r\n" % sys.argv[2]).encode()
for i in range(10000):
    s.sendall(req)
    got = b""
    while b"\r\n\r\n" not in got:
        b = s.recv(65536)
        if not b:
            sys.exit("connection closed")
        got += b
PY
e1=$(rss_kib $TRAWL_PID)
echo "| flows | RSS before | RSS after | retained per flow |"
echo "| --- | ---: | ---: | ---: |"
echo "| 10,000 GETs of 1 KiB (body kept) | $r0 KiB | $r1 KiB | $(( (r1 - r0) * 1024 / 10000 )) bytes |"
echo "| 10,000 GETs answered 204 (no body) | $e0 KiB | $e1 KiB | $(( (e1 - e0) * 1024 / 10000 )) bytes |"

echo
echo "## (e) HTTPS (issue 3)"
echo
# curl keeps 16 connections busy with 1 KiB requests; a fresh curl per
# connection measures new TLS connections per second.
printf 'url = "https://localhost:%s/1k"\noutput = "/dev/null"\n' "$NS" >"$TMP/one"
i=0; : >"$TMP/many"; while [ $i -lt 4000 ]; do cat "$TMP/one" >>"$TMP/many"; i=$((i + 1)); done
head -n 2000 "$TMP/many" >"$TMP/few"	# 1,000 transfers
https_rps() { # CAFILE [PROXYPORT]
	x=""; [ -n "${2:-}" ] && x="-x http://127.0.0.1:$2"
	t0=$(date +%s.%N)
	curl -s --no-progress-meter -Z --parallel-max 16 --cacert "$1" $x \
	    -K "$TMP/many" 2>/dev/null
	t1=$(date +%s.%N)
	python3 -c "print('%.0f' % (4000 / ($t1 - $t0)))"
}
# Connection: close makes every transfer a new TLS connection (through a
# proxy: a new CONNECT tunnel and two handshakes).
https_conns() { # CAFILE [PROXYPORT]
	x=""; [ -n "${2:-}" ] && x="-x http://127.0.0.1:$2"
	t0=$(date +%s.%N)
	curl -s --no-progress-meter -Z --parallel-max 16 --cacert "$1" $x \
	    -H "Connection: close" -K "$TMP/few" 2>/dev/null
	t1=$(date +%s.%N)
	python3 -c "print('%.0f' % (1000 / ($t1 - $t0)))"
}
https_bulk() { # CAFILE [PROXYPORT]
	x=""; [ -n "${2:-}" ] && x="-x http://127.0.0.1:$2"
	curl -s --cacert "$1" $x -o /dev/null -w '%{speed_download}' "https://localhost:$NS/256m" |
	    python3 -c "import sys; print('%.0f' % (float(sys.stdin.read()) / 1e6))"
}
TCA=$TMP/trawl/trawl-ca-cert.pem
MCA=$TMP/mitm/mitmproxy-ca-cert.pem
d1=$(https_rps "$TMP/ca.pem"); t1=$(https_rps "$TCA" "$TP")
d2=$(https_conns "$TMP/ca.pem"); t2=$(https_conns "$TCA" "$TP")
d3=$(https_bulk "$TMP/ca.pem"); t3=$(https_bulk "$TCA" "$TP")
m1="-"; m2="-"; m3="-"
if [ $MITM = yes ] && [ -f "$MCA" ]; then
	m1=$(https_rps "$MCA" "$MP"); m2=$(https_conns "$MCA" "$MP"); m3=$(https_bulk "$MCA" "$MP")
fi
echo "| measure | direct | trawl | trawl/direct | mitmdump |"
echo "| --- | ---: | ---: | ---: | ---: |"
echo "| 1 KiB requests/s, 16 connections (curl -Z) | $d1 | $t1 | $(python3 -c "print('%.2f' % ($t1 / $d1))") | $m1 |"
echo "| new TLS connections/s (Connection: close, 16 at once) | $d2 | $t2 | $(python3 -c "print('%.2f' % ($t2 / $d2))") | $m2 |"
echo "| 256 MiB download MB/s | $d3 | $t3 | $(python3 -c "print('%.2f' % ($t3 / $d3))") | $m3 |"
echo
echo "## (f) filters over 100,000 flows (issue 5)"
echo
echo '```'
"$BUILD/bench/filter-bench" 100000
echo '```'
echo
echo "## (g) the screen with 100,000 flows (issue 6)"
echo
echo '```'
"$BUILD/bench/tui-bench" 100000
echo '```'
echo
echo "## (h) local capture mode (issue 4)"
echo
if [ "$(id -u)" = 0 ]; then
	sh bench/local.sh 2>&1 | grep '^|'
else
	echo "(needs root: skipped)"
fi
echo
echo "## (i) loading a 500 MB HAR (issue 11)"
echo
sh bench/har.sh
echo; sh bench/search.sh
echo
echo "## (j) 20 active rules (issue 14)"
echo
sh bench/rules.sh
echo
echo "## (k) HTTP/2 (issue 12)"
echo
sh bench/h2.sh 2>&1 | grep '^|'
echo
echo "## (l) local-mode connect latency to a server that speaks first (issue 13)"
echo
if [ "$(id -u)" = 0 ]; then
	sh bench/connect.sh 2>&1 | grep '^|'
else
	echo "(needs root: skipped)"
fi
echo
echo "## (m) soak: mixed load with abandoning clients (issue 21)"
echo
# Ten minutes by default, as the issue asks; SOAK_SECONDS=120 make bench
# for a shorter run.
SOAK_SECONDS=${SOAK_SECONDS:-600} sh bench/soak.sh 2>&1 | grep -v '^$'
echo
echo "## (n) a new connection per request, local mode (issue 22)"
echo
if [ "$(id -u)" = 0 ]; then
	sh bench/conn-per-request.sh 2>&1 | grep -E '^[|(]'
else
	echo "(needs root: skipped)"
fi
echo
echo "## (o) WebSocket messages (issue 13)"
echo
sh bench/ws.sh 2>&1 | grep '^|'
echo
echo "## (q) retained memory per flow (issue 16)"
echo
BUILD=$BUILD sh bench/flowmem.sh 2>&1 | grep '^|'
echo
echo "## (r) a million flows and a 100,000-flow HAR (issue 16)"
echo
sh bench/million.sh
echo
echo "## (s) 1,000 connections and requests/s beside sslsplit (issue 16)"
echo
BUILD=$BUILD sh bench/scale.sh
echo
echo "## (t) memory per held connection (issue 16)"
echo
BUILD=$BUILD sh bench/heldmem.sh 2>&1 | grep '^|'
echo
echo "## (u) HTTP/3 through local mode (issue 17)"
echo
BUILD=$BUILD sh bench/h3.sh 2>&1 | grep '^|'
} | tee "$OUT"
