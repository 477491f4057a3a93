#!/bin/sh
# local-load.sh -- local mode under load: a 100 MB download through the
# tun, lwIP and the proxy arrives intact (sha256), so do 20 MB uploads
# and their echoes, and 200 connections at
# once from one captured curl all succeed and all become flows.
[ -n "${LOCAL_E2E_TIMED:-}" ] || LOCAL_E2E_TIMED=1 exec timeout -k 5 90 sh "$0" "$@"
. "$(dirname "$0")/local-common.inc"

start_servers
start_trawl curl

# The same bytes fetched directly (outside the cgroup: not captured).
N=104857600
want=$(ina curl -sS --fail http://192.0.2.1/len/$N | sha256sum | cut -d' ' -f1)
s=$(date +%s%N)
got=$(incg curl -sS --fail -m 60 http://192.0.2.1/len/$N | sha256sum |
    cut -d' ' -f1)
ms=$((($(date +%s%N) - s) / 1000000))
[ "$got" = "$want" ] || fail "100 MB download: sha256 $got, want $want"
waitfor "curl:[0-9]+ GET http://192\.0\.2\.1/len/$N << 200 OK 100\.0m" ||
	fail "100 MB flow missing"
ok "100 MB download intact in $ms ms"
got=$(incg curl -sS --fail -m 60 "http://[2001:db8::1]/len/$N" |
    sha256sum | cut -d' ' -f1)
[ "$got" = "$want" ] || fail "100 MB download over IPv6: sha256 $got"
ok "100 MB download over IPv6 intact"

# Uploads: the kernel hands the tun TCP segments without their checksum
# (offload, core/net/tunframe.h); what reaches the server must be intact.
head -c 20971520 /dev/urandom >"$T/up"
up=$(sha256sum <"$T/up" | cut -d' ' -f1)
for url in http://192.0.2.1/echo "http://[2001:db8::1]/echo"; do
	incg curl -sS --fail -m 60 --data-binary @"$T/up" -D "$T/up.h" \
	    -o "$T/up.back" "$url" || fail "upload to $url"
	grep -qi "^x-sha256: $up" "$T/up.h" ||
		fail "upload to $url: the server got other bytes"
	[ "$(sha256sum <"$T/up.back" | cut -d' ' -f1)" = "$up" ] ||
		fail "upload to $url: the echo came back changed"
done
ok "20 MB uploads over IPv4 and IPv6 intact, and their echoes"

# 200 connections at once, each with its own request (sizes 1001..1200).
codes=$(incg curl -sS -m 30 --parallel --parallel-immediate \
    --parallel-max 200 -w '%{http_code}\n' -o '/dev/null' \
    "http://192.0.2.1/len/[1001-1200]" 2>&1)
[ "$(echo "$codes" | grep -c '^200$')" = 200 ] ||
	fail "200 parallel: $(echo "$codes" | sort | uniq -c | head)"
i=0
while [ "$(grep -c -E 'len/1[0-9]{3} << 200 OK' "$T/dump.out")" -lt 200 ]; do
	i=$((i + 1)); [ $i -gt 100 ] &&
		fail "$(grep -c -E 'len/1[0-9]{3} << 200 OK' "$T/dump.out") of 200 flows"
	sleep 0.05
done
ports=$(grep -E 'len/1[0-9]{3} << 200 OK' "$T/dump.out" | awk '{ print $2 }' |
    sort -u | wc -l)
[ "$ports" -ge 100 ] || fail "only $ports client connections for 200 requests"
ok "200 parallel connections ($ports client ports), 200 flows"
stop_trawl TERM
echo PASS
