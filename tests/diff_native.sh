#!/usr/bin/env bash
# Differential test: PROG runs natively and under `ditto run`; stdout and the
# exit status must be equal. Usage: diff_native.sh DITTO [--stdin FILE]
#   [--env K=V]... -- PROG [ARGS...]
set -u
ditto=$1; shift
stdin=/dev/null
envs=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do
  case "$1" in
    --stdin) stdin=$2; shift 2 ;;
    --env) envs+=("$2"); shift 2 ;;
    *) echo "diff_native.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
shift
# A program that was not built would "agree" with itself (127 both ways).
[ -x "$1" ] || { echo "diff_native.sh: $1 is not an executable (was it built?)"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# Natively: the same minimal environment Ditto gives its guests.
# Descriptors the test runner leaked to us are closed first: the guest under
# Ditto starts with exactly 0, 1 and 2, and so must the native run.
(for fd in $(ls /proc/$BASHPID/fd); do [ "$fd" -gt 2 ] && eval "exec $fd>&-"; done
 exec env -i PATH=/usr/local/bin:/usr/bin:/bin HOME=/tmp "${envs[@]}" "$@" <"$stdin" >"$tmp/native.out" 2>/dev/null)
native=$?
ditto_env=()
for e in "${envs[@]}"; do ditto_env+=(--env "$e"); done
"$ditto" run -q "${ditto_env[@]}" -- "$@" <"$stdin" >"$tmp/ditto.out" 2>"$tmp/ditto.err"
got=$?
fail=0
if [ "$native" != "$got" ]; then
  echo "exit status differs: native $native, ditto $got"
  fail=1
fi
if ! cmp -s "$tmp/native.out" "$tmp/ditto.out"; then
  echo "stdout differs (native < > ditto):"
  diff "$tmp/native.out" "$tmp/ditto.out" | head -40
  fail=1
fi
if [ $fail = 1 ]; then
  echo "--- ditto stderr:"; head -20 "$tmp/ditto.err"
  exit 1
fi
echo "identical: status $got, $(wc -l <"$tmp/ditto.out") lines"
