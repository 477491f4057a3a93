#!/bin/sh
# rules.sh -- what 20 active rules cost (issue 14): 1 KiB GETs through
# regular mode with wrk, trawl without rules beside trawl with 20
# modify-headers rules that match no flow (each for one side, ~q or ~s,
# and each for both sides, matched at the request head and kept for
# the response head),
# and with 20 that change every flow (10 on requests, 10 on responses). Runs alternate, three rounds,
# the median of each is reported. Prints Markdown table rows. Beside
# req/s, trawl's own CPU time per request (utime + stime over wrk's
# request count), which other jobs on the machine disturb less.
set -u
cd "$(dirname "$0")/.." || exit 1
BUILD=${BUILD:-build}
TRAWL=$(pwd)/$BUILD/trawl
TMP=$(mktemp -d /tmp/trawl-bench-rules.XXXXXX)
PIDS=
trap 'for p in $PIDS; do kill $p 2>/dev/null; done; rm -rf "$TMP"' EXIT
DUR=${BENCH_SECONDS:-5}
ROUNDS=${BENCH_ROUNDS:-3}
CONNS=${BENCH_CONNS:-16}

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
wait_port() {
	i=0
	while ! python3 -c "import socket; socket.create_connection(('127.0.0.1',$1),0.2)" 2>/dev/null; do
		i=$((i + 1)); [ $i -gt 100 ] && return 1; sleep 0.1
	done
}

NP=$(free_port)
mkdir -p "$TMP/www" "$TMP/ngx"
chmod 755 "$TMP"
head -c 1024 /dev/urandom >"$TMP/www/1k"
cp "$TMP/www/1k" "$TMP/www/1kh"	# served with 10 more response fields
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
		location = /1kh {
$(i=11; while [ $i -le 20 ]; do echo "			add_header X-Resp-$i v$i;"; i=$((i + 1)); done)
		}
	}
}
NGX
nginx -c "$TMP/ngx/nginx.conf" &
PIDS="$PIDS $!"
wait_port "$NP" || { echo "nginx did not start"; exit 1; }
printf 'wrk.path = "http://127.0.0.1:%s/1k"\n' "$NP" >"$TMP/proxy.lua"
# The control: no rules, but the client and the server carry the fields
# the changing set adds, so what the extra fields cost every hop is
# apart from what the rules cost.
{
	printf 'wrk.path = "http://127.0.0.1:%s/1kh"\n' "$NP"
	i=1
	while [ $i -le 10 ]; do
		printf 'wrk.headers["X-Req-%s"] = "v%s"\n' $i $i
		i=$((i + 1))
	done
} >"$TMP/fields.lua"

# The rule sets, as config files (one long option a line).
: >"$TMP/none.conf"
: >"$TMP/fields.conf"
: >"$TMP/miss.conf"
: >"$TMP/miss1.conf"
: >"$TMP/hit.conf"
i=1
while [ $i -le 20 ]; do
	echo "modify-headers = /~d nomatch-$i\\.example/X-Rule-$i/v$i" >>"$TMP/miss.conf"
	side=q; [ $i -gt 10 ] && side=s
	echo "modify-headers = /~$side & ~d nomatch-$i\\.example/X-Rule-$i/v$i" >>"$TMP/miss1.conf"
	if [ $i -le 10 ]; then
		echo "modify-headers = /~q/X-Req-$i/v$i" >>"$TMP/hit.conf"
	else
		echo "modify-headers = /~s/X-Resp-$i/v$i" >>"$TMP/hit.conf"
	fi
	i=$((i + 1))
done

# One trawl per set, each with an empty store at the start of a round.
cpu_ticks() { # PID -> utime + stime, in clock ticks
	sed 's/.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'
}
run() { # SET -> req/s; CPU us per request into $TMP/SET.cpu
	tp=$(free_port)
	"$TRAWL" --config "$TMP/$1.conf" --mode "regular@$tp" --dump -q \
	    --confdir "$TMP/trawl" </dev/null >/dev/null 2>&1 &
	pid=$!
	wait_port "$tp" || { echo "trawl did not start"; exit 1; }
	lua=proxy; [ "$1" = fields ] && lua=fields
	wrk -t2 -c"$CONNS" -d"${DUR}s" -s "$TMP/$lua.lua" \
	    "http://127.0.0.1:$tp/1k" >"$TMP/wrk" 2>&1
	t=$(cpu_ticks $pid)
	kill $pid; wait $pid 2>/dev/null
	awk -v t="$t" -v hz="$(getconf CLK_TCK)" '/ requests in / {
	    printf "%.1f\n", t / hz * 1e6 / $1 }' "$TMP/wrk" >>"$TMP/$1.cpu"
	awk '/Requests\/sec/ {print $2}' "$TMP/wrk"
}
r=1
SETS="none miss1 miss fields hit"
for s in $SETS; do : >"$TMP/$s"; : >"$TMP/$s.cpu"; done
while [ $r -le "$ROUNDS" ]; do
	for s in $SETS; do
		run $s >>"$TMP/$s"
	done
	r=$((r + 1))
done
median() { sort -n "$1" | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
n=$(median "$TMP/none"); m1=$(median "$TMP/miss1"); m=$(median "$TMP/miss")
h=$(median "$TMP/hit")
ratio() { python3 -c "print('%.2f' % ($1 / $2))"; }
c0=$(median "$TMP/none.cpu")
row() { # LABEL SET REQS
	c=$(median "$TMP/$2.cpu")
	echo "| $1 | $3 | $(ratio "$3" "$n") | $c | $(ratio "$c0" "$c") | $(tr '\n' ' ' <"$TMP/$2")|"
}
echo "| rules ($CONNS conns, median of $ROUNDS x ${DUR}s) | req/s | vs no rules | trawl CPU µs/req | vs no rules (inverse) | runs (req/s) |"
echo "| --- | ---: | ---: | ---: | ---: | --- |"
row "none" none "$n"
row "20 modify-headers for one side each, none matching (~q/~s & ~d)" miss1 "$m1"
row "20 modify-headers for both sides, none matching (~d)" miss "$m"
row "20 modify-headers, all changing every flow" hit "$h"
f=$(median "$TMP/fields")
row "control: no rules, client and server carry those 20 fields" fields "$f"
echo
echo "All changing against the control (the rules' own cost, originals kept for revert included): req/s $(ratio "$h" "$f"), CPU $(ratio "$(median "$TMP/fields.cpu")" "$(median "$TMP/hit.cpu")")"
