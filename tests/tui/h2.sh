#!/bin/sh
# h2.sh -- the screen in tmux with HTTP/2: i pauses curl --http2's
# request to an HTTP/2 nginx, e edits it in $EDITOR (a script), a resumes
# it and the server sees the edit over HTTP/2; r replays it.
[ -n "${H2_TUI_TIMED:-}" ] || H2_TUI_TIMED=1 exec timeout -k 5 90 sh "$0" "$@"
S=trawl-tui-h2-$$
. "$(dirname "$0")/screen.inc"
. "$HERE/../e2e/h2-common.inc"
command -v nginx >/dev/null || { not_ok "nginx is installed (make deps)"; finish; }
# Waits (10 s at most) for a background curl to end.
wait_gone() {
	i=0
	while kill -0 "$1" 2>/dev/null; do
		i=$((i + 1)); [ $i -gt 100 ] && return 1; sleep 0.1
	done
}

h2_certs "$TMP" "DNS:localhost,IP:127.0.0.1" || { not_ok "test certificates"; finish; }
OP=$(free_port); NS=$(free_port); NC=$(free_port); N1=$(free_port); TP=$(free_port)
python3 "$HERE/../e2e/origin.py" "$OP" >"$TMP/origin.log" 2>&1 &
cleanup_add "kill $!"
h2_nginx "$TMP" "127.0.0.1:$NS" "127.0.0.1:$NC" "127.0.0.1:$N1" "127.0.0.1:$OP"
nginx -c "$TMP/ngx/nginx.conf" 2>"$TMP/nginx.stderr" &
cleanup_add "kill $!"
wait_port 127.0.0.1 "$NS" || { not_ok "nginx listens"; finish; }

# The editor: a script that rewrites the user-agent field (HTTP/2 field
# names are lower case) and adds one. It also writes the request line as
# HTTP/1.1: the HTTP/2.0 line trawl shows is refused today
# (tests/e2e/regular-h2-bugs.sh).
cat >"$TMP/ed.sh" <<ED
#!/bin/sh
cp "\$1" "$TMP/shown"
sed -i -e '1s| HTTP/2\.0\r$| HTTP/1.1\r|' \
    -e 's/^user-agent: .*/user-agent: trawl-edited\r\nx-edited: yes\r/' "\$1"
ED
chmod +x "$TMP/ed.sh"

tmux new-session -d -s "$S" -x 150 -y 40 "sh -c 'echo \$\$ >$TMP/sh.pid; \
    LANG=C.UTF-8 TERM=xterm-256color EDITOR=$TMP/ed.sh VISUAL= \
    XDG_CONFIG_HOME=$XDG_CONFIG_HOME \
    $TRAWL --mode regular@$TP --upstream-ca $TMP/ca.pem 2>$TMP/err; \
    echo trawl-exit-\$?; sleep 600'"
wait_port 127.0.0.1 "$TP" || { not_ok "trawl listens"; finish; }
TRAWL_PID=$(pgrep -P "$(cat "$TMP/sh.pid")" | head -1)
[ -n "$TRAWL_PID" ] && cleanup_add "kill $TRAWL_PID"
TCA=$XDG_CONFIG_HOME/trawl/trawl-ca-cert.pem

tmux send-keys -t "$S" i
tmux send-keys -t "$S" -l '~q & ~u /hdr'
keys Enter
sleep 0.3
expect "i adds a rule shown in the status bar" "intercept: ~q & ~u /hdr"

curl -s --max-time 20 --http2 --cacert "$TCA" -x "http://127.0.0.1:$TP" \
    -o "$TMP/one" -w '%{http_version}' "https://127.0.0.1:$NS/hdr" >"$TMP/one.v" &
CURL_PID=$!
cleanup_add "kill $CURL_PID"
expect "the HTTP/2 request is paused" "||"
sleep 0.5
check "curl waits while the flow is paused" kill -0 "$CURL_PID"
tmux send-keys -t "$S" e
expect "the editor ran and the edit applied" "request edited"
contains "the editor was shown the HTTP/2 request" "$TMP/shown" "GET /hdr HTTP/2.0"
contains "with its lower-case fields" "$TMP/shown" "user-agent: curl/"
tmux send-keys -t "$S" a
check "a lets the edited request go" wait_gone "$CURL_PID"
eq "the server saw the edit over HTTP/2" "$(cat "$TMP/one")" \
    "ua=trawl-edited x=yes proto=HTTP/2.0"
eq "curl spoke HTTP/2 all along" "$(cat "$TMP/one.v")" 2

# r replays the focused flow (interception off, or it would pause).
tmux send-keys -t "$S" I
expect "I turns interception off" "interception off"
tmux send-keys -t "$S" r
expect "r adds a replayed flow" "replaying as flow 2"
expect "the replay is in the list" "[2/2]"
# The replay's answer, in its detail view: the edit went out again.
tmux send-keys -t "$S" j Enter
keys Tab
expect "the replay's response shows the edit, over HTTP/2" "ua=trawl-edited x=yes proto=HTTP/2.0"

tmux send-keys -t "$S" Q
expect "Q quits at once" "trawl-exit-0"
finish
