#!/bin/sh
# basic.sh -- the screen in tmux: flows appear as curl runs through
# regular mode, f narrows the list and a bad expression shows an error,
# ? shows help, a resize keeps the screen sane, q y quits and gives the
# terminal back.
S=trawl-tui-basic-$$
. "$(dirname "$0")/screen.inc"

OP=$(free_port); TP=$(free_port)
# lib.sh's start_origin looks beside $0: the origin is in tests/e2e.
python3 "$(dirname "$0")/../e2e/origin.py" "$OP" >"$TMP/origin.log" 2>&1 &
cleanup_add "kill $!"
wait_port 127.0.0.1 "$OP" || { not_ok "the origin listens"; finish; }
tmux new-session -d -s "$S" -x 120 -y 40 "sh -c 'echo \$\$ >$TMP/sh.pid; \
    LANG=C.UTF-8 TERM=xterm-256color $TRAWL --mode regular@$TP 2>$TMP/err; \
    echo trawl-exit-\$?; stty -a >$TMP/stty.after; sleep 600'"
wait_port 127.0.0.1 "$TP" || { not_ok "trawl listens"; finish; }
TRAWL_PID=$(pgrep -P "$(cat "$TMP/sh.pid")" | head -1)
[ -n "$TRAWL_PID" ] && cleanup_add "kill $TRAWL_PID"

x() { curl -s --max-time 10 -x "http://127.0.0.1:$TP" "http://127.0.0.1:$OP$1" -o /dev/null; }
x /headers
x /len/100
check "the origin answered through trawl" sh -c "curl -s -x http://127.0.0.1:$TP http://127.0.0.1:$OP/len/3 | wc -c | grep -qx 3"
expect "flows appear in the list" "/len/100"
expect "the status bar counts them" "[3/3]"
# At 120 columns every column shows; the protocol's is TYPE, the
# Content-Type's KIND (both were once TYPE).
screen >"$TMP/wide"
eq "the title row has one TYPE column" \
    "$(head -1 "$TMP/wide" | grep -o -w TYPE | wc -l)" 1
check "and a KIND column after CODE" sh -c \
    "head -1 '$TMP/wide' | grep -q 'CODE *KIND *SIZE'"
check "KIND holds the Content-Type" sh -c \
    "grep -F /len/100 '$TMP/wide' | grep -q application/octe"
eq "the title row has one TIME column (the duration's is DUR)" \
    "$(head -1 "$TMP/wide" | grep -o -w TIME | wc -l)" 1
check "DUR ends the title row" sh -c "head -1 '$TMP/wide' | grep -q 'SIZE *DUR *\$'"

tmux send-keys -t "$S" f
tmux send-keys -t "$S" -l '~u len/100'
expect "the filter prompt counts matches live" "1 of 3 match"
tmux send-keys -t "$S" Enter
# The prompt itself reads "filter: ...": wait for the count to change.
expect "the list shows only the matches" "[1/3]"
expect "the status bar shows the filter" "filter: ~u len/100"
if screen | grep -qF "/headers"; then not_ok "f narrows the list"
else ok "f narrows the list"; fi

tmux send-keys -t "$S" f C-u
tmux send-keys -t "$S" -l '~zz x'
expect "a bad expression shows an error with its column" "col 1: unknown operator ~zz"
tmux send-keys -t "$S" Enter
expect "Enter on a bad expression keeps the prompt" "filter: ~zz x"
tmux send-keys -t "$S" Escape
sleep 0.3
expect "the old filter stays" "[1/3] regular 127.0.0.1:$TP | filter: ~u len/100"
tmux send-keys -t "$S" f C-u Enter
expect "Enter on an empty filter clears it" "[3/3] regular"

tmux send-keys -t "$S" '?'
expect "? shows help" "Help: keys of the flow list"
expect "help lists the filter operators" "Filter expressions"
tmux send-keys -t "$S" q
expect "q closes help" "PATH"

tmux resize-window -t "$S" -x 80 -y 24
sleep 0.5
expect "after a resize to 80x24 the list is there" "/len/100"
screen >"$TMP/small"
check "the status bar is on row 23" sh -c "sed -n 23p $TMP/small | grep -qF '[3/3]'"
check "no row is wider than 80 columns" python3 -c "
import sys
sys.exit(any(len(l.rstrip('\\n')) > 80 for l in open('$TMP/small', encoding='utf-8')))"
check "the title row is on top" sh -c "head -1 $TMP/small | grep -q METHOD"
tmux resize-window -t "$S" -x 100 -y 30
sleep 0.5
screen >"$TMP/big"
check "after growing to 100x30 the status bar is on row 29" sh -c \
    "sed -n 29p $TMP/big | grep -qF '[3/3]'"

tmux send-keys -t "$S" q
expect "q asks first" "quit? y/n"
tmux send-keys -t "$S" y
expect "q y quits with status 0" "trawl-exit-0"
check "the terminal is back in canonical mode with echo" sh -c \
    "grep -q ' icanon' $TMP/stty.after && grep -q ' echo ' $TMP/stty.after"
check "nothing on stderr" sh -c "! grep -q . $TMP/err"
finish
