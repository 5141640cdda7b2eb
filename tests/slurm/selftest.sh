#!/usr/bin/env bash
# Start a throw-away Slurm cluster under DIR, run a 4-task job array, check
# its outputs, stop the cluster (also on failure). Exit 0 on success, 1 else.
set -euo pipefail
[[ $# -eq 1 ]] || { echo "usage: $0 DIR" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$1"
D=$(cd "$1" && pwd -P)

trap '"$here/cluster.sh" stop "$D"' EXIT
t0=$SECONDS
env=$("$here/cluster.sh" start "$D") || exit 1   # (eval "$(...)" would hide a failure)
eval "$env"
echo "selftest: cluster up in $((SECONDS - t0)) s"

rm -f "$D"/out-*.txt
# shellcheck disable=SC2016  # $SLURM_* expand in the job, not here
# --wait: sbatch returns only when every array task has ended (non-zero if one failed).
timeout 120 sbatch --wait --array=0-3 --output="$D/out-%a.txt" \
    --wrap 'echo task $SLURM_ARRAY_TASK_ID of $SLURM_ARRAY_TASK_COUNT' || {
    echo "selftest: FAIL: sbatch --wait failed" >&2; exit 1; }

fails=0
for i in 0 1 2 3; do
    got=$(cat "$D/out-$i.txt" 2>/dev/null || echo "<missing>")
    if [[ $got == "task $i of 4" ]]; then echo "ok   out-$i.txt: $got"
    else echo "FAIL out-$i.txt: $got" >&2; fails=$((fails + 1)); fi
done
echo "selftest: $((4 - fails)) passed, $fails failed in $((SECONDS - t0)) s"
((fails == 0)) || exit 1
