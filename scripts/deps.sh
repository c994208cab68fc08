#!/usr/bin/env bash
# deps.sh installs the Debian packages that tests and benchmarks use, only
# those missing, so it is fast when everything is there. It must work as root
# on a fresh Debian machine. One function per package: add yours beside them
# and to the list at the bottom (or pass names: scripts/deps.sh nginx wrk).
set -euo pipefail

missing=()

# have PKG: whether the Debian package PKG is installed.
have() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

want() { have "$1" || missing+=("$1"); }

dep_python3_feedparser() { want python3-feedparser; }
dep_newsboat() { want newsboat; }
dep_nginx() { want nginx; }
dep_wrk() { want wrk; }
# The PostgreSQL tests start a throwaway cluster of their own (initdb,
# postgres) from this package's binaries; the cluster the package may
# create and start is not used.
dep_postgresql() { want postgresql; }
# chromium: the headless browser that TestStatusPageInBrowser drives.
dep_chromium() { want chromium; }

install_missing() {
	[ ${#missing[@]} -eq 0 ] && return 0
	if ! command -v apt-get >/dev/null; then
		echo "deps.sh: no apt-get; install by hand: ${missing[*]}" >&2
		return 0
	fi
	local sudo=()
	if [ "$(id -u)" -ne 0 ]; then
		if ! command -v sudo >/dev/null; then
			echo "deps.sh: not root and no sudo; install by hand: ${missing[*]}" >&2
			return 0
		fi
		sudo=(sudo -n)
	fi
	echo "deps.sh: installing ${missing[*]}" >&2
	"${sudo[@]}" apt-get update -qq
	DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

if [ $# -eq 0 ]; then
	set -- python3-feedparser newsboat chromium postgresql
fi
for pkg in "$@"; do
	"dep_${pkg//-/_}"
done
install_missing
