#!/bin/sh
# lint-layers.sh -- fails on an #include that runs against the arrows of
# core/README: each core/<layer>/ file may include only the layers its line
# names (and its own); core/ includes no curses; tui/ no lwIP or BoringSSL.
cd "$(dirname "$0")/.." || exit 1
bad=0
# "layer allowed..." pairs from the table (the lines between the heading
# and the first blank line after it).
# Columns: the layer at 5-12, what it may include at 13-29.
rules=$(awk '/^    layer /{on=1; next} on && /^$/{exit}
    on { l=substr($0,5,8); a=substr($0,13,17); gsub(/ +/," ",l); gsub(/ +$/,"",l)
        sub(/^ /,"",l); if (a ~ /^-/) a=""
        if (l != "") { r[l]=a; last=l } else r[last]=r[last]" "a }
    END{for (l in r) print l": "r[l]}' core/README | sed 's/  */ /g')
[ -n "$rules" ] || { echo "lint-layers: no table in core/README"; exit 1; }
for dir in core/*/; do
	layer=$(basename "$dir")
	allowed=$(echo "$rules" | sed -n "s/^$layer: //p")
	echo "$rules" | grep -q "^$layer:" ||
		{ echo "$dir: not in core/README's table"; bad=1; continue; }
	for f in $(find "$dir" -name '*.[ch]'); do
		grep -o '#include "core/[a-z_]*/' "$f" | sed 's#.*core/##; s#/##' |
		    sort -u | while read -r inc; do
			[ "$inc" = "$layer" ] && continue
			case " $allowed " in *" $inc "*) continue ;; esac
			echo "$f: includes core/$inc/ (core/README: $layer may use: ${allowed:-nothing})"
			echo x >>"${TMPDIR:-/tmp}/lint-layers.$$"
		done
	done
done
if grep -rln '#include <n\?curses' core/ >/dev/null 2>&1; then
	grep -rln '#include <n\?curses' core/ | sed 's/$/: includes curses/'; bad=1
fi
if grep -rlnE '#include [<"](lwip/|openssl/)' tui/ >/dev/null 2>&1; then
	grep -rlnE '#include [<"](lwip/|openssl/)' tui/ |
	    sed 's/$/: includes lwIP or BoringSSL/'; bad=1
fi
if [ -f "${TMPDIR:-/tmp}/lint-layers.$$" ]; then
	rm -f "${TMPDIR:-/tmp}/lint-layers.$$"; bad=1
fi
[ $bad = 0 ] && echo "lint-layers: every include follows core/README"
exit $bad
