#!/bin/sh
# keys.sh -- the flow list's other keys in tmux: mark and marked-only,
# duplicate, delete from view, sort and reverse, comment, export as a curl
# command, and search inside a flow.
S=trawl-tui-keys-$$
. "$(dirname "$0")/screen.inc"

OP=$(free_port); TP=$(free_port)
python3 "$(dirname "$0")/../e2e/origin.py" "$OP" >"$TMP/origin.log" 2>&1 &
cleanup_add "kill $!"
wait_port 127.0.0.1 "$OP" || { not_ok "the origin listens"; finish; }
tmux new-session -d -s "$S" -x 120 -y 30 -c "$TMP" "sh -c 'echo \$\$ >$TMP/sh.pid; \
    LANG=C.UTF-8 TERM=xterm-256color $TRAWL --mode regular@$TP \
    --confdir $TMP/conf 2>$TMP/err; sleep 600'"
wait_port 127.0.0.1 "$TP" || { not_ok "trawl listens"; finish; }
TRAWL_PID=$(pgrep -P "$(cat "$TMP/sh.pid")" | head -1)
[ -n "$TRAWL_PID" ] && cleanup_add "kill $TRAWL_PID"

x() { curl -s --max-time 10 -x "http://127.0.0.1:$TP" "http://127.0.0.1:$OP$1" -o /dev/null; }
x /len/5000
x /headers
x /len/10
expect "three flows" "[3/3]"

# The focus is on the newest flow (/len/10). Mark it, show marked only.
keys m
keys M
expect "M shows marked flows only" "[1/3]"
check "the marked flow is the one shown" sh -c "tmux capture-pane -p -t $S | grep -q '/len/10'"
keys M
expect "M again shows all" "[3/3]"

keys D
expect "D duplicates the flow" "duplicated as flow 4"
expect "the copy is in the list" "[4/4]"
keys d
expect "d removes a finished flow" "[3/3]"

keys o s
expect "o s sorts by size" "sorted by size"
keys v
expect "v reverses" "reversed"

keys '\;'	# tmux reads a bare ; as its own command separator
tmux send-keys -t "$S" -l 'looked at'
keys Enter
keys f
tmux send-keys -t "$S" -l '~comment looked'
expect "a comment is what ~comment finds" "1 of 3 match"
keys Escape

# Export the focused flow as a curl command into a file.
keys x c
keys C-u
tmux send-keys -t "$S" -l "$TMP/flow.sh"
keys Enter
expect "x c exports a curl command" "exported flow"
check "the export is a curl command through no proxy" grep -q "^curl " "$TMP/flow.sh"

# Search inside a flow: / finds the text and n moves on.
keys g
keys Enter
keys Tab
tmux send-keys -t "$S" /
tmux send-keys -t "$S" -l 'nosuchthing'
keys Enter
expect "/ says when the text is not there" "not found: nosuchthing"
tmux send-keys -t "$S" /
tmux send-keys -t "$S" C-u
tmux send-keys -t "$S" -l 'Content-Length'
keys Enter
check "/ finds text that is there" sh -c "! tmux capture-pane -p -t $S | grep -q 'not found: Content-Length'"
keys q
keys Q
sleep 0.5
check "Q quits at once" sh -c "! kill -0 $TRAWL_PID 2>/dev/null"
finish
