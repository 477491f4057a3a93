#!/bin/sh
# flowmem.sh -- memory a finished flow keeps (issue 16): a fresh trawl in
# regular mode, 10,000 sequential GETs on one keep-alive connection (1 KiB
# body kept, or a 204), over HTTP and over HTTPS (trawl's CA toward the
# client, --upstream-ca toward nginx); RSS after minus before over 10,000.
# Prints Markdown rows. TRAWL=path/to/trawl picks the binary (old vs new).
# With OLD=path/to/an/older/trawl it then compares throughput: wrk -t2
# -c16 -d5s of 1 KiB GETs through each, alternating ROUNDS (3) times, and
# trawl's CPU (utime+stime from /proc/PID/stat) over wrk's request count.
set -u
cd "$(dirname "$0")/.." || exit 1
TRAWL=${TRAWL:-$(pwd)/${BUILD:-build}/trawl}
N=${FLOWS:-10000}
TMP=$(mktemp -d /tmp/trawl-flowmem.XXXXXX)
PIDS=
trap 'for p in $PIDS; do kill $p 2>/dev/null; done; rm -rf "$TMP"' EXIT

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

NP=$(free_port)
NS=$(free_port)
mkdir -p "$TMP/www" "$TMP/ngx"
chmod 755 "$TMP"	# nginx's worker runs as nobody
head -c 1024 /dev/urandom >"$TMP/www/1k"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$TMP/ca.key" -out "$TMP/ca.pem" -days 7 -subj "/CN=Bench CA" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$TMP/srv.key" -out "$TMP/srv.csr" -subj "/CN=localhost" 2>/dev/null
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >"$TMP/ext"
openssl x509 -req -in "$TMP/srv.csr" -CA "$TMP/ca.pem" -CAkey "$TMP/ca.key" \
    -CAcreateserial -out "$TMP/srv.pem" -days 7 -extfile "$TMP/ext" 2>/dev/null
cat >"$TMP/ngx/nginx.conf" <<NGX
worker_processes 1;
daemon off;
error_log $TMP/ngx/error.log;
pid $TMP/ngx/nginx.pid;
events { worker_connections 1024; }
http {
	access_log off;
	keepalive_requests 1000000;
	client_body_temp_path $TMP/ngx;
	proxy_temp_path $TMP/ngx;
	fastcgi_temp_path $TMP/ngx;
	uwsgi_temp_path $TMP/ngx;
	scgi_temp_path $TMP/ngx;
	server { listen 127.0.0.1:$NP; root $TMP/www;
		location = /empty { return 204; } }
	server { listen 127.0.0.1:$NS ssl; root $TMP/www;
		ssl_certificate $TMP/srv.pem; ssl_certificate_key $TMP/srv.key;
		location = /empty { return 204; } }
}
NGX
nginx -c "$TMP/ngx/nginx.conf" &
PIDS="$PIDS $!"
wait_port "$NP" || { echo "nginx did not start"; exit 1; }

fresh_trawl() {
	[ -n "${TRAWL_PID:-}" ] && kill "$TRAWL_PID" 2>/dev/null
	TP=$(free_port)
	"$TRAWL" --mode "regular@$TP" --dump -q --confdir "$TMP/trawl" \
	    --upstream-ca "$TMP/ca.pem" </dev/null >/dev/null 2>&1 &
	TRAWL_PID=$!
	PIDS="$PIDS $TRAWL_PID"
	wait_port "$TP" || { echo "trawl did not start"; exit 1; }
}

# run SCHEME PATH: N GETs on one connection (HTTPS: one CONNECT, then TLS
# with trawl's CA), each answer read whole before the next request.
run() {
	python3 - "$TP" "$1" "$2" "$NP" "$NS" "$N" "$TMP/trawl/trawl-ca-cert.pem" <<'PY'
import socket, ssl, sys
tp, scheme, path, np_, ns, n, ca = sys.argv[1:]
s = socket.create_connection(("127.0.0.1", int(tp)))
if scheme == "https":
    s.sendall(("CONNECT localhost:%s HTTP/1.1\r\nHost: localhost:%s\r\n\r\n"
        % (ns, ns)).encode())
    got = b""
    while b"\r\n\r\n" not in got:
        got += s.recv(4096)
    if b" 200" not in got.split(b"\r\n", 1)[0]:
        sys.exit("CONNECT refused: %r" % got)
    ctx = ssl.create_default_context(cafile=ca)
    s = ctx.wrap_socket(s, server_hostname="localhost")
    req = ("GET %s HTTP/1.1\r\nHost: localhost:%s\r\n\r\n" % (path, ns)).encode()
else:
    req = ("GET http://127.0.0.1:%s%s HTTP/1.1\r\nHost: x\r\n\r\n"
        % (np_, path)).encode()
want = 1024 if path == "/1k" else 0
for i in range(int(n)):
    s.sendall(req)
    got = b""
    while b"\r\n\r\n" not in got or len(got.split(b"\r\n\r\n", 1)[1]) < want:
        b = s.recv(65536)
        if not b:
            sys.exit("connection closed")
        got += b
PY
}

echo "| flows ($N sequential GETs, one connection) | RSS before | RSS after | retained per flow |"
echo "| --- | ---: | ---: | ---: |"
for scheme in http https; do
	for what in 1k empty; do
		fresh_trawl
		# Warm up: the first flow allocates the loop's buffers, the
		# CA key and the TLS contexts, which are not per-flow.
		FLOWS_SAVE=$N; N=20; run $scheme /$what || exit 1; N=$FLOWS_SAVE
		sleep 0.2
		r0=$(rss_kib $TRAWL_PID)
		run $scheme /$what || exit 1
		sleep 0.2
		r1=$(rss_kib $TRAWL_PID)
		case $what in
		1k) label="GETs of 1 KiB (body kept)" ;;
		*) label="GETs answered 204 (no body)" ;;
		esac
		echo "| $scheme: $label | $r0 KiB | $r1 KiB | $(( (r1 - r0) * 1024 / N )) bytes |"
	done
done

[ -n "${OLD:-}" ] || exit 0
command -v wrk >/dev/null || { echo "wrk is not installed"; exit 1; }
cat >"$TMP/proxy.lua" <<LUA
wrk.path = "http://127.0.0.1:$NP/1k"
LUA
TICK=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# cpu BINARY -> "req/s µs-per-request"
cpu() {
	keep=$TRAWL; TRAWL=$1; fresh_trawl; TRAWL=$keep
	c0=$(cpu_ticks $TRAWL_PID)
	out=$(wrk -t2 -c16 -d5s -s "$TMP/proxy.lua" "http://127.0.0.1:$TP" 2>&1)
	c1=$(cpu_ticks $TRAWL_PID)
	reqs=$(echo "$out" | awk '/requests in/ {print $1}')
	rps=$(echo "$out" | awk '/^Requests\/sec/ {printf "%.0f", $2}')
	python3 -c "print('%s %.1f' % ('$rps', ($c1 - $c0) * 1e6 / $TICK / $reqs))"
}
echo
echo "| round | build | req/s | trawl CPU µs/request |"
echo "| --- | --- | ---: | ---: |"
i=1
while [ $i -le "${ROUNDS:-3}" ]; do
	for b in old new; do
		if [ $b = old ]; then bin=$OLD; else bin=$TRAWL; fi
		set -- $(cpu "$bin")
		echo "| $i | $b | $1 | $2 |"
	done
	i=$((i + 1))
done
