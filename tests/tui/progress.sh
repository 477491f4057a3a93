#!/bin/sh
# progress.sh -- long work on the screen in tmux: -r of a large HAR opens
# the screen at once and shows "loading NAME: P%, N flows" in the status
# bar, then the count; Esc stops an L load and says how many flows it
# kept; w shows "saving" and writes a HAR that loads back; Esc stops a
# save and leaves no file under the name, nor a temporary one beside it.
S=trawl-tui-progress-$$
. "$(dirname "$0")/screen.inc"
# The read-back check needs no sanitizer, only speed.
PLAIN=$(pwd)/build/trawl
[ -x "$PLAIN" ] || PLAIN=$TRAWL

# About 18,000 small entries: long enough to watch load under either
# build, short enough for the test's time.
/usr/bin/python3 "$(dirname "$0")/../../bench/har-gen.py" "$TMP/big.har" 25 0 \
    >"$TMP/count" || { not_ok "har-gen.py writes the file"; finish; }
N=$(cat "$TMP/count")
# Like expect, for work that takes long under the sanitizer build: 30 s.
expect_long() { # DESCRIPTION TEXT
	i=0
	while ! screen | grep -qF -- "$2" && [ $i -lt 300 ]; do
		sleep 0.1; i=$((i + 1)); done
	expect "$1" "$2"
}
NG=$(printf "%'d" "$N" 2>/dev/null || echo "$N")
case $NG in *,*) ;; *) NG=$(echo "$N" | sed ':a;s/\B[0-9]\{3\}\>/,&/;ta') ;; esac

tmux new-session -d -s "$S" -x 150 -y 30 "sh -c 'echo \$\$ >$TMP/sh.pid; \
    LANG=C.UTF-8 TERM=xterm-256color NO_COLOR=1 \
    $TRAWL -n -r $TMP/big.har 2>$TMP/err; echo trawl-exit-\$?; sleep 600'"
i=0; while [ ! -s "$TMP/sh.pid" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done
TRAWL_PID=$(pgrep -P "$(cat "$TMP/sh.pid")" | head -1)
[ -n "$TRAWL_PID" ] && cleanup_add "kill $TRAWL_PID"

expect "-r shows the load's progress in the status bar" "loading big.har: "
# One capture with flows listed and the load still going.
i=0
while [ $i -lt 100 ]; do
	screen >"$TMP/shot"
	grep -qF "loading big.har: " "$TMP/shot" && grep -qF /item/ "$TMP/shot" &&
	    break
	sleep 0.05; i=$((i + 1))
done
check "the list fills while it loads" grep -qF /item/ "$TMP/shot"
check "the status bar counts the flows loaded so far" \
    grep -q "loading big.har: [0-9]*%, [0-9,]* flows" "$TMP/shot"
expect_long "then says how many loaded" "loaded $NG flows from $TMP/big.har"
expect "and lists them all" "[$N/$N]"

# L loads a second copy; Esc stops it half-way and says what it kept.
tmux send-keys -t "$S" L C-u
tmux send-keys -t "$S" -l "$TMP/big.har"
tmux send-keys -t "$S" Enter
expect "L shows the load's progress" "loading big.har: "
tmux send-keys -t "$S" Escape
expect "Esc stops the load" "load stopped: "
K=$(screen | sed -n 's/.*load stopped: \([0-9,]*\) flows loaded from.*/\1/p' |
    tr -d ,)
T=$(screen | sed -n 's/^\[\([0-9]*\)\/\([0-9]*\)\].*/\2/p')
check "it kept part of the file" [ -n "$K" ] && [ "${K:-0}" -lt "$N" ]
eq "the flows it kept stay listed" "$T" "$((N + ${K:-0}))"
sleep 0.5
T2=$(screen | sed -n 's/^\[\([0-9]*\)\/\([0-9]*\)\].*/\2/p')
eq "and no more come" "$T2" "$T"

# w saves every shown flow with progress; the file loads back whole.
tmux send-keys -t "$S" w C-u
tmux send-keys -t "$S" -l "$TMP/out.har"
tmux send-keys -t "$S" Enter
expect "w shows the save's progress" "saving out.har: "
check "the file is not there while it is written" [ ! -e "$TMP/out.har" ]
expect_long "then says how many it saved" "saved $T flows to $TMP/out.har"
B=$("$PLAIN" -n --dump -r "$TMP/out.har" 2>"$TMP/back.err" | wc -l)
eq "trawl -n -r reads every saved flow back" "$B" "$T"
check "with no complaint" [ ! -s "$TMP/back.err" ]

# Esc stops a save: nothing under the name, no temporary file left.
tmux send-keys -t "$S" w C-u
tmux send-keys -t "$S" -l "$TMP/stop.har"
tmux send-keys -t "$S" Enter
expect "the second save shows its progress" "saving stop.har: "
tmux send-keys -t "$S" Escape
expect "Esc stops the save" "save stopped at "
check "no file under the name" [ ! -e "$TMP/stop.har" ]
check "no temporary file beside it" sh -c "! ls $TMP | grep -q '^stop.har'"

tmux send-keys -t "$S" Q
expect "Q quits" "trawl-exit-0"
finish
