#!/usr/bin/env bash
# e2e/scripts_help.sh - every script in scripts/ answers --help with its
# own usage, exit 0, and does nothing else: no package installed, no make
# run.  scripts/run-demo --help ran scripts/setup (as root, apt-get) and
# then `make all --help`, which printed make's options instead.
set -eu
cd "${RNNPIPE_TOP:-$(dirname "$0")/../..}"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
# stubs first on PATH: any call to them is recorded and fails
mkdir -p "$T/bin"
for c in make apt-get sudo chromium chromium-browser; do
	printf '#!/bin/sh\necho "%s $*" >> "%s/calls"\nexit 99\n' "$c" "$T" > "$T/bin/$c"
	chmod +x "$T/bin/$c"
done
for s in scripts/*; do
	[ -f "$s" ] && [ -x "$s" ] || continue
	name=${s#scripts/}
	set +e
	PATH=$T/bin:$PATH MAKE=$T/bin/make "$s" --help > "$T/out" 2>&1
	rc=$?
	set -e
	[ $rc -eq 0 ] || { cat "$T/out"; echo "FAIL: $s --help: exit $rc, want 0"; exit 1; }
	head -n 1 "$T/out" | grep -q "^scripts/$name " ||
		{ cat "$T/out"; echo "FAIL: $s --help does not start with its own usage"; exit 1; }
	grep -q '^Usage: make' "$T/out" && { cat "$T/out"; echo "FAIL: $s --help printed make's help"; exit 1; }
	[ -e "$T/calls" ] && { cat "$T/calls"; echo "FAIL: $s --help ran other programs"; exit 1; }
done
echo "ok: every script's --help"
