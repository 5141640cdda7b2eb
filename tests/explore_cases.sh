#!/usr/bin/env bash
# `ditto explore` on the concurrency-bug corpus (corpus/RACES.md): each bug is
# found, its failure is the one the program has, the saved run replays
# identically; the FIXED twins never fail; results do not depend on --jobs.
# Usage: explore_cases.sh BUILD_DIR CASE [PROGRAM]
set -u
build=$1
case_name=$2
ditto=$build/ditto
corpus=$build/corpus
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

fail() { echo "FAIL: $*"; exit 1; }

# How each bug shows (the kind of its first failure group).
expected_kind() {
  case $1 in
    race_order_violation) echo signal ;;
    race_lost_wakeup|race_deadlock_abba) echo deadlock ;;
    *) echo exit ;;
  esac
}

case "$case_name" in
  finds)
    p=$3
    "$ditto" explore -q --stop-at-first --runs 3000 --seed 1 -o "$tmp/t.db" --json "$corpus/$p" >"$tmp/r.json"
    st=$?
    [ $st = 1 ] || fail "$p: explore exited $st, wanted 1 (a failure found): $(cat "$tmp/r.json")"
    kind=$(jq -r '.failures[0].kind' "$tmp/r.json")
    first=$(jq -r '.first_failing_schedule' "$tmp/r.json")
    [ "$kind" = "$(expected_kind "$p")" ] || fail "$p: the failure is '$kind', wanted $(expected_kind "$p"): $(cat "$tmp/r.json")"
    jq -e '.fails_without_interleaving == false' "$tmp/r.json" >/dev/null || fail "$p fails without any interleaving"
    run=$(jq -r '.failures[0].runs[0]' "$tmp/r.json")
    "$ditto" replay "$tmp/t.db" --run "$run" >"$tmp/rep" 2>&1 || fail "$p: replay of run $run: $(cat "$tmp/rep")"
    echo "ok: $p: $(jq -r '.failures[0].summary' "$tmp/r.json") at schedule $first; run $run replays: $(cat "$tmp/rep")"
    ;;
  fixed)
    runs=${3:-1000}
    policies=${4:-surw pos pct}
    for p in race_lost_update race_lazy_init race_order_violation race_lost_wakeup race_deadlock_abba race_reorder \
             race_twostage race_ws_queue race_aba_stack race_teardown race_sigchld; do
      for s in $policies; do
        "$ditto" explore -q --runs "$runs" --sched $s --seed 7 -o "$tmp/f.db" --json "$corpus/${p}_fixed" >"$tmp/r.json"
        st=$?
        [ $st = 0 ] || fail "${p}_fixed failed under $s (exit $st): $(cat "$tmp/r.json")"
      done
      echo "ok: ${p}_fixed: no failure in $runs schedules of each of: $policies"
    done
    ;;
  counter4)
    # Four threads losing updates of one counter inside a single basic block.
    "$ditto" explore -q --stop-at-first --runs 20 --sched pct --seed 1 -o "$tmp/t.db" --json "$corpus/race_counter4" \
      >"$tmp/r.json"
    [ $? = 1 ] || fail "no lost update in 20 schedules: $(cat "$tmp/r.json")"
    echo "ok: race_counter4 loses updates at schedule $(jq -r .first_failing_schedule "$tmp/r.json"): $(jq -r '.failures[0].last_output' "$tmp/r.json")"
    ;;
  jobs)
    # The schedules and what they find do not depend on how many run at once.
    for j in 1 2; do
      "$ditto" explore -q --runs 300 -j $j --seed 3 --json "$corpus/race_lost_update" -o "$tmp/j$j.db" |
        jq -c '[.failing, .first_failing_schedule, [.failures[] | .count, .first_schedule]]' >"$tmp/j$j"
    done
    cmp -s "$tmp/j1" "$tmp/j2" || fail "-j 1 and -j 2 differ: $(cat "$tmp/j1") vs $(cat "$tmp/j2")"
    echo "ok: -j 1 and -j 2 agree: $(cat "$tmp/j1")"
    ;;
  shards)
    # Shards K/N partition the schedules; merged, they are the one job:
    # schedules, failing ones, each failure's count and first schedule.
    "$ditto" explore -q --runs 120 --seed 3 -o "$tmp/all.db" "$corpus/race_lost_update" >/dev/null
    for k in 0 1 2; do
      "$ditto" explore -q --runs 120 --seed 3 --shard $k/3 -o "$tmp/s$k.db" "$corpus/race_lost_update" >/dev/null
    done
    "$ditto" merge "$tmp/m.db" "$tmp/s0.db" "$tmp/s1.db" "$tmp/s2.db" >"$tmp/out" 2>&1 || fail "merge: $(cat "$tmp/out")"
    q="SELECT job, total, failing FROM jobs; SELECT kind, signature, count, first_key FROM failures"
    sqlite3 "$tmp/all.db" "$q" >"$tmp/all.q" && sqlite3 "$tmp/m.db" "$q" >"$tmp/m.q" || fail "sqlite3"
    cmp -s "$tmp/all.q" "$tmp/m.q" || fail "merged shards differ from one job: $(diff "$tmp/all.q" "$tmp/m.q")"
    [ "$(sqlite3 "$tmp/s1.db" "SELECT count(*) FROM verdicts WHERE key % 3 != 1")" = 0 ] ||
      fail "shard 1/3 ran schedules of other shards"
    run=$(sqlite3 "$tmp/m.db" "SELECT run FROM failures LIMIT 1")
    "$ditto" replay "$tmp/m.db" --run "$run" >"$tmp/rep" 2>&1 || fail "merged run $run: $(cat "$tmp/rep")"
    "$ditto" merge "$tmp/m2.db" "$tmp/s0.db" "$tmp/s0.db" >"$tmp/out" 2>&1
    grep -q "shard 0/3 again" "$tmp/out" && grep -q "1 of its 3 shards" "$tmp/out" || fail "no warnings: $(cat "$tmp/out")"
    echo "ok: 3 shards merged = one job: $(tr '\n' ' ' <"$tmp/m.q")"
    ;;
  single_task)
    "$ditto" explore -q --runs 50 --json "$corpus/hello" -o "$tmp/h.db" >"$tmp/r.json"
    [ $? = 0 ] || fail "hello failed: $(cat "$tmp/r.json")"
    jq -e '.single_task == true and .schedules == 1' "$tmp/r.json" >/dev/null || fail "$(cat "$tmp/r.json")"
    "$ditto" explore --runs 50 "$corpus/hello" -o "$tmp/h.db" | grep -q "never starts a second task" || fail "no note"
    echo "ok: a program with one task has one schedule"
    ;;
  without_interleaving)
    # A failure on the default schedule is told apart from a race.
    "$ditto" explore --runs 20 "$corpus/exit_group_threads" --env X=1 -o "$tmp/e.db" >"$tmp/out" 2>&1
    "$ditto" explore --runs 20 --json -o "$tmp/e.db" "$corpus/race_lost_update_fixed" >/dev/null ||
      fail "the fixed twin failed"
    printf '#include <pthread.h>\nstatic void *f(void *a) { return a; }\nint main(void) { pthread_t t; pthread_create(&t, 0, f, 0); pthread_join(t, 0); return 3; }\n' >"$tmp/always.c"
    gcc -O2 -static -pthread -o "$tmp/always" "$tmp/always.c" || fail "cc"
    "$ditto" explore --runs 20 -o "$tmp/a.db" "$tmp/always" >"$tmp/out" 2>&1
    [ $? = 1 ] || fail "explore of a failing program exited 0"
    grep -q "fails without any interleaving too" "$tmp/out" || fail "no note: $(cat "$tmp/out")"
    echo "ok: $(grep -m1 'exit status 3' "$tmp/out")"
    ;;
  analyze)
    # A failing schedule minimised to a few preemptions, saved as a run that
    # replays, and its race named: the variable the corpus says races.
    p=$3 want=$4
    "$ditto" explore -q --stop-at-first --runs 3000 --seed 1 -o "$tmp/t.db" --json "$corpus/$p" >"$tmp/r.json"
    run=$(jq -r '.failures[0].runs[0]' "$tmp/r.json")
    "$ditto" analyze --json "$tmp/t.db" --run "$run" >"$tmp/a.json" || fail "$p: analyze exited $?: $(cat "$tmp/a.json")"
    jq -e '.reduced and (.minimal | length) <= 3' "$tmp/a.json" >/dev/null || fail "$p: not reduced: $(cat "$tmp/a.json")"
    saved=$(jq -r .saved_run "$tmp/a.json")
    "$ditto" replay "$tmp/t.db" --run "$saved" >"$tmp/rep" 2>&1 || fail "$p: the minimal run $saved: $(cat "$tmp/rep")"
    # WANT: the variable, or @FILE: a racing access is in the program's own source file, or called from it.
    if [ "${want#@}" != "$want" ]; then
      jq -e --arg f "${want#@}" '[.races[] | select(.found) | .first, .second | .where, .stack[]] | map(contains($f)) | any' \
        "$tmp/a.json" >/dev/null || fail "$p: no racing access in ${want#@}: $(jq -c .races "$tmp/a.json")"
    else
      jq -e --arg v "$want" '[.races[] | select(.found) | .first.data, .second.data] | map(split("+")[0]) | index($v) != null' \
        "$tmp/a.json" >/dev/null || fail "$p: the race is not on $want: $(jq -c .races "$tmp/a.json")"
    fi
    echo "ok: $p: $(jq -r '.original_preemptions' "$tmp/a.json") preemptions -> $(jq -r '.minimal | length' "$tmp/a.json"), race on $want: $(jq -r '[.races[] | select(.found)][0] | .first.where + " / " + .second.where' "$tmp/a.json")"
    ;;
  replay_100)
    # Every kept failure replays identically, a hundred times out of a hundred.
    for p in race_lost_update race_order_violation race_deadlock_abba race_reorder race_sigchld; do
      "$ditto" explore -q --stop-at-first --runs 3000 --seed 2 -o "$tmp/t.db" --json "$corpus/$p" >"$tmp/r.json"
      run=$(jq -r '.failures[0].runs[0]' "$tmp/r.json")
      for i in $(seq 100); do
        "$ditto" replay "$tmp/t.db" --run "$run" >/dev/null 2>&1 || fail "$p: replay $i of run $run diverged"
      done
      echo "ok: $p: run $run replayed identically 100 times"
    done
    ;;
  *)
    echo "unknown case $case_name"; exit 2 ;;
esac
