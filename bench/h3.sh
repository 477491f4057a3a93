#!/bin/sh
# h3.sh -- HTTP/3 through local mode's QUIC interception (issue 17)
# against a direct connection, in the end-to-end topology of
# tests/e2e/local-*.sh: ngtcp2's example server (gtlsserver) in netns B,
# clients in netns A, captured (in the cgroup) or not. A 32 MiB download
# with ngtcp2's example client (median of three, MB/s), and 1 KiB
# requests/s on one connection, the same client asking for the file
# BENCH_H3_REQUESTS times (Debian's h2load is built without HTTP/3).
# Prints a Markdown table. Needs root; do not run it beside the tests.
LOCAL_ROOT=$(cd "$(dirname "$0")/.." && pwd)
export LOCAL_ROOT
. "$LOCAL_ROOT/tests/e2e/local-common.inc"
. "$LOCAL_ROOT/tests/e2e/h2-common.inc"
N=${BENCH_H3_REQUESTS:-2000}
for c in gtlsclient gtlsserver; do
	command -v $c >/dev/null || fail "$c missing"
done

h2_certs "$T" "DNS:www.test.trawl,IP:192.0.2.1" || fail "certificates"
mkdir -p "$T/www" "$T/dl"
head -c 1024 /dev/urandom >"$T/www/1k"
head -c 33554432 /dev/urandom >"$T/www/32m"
inb gtlsserver -q -d "$T/www" 192.0.2.1 443 "$T/srv.key" "$T/srv.pem"
sleep 0.5
echo "192.0.2.1 www.test.trawl" >"$T/hosts"

# client RUNNER ARGS...: gtlsclient for www.test.trawl (its SNI is the
# name given; a numeric host would send "localhost").
client() {
	r=$1; shift
	$r unshare -m sh -c 'mount --bind "$1" /etc/hosts && shift &&
	    exec gtlsclient "$@"' sh "$T/hosts" --exit-on-all-streams-close \
	    --timeout=30s "$@" >"$T/client.out" 2>&1
}
# get RUNNER: MB/s of one 32 MiB download, 0 if it failed.
get() {
	rm -f "$T/dl/32m"
	t0=$(date +%s.%N)
	client "$1" -q --download="$T/dl" www.test.trawl 443 \
	    https://www.test.trawl/32m
	t1=$(date +%s.%N)
	[ "$(stat -c %s "$T/dl/32m" 2>/dev/null)" = 33554432 ] ||
		{ echo "download failed: $(tail -3 "$T/client.out")" >&2; echo 0; return; }
	echo "$t0 $t1" | awk '{ printf "%.1f\n", 33554432 / ($2 - $1) / 1e6 }'
}
# download RUNNER: the median MB/s of three.
download() {
	for _ in 1 2 3; do get "$1"; done | sort -n | sed -n 2p
}
# reqs RUNNER: 1 KiB GETs per second, $N on one connection.
reqs() {
	t0=$(date +%s.%N)
	client "$1" --no-quic-dump -n "$N" www.test.trawl 443 \
	    https://www.test.trawl/1k
	t1=$(date +%s.%N)
	n=$(grep -c '\[:status: 200\]' "$T/client.out")
	[ "$n" = "$N" ] || echo "requests: $n of $N answered" >&2
	echo "$t0 $t1 $n" | awk '{ printf "%.0f", $3 / ($2 - $1) }'
}
ratio() { echo "$1 $2" | awk '{ if ($2 > 0) printf "%.2f", $1 / $2; else print "-" }'; }

d_dl=$(download ina)
d_rq=$(reqs ina)
start_trawl "gtlsclient" --confdir "$T/conf" \
    --upstream-ca "$T/ca.pem" --quic intercept
t_dl=$(download incg)
t_rq=$(reqs incg)
stop_trawl

echo "| HTTP/3 (local mode, --quic intercept) | direct | trawl | ratio |"
echo "| --- | ---: | ---: | ---: |"
echo "| 32 MiB download, MB/s (median of 3) | $d_dl | $t_dl | $(ratio "$t_dl" "$d_dl") |"
echo "| 1 KiB requests/s ($N on one connection) | $d_rq | $t_rq | $(ratio "$t_rq" "$d_rq") |"
