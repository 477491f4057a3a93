#!/bin/sh
# progress.sh -- long work on the screen in tmux: -r of a large HAR opens
# the screen at once and shows "loading NAME: P%, N flows" in the status
# bar while the proxy serves, then the count; w shows "saving" and writes
# a HAR that loads back; Esc stops a save and leaves no file under the
# name, nor a temporary one beside it; Esc stops an L load and says how
# many flows it kept; a file cut short keeps what loaded and says where it
# broke; f filters them all.
S=trawl-tui-progress-$$
. "$(dirname "$0")/screen.inc"
# The read-back check needs no sanitizer, only speed.
PLAIN=$(pwd)/build/trawl
[ -x "$PLAIN" ] || PLAIN=$TRAWL

# About 9,000 small entries (/item/0 to /item/N-1): long enough to watch
# under either build, short enough for the test's time.
/usr/bin/python3 "$(dirname "$0")/../../bench/har-gen.py" "$TMP/big.har" 12 0 \
    >"$TMP/count" || { not_ok "har-gen.py writes the file"; finish; }
N=$(cat "$TMP/count")
grouped() { echo "$1" | sed ':a;s/\B[0-9]\{3\}\>/,&/;ta'; }
# Like expect, for work that takes long under the sanitizer build: 30 s.
expect_long() { # DESCRIPTION TEXT
	i=0
	while ! screen | grep -qF -- "$2" && [ $i -lt 300 ]; do
		sleep 0.1; i=$((i + 1)); done
	expect "$1" "$2"
}
# Polls quickly for a screen that shows every one of the texts at once
# (work that may be over in a fraction of a second); keeps it in $TMP/shot.
shot() { # TEXT...
	i=0
	while [ $i -lt 200 ]; do
		screen >"$TMP/shot"
		all=1
		for t in "$@"; do grep -qF -- "$t" "$TMP/shot" || all=0; done
		[ $all = 1 ] && return 0
		sleep 0.02; i=$((i + 1))
	done
	return 1
}
total() { screen | sed -n 's/^\[\([0-9]*\)\/\([0-9]*\)\].*/\2/p'; }

OP=$(free_port); TP=$(free_port)
python3 "$(dirname "$0")/../e2e/origin.py" "$OP" >"$TMP/origin.log" 2>&1 &
cleanup_add "kill $!"
wait_port 127.0.0.1 "$OP" || { not_ok "the origin listens"; finish; }
tmux new-session -d -s "$S" -x 150 -y 30 "sh -c 'echo \$\$ >$TMP/sh.pid; \
    LANG=C.UTF-8 TERM=xterm-256color NO_COLOR=1 \
    $TRAWL --mode regular@$TP -r $TMP/big.har 2>$TMP/err; \
    echo trawl-exit-\$?; sleep 600'"
check "-r shows the load's progress in the status bar, the list filling" \
    shot "loading big.har: " /item/
check "with the flows loaded so far" \
    grep -q "loading big.har: [0-9]*%, [0-9,]* flows" "$TMP/shot"
TRAWL_PID=$(pgrep -P "$(cat "$TMP/sh.pid")" | head -1)
[ -n "$TRAWL_PID" ] && cleanup_add "kill $TRAWL_PID"
# The proxy serves while the file loads.
check "a request goes through the proxy meanwhile" curl -sf --max-time 10 \
    -x "http://127.0.0.1:$TP" "http://127.0.0.1:$OP/len/123" -o "$TMP/len"
eq "whole" "$(wc -c <"$TMP/len")" 123
expect_long "then says how many loaded" \
    "loaded $(grouped "$N") flows from $TMP/big.har"
N=$((N + 1))
expect "and lists them all, and the request" "[$N/$N]"

# w saves every shown flow with progress; the file loads back whole.
tmux send-keys -t "$S" w C-u
tmux send-keys -t "$S" -l "$TMP/out.har"
tmux send-keys -t "$S" Enter
check "w shows the save's progress" shot "saving out.har: "
check "the file is not there while it is written" [ ! -e "$TMP/out.har" ]
expect_long "then says how many it saved" "saved $N flows to $TMP/out.har"
B=$("$PLAIN" -n --dump -r "$TMP/out.har" 2>"$TMP/back.err" | wc -l)
eq "trawl -n -r reads every saved flow back" "$B" "$N"
check "with no complaint" [ ! -s "$TMP/back.err" ]

# Esc stops a save: nothing under the name, no temporary file left.
tmux send-keys -t "$S" w C-u
tmux send-keys -t "$S" -l "$TMP/stop.har"
tmux send-keys -t "$S" Enter
check "the second save shows its progress" shot "saving stop.har: "
tmux send-keys -t "$S" Escape
expect "Esc stops the save" "save stopped at "
check "no file under the name" [ ! -e "$TMP/stop.har" ]
check "no temporary file beside it" sh -c "! ls $TMP | grep -q '^stop.har'"

# L loads a second copy; Esc stops it half-way and says what it kept.
tmux send-keys -t "$S" L C-u
tmux send-keys -t "$S" -l "$TMP/big.har"
tmux send-keys -t "$S" Enter
check "L shows the load's progress" shot "loading big.har: "
tmux send-keys -t "$S" Escape
expect "Esc stops the load" "load stopped: "
K=$(screen | sed -n 's/.*load stopped: \([0-9,]*\) flows loaded from.*/\1/p' |
    tr -d ,)
check "it kept part of the file" sh -c "[ -n '$K' ] && [ '${K:-0}' -lt '$N' ]"
T=$(total)
eq "the flows it kept stay listed" "$T" "$((N + ${K:-0}))"
sleep 0.5
eq "and no more come" "$(total)" "$T"

# A file cut short: what loaded before the cut stays, the message says
# where it broke.
head -c $(($(stat -c %s "$TMP/big.har") / 3)) "$TMP/big.har" >"$TMP/cut.har"
tmux send-keys -t "$S" L C-u
tmux send-keys -t "$S" -l "$TMP/cut.har"
tmux send-keys -t "$S" Enter
expect_long "a cut file keeps what loaded and says so" \
    "flows from $TMP/cut.har; "
check "naming the file, the entry, line and column" sh -c "tmux capture-pane \
    -p -t $S | grep -q 'cut.har: entry [0-9]*: line [0-9]*, column [0-9]*: '"
C=$(screen | sed -n 's/.*loaded \([0-9,]*\) flows from.*cut.har; .*/\1/p' |
    tr -d ,)
check "a part of the file" sh -c "[ -n '$C' ] && [ '${C:-0}' -gt 0 ] &&
    [ '${C:-0}' -lt '$N' ]"
T=$((T + ${C:-0}))
expect "listed beside the others" "[$T/$T]"

# A filter over them all: the list comes to the flows it matches (the
# sliced filter's end; its progress is too quick to watch here). Each
# load holds /item/0 onwards.
m() { seq 0 $(($1 - 1)) | grep -c '^1'; }
M=$(($(m $((N - 1))) + $(m "${K:-1}") + $(m "${C:-1}")))
tmux send-keys -t "$S" f C-u
tmux send-keys -t "$S" -l '~u /item/1[0-9]*$'
tmux send-keys -t "$S" Enter
expect_long "f filters the list" "[$M/$T]"

tmux send-keys -t "$S" Q
expect "Q quits" "trawl-exit-0"
finish
