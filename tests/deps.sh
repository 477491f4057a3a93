#!/bin/sh
# deps.sh PKG... -- install the Debian packages that are missing.
# Quiet when everything is there; needs root (apt-get) otherwise.
missing=
for p in "$@"; do
	s=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)
	case $s in *" installed") ;; *) missing="$missing $p" ;; esac
done
[ -z "$missing" ] && exit 0
echo "deps: installing$missing"
if [ "$(id -u)" != 0 ]; then
	echo "deps: need root to install:$missing (run: sudo make deps)" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null || exit 1
apt-get install -y -q --no-install-recommends $missing >/dev/null || exit 1
