#!/bin/sh
# har.sh -- the screen in tmux: w saves the shown flows to a HAR file,
# z y clears them, L loads them back.
S=trawl-tui-har-$$
. "$(dirname "$0")/screen.inc"

OP=$(free_port); TP=$(free_port)
python3 "$(dirname "$0")/../e2e/origin.py" "$OP" >"$TMP/origin.log" 2>&1 &
cleanup_add "kill $!"
wait_port 127.0.0.1 "$OP" || { not_ok "the origin listens"; finish; }
tmux new-session -d -s "$S" -x 120 -y 40 "sh -c 'echo \$\$ >$TMP/sh.pid; \
    LANG=C.UTF-8 TERM=xterm-256color NO_COLOR=1 \
    $TRAWL --mode regular@$TP 2>$TMP/err; echo trawl-exit-\$?; sleep 600'"
wait_port 127.0.0.1 "$TP" || { not_ok "trawl listens"; finish; }
TRAWL_PID=$(pgrep -P "$(cat "$TMP/sh.pid")" | head -1)
[ -n "$TRAWL_PID" ] && cleanup_add "kill $TRAWL_PID"

x() { curl -s --max-time 10 -x "http://127.0.0.1:$TP" "http://127.0.0.1:$OP$1" -o /dev/null; }
x /len/123
x /status/418
x /chunked
expect "three flows" "[3/3]"

tmux send-keys -t "$S" w C-u
tmux send-keys -t "$S" -l "$TMP/saved.har"
tmux send-keys -t "$S" Enter
expect "w saves the shown flows" "saved 3 flows to $TMP/saved.har"
check "the file is a HAR file" python3 -c "
import json; d = json.load(open('$TMP/saved.har'))
assert len(d['log']['entries']) == 3"

tmux send-keys -t "$S" z
expect "z asks" "clear all finished flows? y/n"
tmux send-keys -t "$S" y
expect "z y clears the list" "[0/0]"

tmux send-keys -t "$S" L C-u
tmux send-keys -t "$S" -l "$TMP/saved.har"
tmux send-keys -t "$S" Enter
expect "L loads the flows back" "loaded 3 flows from $TMP/saved.har"
expect "they are listed" "/status/418"
expect "all of them" "[3/3]"
tmux send-keys -t "$S" g Enter
expect "a loaded flow opens" "Flow "
tmux send-keys -t "$S" Tab
expect "its response came back" "application/octet-stream"

tmux send-keys -t "$S" L C-u
tmux send-keys -t "$S" -l "$TMP/missing.har"
tmux send-keys -t "$S" Enter
expect "a missing file is an error" "cannot load"
tmux send-keys -t "$S" Q
expect "Q quits" "trawl-exit-0"
finish
