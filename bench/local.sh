#!/bin/sh
# local.sh -- local mode against a direct connection, in the end-to-end
# topology of tests/e2e/local-*.sh (clients in netns A and a child cgroup,
# nginx in netns B behind a veth): MB/s of a 256 MiB download (median and
# best of five; nginx sending the file with sendfile, Debian's default, and
# copying it through user space, which leaves less CPU to trawl), 1 KiB
# requests/s at 16 connections (wrk), and the latency one connection sees
# (p50/p99, and what local mode adds). Prints a Markdown table.
# Needs root, nginx and wrk (make bench-deps). Do not run it beside the
# tests: they share the machine's two cores.
LOCAL_ROOT=$(cd "$(dirname "$0")/.." && pwd)
export LOCAL_ROOT
. "$LOCAL_ROOT/tests/e2e/local-common.inc"
DUR=${BENCH_SECONDS:-5}
for c in nginx wrk; do command -v $c >/dev/null || fail "$c missing"; done

chmod 755 "$T"		# nginx's worker runs as nobody
mkdir -p "$T/www" "$T/ngx"
head -c 1024 /dev/urandom >"$T/www/1k"
head -c 268435456 /dev/zero >"$T/www/256m"
cat >"$T/ngx/nginx.conf" <<NGX
worker_processes 1;
daemon off;
error_log $T/ngx/error.log;
pid $T/ngx/nginx.pid;
events { worker_connections 4096; }
http {
	access_log off;
	sendfile on;
	tcp_nopush on;
	keepalive_requests 1000000;
	client_body_temp_path $T/ngx;
	proxy_temp_path $T/ngx;
	fastcgi_temp_path $T/ngx;
	uwsgi_temp_path $T/ngx;
	scgi_temp_path $T/ngx;
	server { listen 192.0.2.1:80; root $T/www;
		location /copied/ { sendfile off; alias $T/www/; } }
}
NGX
inb nginx -c "$T/ngx/nginx.conf"
i=0
until ina curl -s -o /dev/null -m 1 http://192.0.2.1/1k; do
	i=$((i + 1)); [ $i -gt 100 ] && fail "nginx did not start"
	sleep 0.05
done

# "median (best)" MB/s of five 256 MiB downloads of path $1
download() {
	for _ in 1 2 3 4 5; do
		incg curl -s -o /dev/null -w '%{speed_download}\n' \
		    "http://192.0.2.1$1"
	done | sort -n | awk '{ v[NR] = $1 / 1e6 }
	    END { printf "%.0f (%.0f)", v[3], v[5] }'
}
ratio() { echo "$1 $2" | awk '{ printf "%.2f", $1 / $2 }'; }
reqs() {
	incg wrk -t2 -c16 -d"${DUR}s" http://192.0.2.1/1k |
	    awk '/^Requests\/sec/ { printf "%.0f", $2 }'
}
# "p50 p99" in microseconds, one connection
latency() {
	incg wrk -t1 -c1 -d"${DUR}s" --latency http://192.0.2.1/1k | awk '
	function us(v) {
		if (v ~ /us$/) return v + 0
		if (v ~ /ms$/) return v * 1000
		return v * 1000000
	}
	$1 == "50%" { p50 = us($2) } $1 == "99%" { p99 = us($2) }
	END { printf "%.0f %.0f", p50, p99 }'
}

d_mb=$(download /256m); d_cp=$(download /copied/256m)
d_rq=$(reqs); d_lat=$(latency)
# No dump lines (a filter only DNS flows match), but the readiness line.
start_trawl curl,wrk "~dns"
l_mb=$(download /256m); l_cp=$(download /copied/256m)
l_rq=$(reqs); l_lat=$(latency)
stop_trawl TERM

set -- $d_lat $l_lat
echo "| $(date -u +%Y-%m-%d) \`sh bench/local.sh\` (${DUR} s runs) | direct | local mode | ratio |"
echo "| --- | ---: | ---: | ---: |"
echo "| 256 MiB download, MB/s, median (best) of 5, nginx sendfile | $d_mb | $l_mb | $(ratio "${l_mb% *}" "${d_mb% *}") |"
echo "| 256 MiB download, MB/s, median (best) of 5, nginx copying | $d_cp | $l_cp | $(ratio "${l_cp% *}" "${d_cp% *}") |"
echo "| 1 KiB requests/s, 16 connections | $d_rq | $l_rq | $(ratio "$l_rq" "$d_rq") |"
echo "| latency p50, µs (1 connection) | $1 | $3 | +$(($3 - $1)) µs |"
echo "| latency p99, µs (1 connection) | $2 | $4 | +$(($4 - $2)) µs |"
