#!/usr/bin/env bash
# BusyBox (Debian's busybox-static) scripts: output and status under Ditto
# equal native. Usage: busybox_diff.sh DITTO SCRIPT
set -u
ditto=$1 script=$2
bb=/bin/busybox
[ -x "$bb" ] || { echo "SKIP: $bb missing (apt-get install busybox-static)"; exit 77; }
dir=$(cd "$(dirname "$script")" && pwd)
name=$(basename "$script")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd / && env -i PATH=/usr/local/bin:/usr/bin:/bin HOME=/tmp "$bb" sh "$dir/$name" >"$tmp/native" 2>&1)
native=$?
(cd / && "$ditto" run -q --mount "$dir:/scripts" -- "$bb" sh "/scripts/$name" >"$tmp/ditto" 2>&1)
got=$?
if [ "$native" != "$got" ] || ! cmp -s "$tmp/native" "$tmp/ditto"; then
  echo "FAIL: status native $native, ditto $got"; diff "$tmp/native" "$tmp/ditto"; exit 1
fi
echo "identical to native: status $got, $(wc -l <"$tmp/ditto") lines"
# The same run recorded replays identically.
(cd / && "$ditto" record -q -o "$tmp/t.db" --mount "$dir:/scripts" -- "$bb" sh "/scripts/$name" >/dev/null 2>&1)
"$ditto" replay "$tmp/t.db" || { echo "FAIL: replay"; exit 1; }
