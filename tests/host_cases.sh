#!/usr/bin/env bash
# Ditto toward its host and its user: a guest pipeline, a host pipe whose
# reader left, Ctrl-C during a recording, the progress line on a terminal,
# and the end-of-run reports. Usage: host_cases.sh BUILD_DIR CASE
set -u
build=$1
case_name=$2
ditto=$build/ditto
corpus=$build/corpus
bb=/bin/busybox
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

fail() { echo "FAIL: $*"; [ -f "$tmp/err" ] && sed 's/^/  stderr: /' "$tmp/err" | head -20; exit 1; }
ok() { echo "ok: $*"; }

case "$case_name" in
  guest_pipeline)
    # A pipeline inside the guest whose writer outlives its reader: `yes` is
    # killed by SIGPIPE while blocked on the full pipe (Ditto itself once
    # crashed there with a host SIGSEGV).
    out=$(timeout 60 "$ditto" run -q $bb ash -c 'yes 123456789_123456789_123 | head -1; echo "status $?"' 2>"$tmp/err")
    st=$?
    [ $st = 0 ] || fail "ditto exited $st"
    [ "$out" = "123456789_123456789_123
status 0" ] || fail "output: $out"
    ok "pipeline printed its line and ended (status 0)"
    timeout 60 "$ditto" record -q -o "$tmp/t.db" $bb ash -c 'yes abc | head -3 >/dev/null; yes | head -c 100000 | wc -c' \
      >"$tmp/out" 2>"$tmp/err" || fail "record exited $?"
    [ "$(cat "$tmp/out")" = 100000 ] || fail "wc printed $(cat "$tmp/out")"
    "$ditto" replay "$tmp/t.db" >"$tmp/rep" 2>&1 || fail "replay: $(cat "$tmp/rep")"
    "$ditto" replay --slice-ticks 997 "$tmp/t.db" >"$tmp/rep" 2>&1 || fail "sliced replay: $(cat "$tmp/rep")"
    ok "recorded pipelines replay identically, sliced too"
    ;;
  stdin_fault)
    # A read of stdin whose buffer faults keeps the data for the next read,
    # as the host pipe does natively; recorded runs replay it.
    for mode in native ditto; do
      if [ $mode = native ]; then
        printf 'hello world\n' | "$corpus/stdin_fault" >"$tmp/$mode" 2>"$tmp/err"
      else
        printf 'hello world\n' | "$ditto" record -q -o "$tmp/t.db" "$corpus/stdin_fault" >"$tmp/$mode" 2>"$tmp/err"
      fi
    done
    diff "$tmp/native" "$tmp/ditto" >"$tmp/diff" || fail "native < > ditto: $(cat "$tmp/diff")"
    grep -q "line = hello world" "$tmp/ditto" || fail "the line was lost: $(cat "$tmp/ditto")"
    "$ditto" replay "$tmp/t.db" >"$tmp/rep" 2>&1 || fail "replay: $(cat "$tmp/rep")"
    ok "faulting stdin reads as natively: $(tr '\n' ';' <"$tmp/ditto")"
    ;;
  closed_stdout)
    # Ditto's own stdout is a pipe whose reader leaves: the guest's write
    # fails as on Linux (SIGPIPE; EPIPE when ignored), and replay repeats it.
    got=$(timeout 60 "$ditto" run -q $bb yes 2>"$tmp/err" | head -2 | tr '\n' ' '; echo "status ${PIPESTATUS[0]}")
    [ "$got" = "y y status 141" ] || fail "busybox yes | head -2 under ditto: $got"
    ok "yes | head -2: $got (native: $( $bb yes | head -2 | tr '\n' ' '; echo "status ${PIPESTATUS[0]}"))"
    got=$(timeout 60 "$ditto" run -q $bb sh -c 'trap "" PIPE; exec yes' 2>"$tmp/err" | head -1; echo "status ${PIPESTATUS[0]}")
    native=$($bb sh -c 'trap "" PIPE; exec yes' 2>/dev/null | head -1; echo "status ${PIPESTATUS[0]}")
    [ "$got" = "$native" ] || fail "SIGPIPE ignored: ditto '$got', native '$native'"
    grep -q "Broken pipe" "$tmp/err" || fail "the guest was not told EPIPE"
    ok "SIGPIPE ignored: the write fails with EPIPE ($(echo $got | tr '\n' ' '))"
    (cd "$tmp" && timeout 60 "$ditto" record -q -o t.db $bb yes 2>/dev/null | head -5 >/dev/null)
    "$ditto" replay "$tmp/t.db" >"$tmp/rep" 2>&1 || fail "replay: $(cat "$tmp/rep")"
    "$ditto" dump "$tmp/t.db" | grep -q "write(.*= -32 " || fail "the failed write is not in the trace"
    ok "the EPIPE is recorded and replays: $(cat "$tmp/rep")"
    ;;
  ctrl_c)
    # SIGINT to a recorder: the run stops at its next scheduling point, the
    # trace is complete and marked interrupted, replay checks it to there.
    "$ditto" record -o "$tmp/t.db" "$corpus/bench_getpid" 2000000000 >/dev/null 2>"$tmp/err" &
    pid=$!
    sleep 1
    kill -INT $pid
    wait $pid
    st=$?
    [ $st = 130 ] || fail "record exited $st after SIGINT, wanted 130"
    grep -q "interrupted by SIGINT at tick [0-9]" "$tmp/err" || fail "no interruption message"
    "$ditto" info "$tmp/t.db" >"$tmp/info" 2>&1
    grep -q INCOMPLETE "$tmp/info" && fail "the interrupted trace is incomplete"
    "$ditto" dump --json "$tmp/t.db" | tail -1 | jq -e '.kind == "interrupt" and .signal == 2' >/dev/null ||
      fail "the last event is not the interruption"
    "$ditto" replay "$tmp/t.db" >"$tmp/rep" 2>&1
    st=$?
    [ $st = 6 ] || fail "replay exited $st, wanted 6: $(cat "$tmp/rep")"
    grep -Eq "interrupted by signal 2 at tick [0-9]+; all [0-9]+ events before it replayed identically" "$tmp/rep" ||
      fail "replay says: $(cat "$tmp/rep")"
    ok "SIGINT: exit 130, $(cat "$tmp/rep")"
    # SIGTERM too, to a guest that blocks in a host read of stdin.
    mkfifo "$tmp/fifo"
    sleep 30 3>"$tmp/fifo" >/dev/null 2>&1 &
    holder=$!
    "$ditto" record -q -o "$tmp/s.db" "$corpus/stdin_echo" <"$tmp/fifo" >/dev/null 2>&1 &
    pid=$!
    sleep 1
    kill -TERM $pid
    wait $pid
    st=$?
    kill $holder 2>/dev/null
    [ $st = 143 ] || fail "record blocked on stdin exited $st after SIGTERM, wanted 143"
    "$ditto" replay "$tmp/s.db" >"$tmp/rep" 2>&1
    [ $? = 6 ] || fail "replay: $(cat "$tmp/rep")"
    ok "SIGTERM while the guest waits for stdin: exit 143, replay 6"
    # A second signal before the first is handled ends Ditto at once: the
    # trace is then incomplete, and what it holds replays.
    "$ditto" record -q -o "$tmp/k.db" "$corpus/bench_getpid" 2000000000 >/dev/null 2>&1 &
    pid=$!
    sleep 1
    kill -STOP $pid
    kill -INT $pid
    kill -TERM $pid
    kill -CONT $pid
    wait $pid
    st=$?
    [ $st -gt 128 ] || fail "record exited $st after two signals, wanted death by a signal"
    "$ditto" replay "$tmp/k.db" >"$tmp/rep" 2>&1
    st=$?
    [ $st = 5 ] || [ $st = 4 ] || fail "replay of the killed recording exited $st: $(cat "$tmp/rep")"
    "$ditto" info "$tmp/k.db" | grep -q INCOMPLETE || fail "the killed recording is not marked incomplete"
    ok "two signals: killed at once, the trace is incomplete ($(head -c 100 "$tmp/rep"))"
    ;;
  progress)
    # On a terminal a long run shows a progress line; not with -q, and
    # nothing when stderr is not a terminal.
    export DITTO_PROGRESS_DELAY=0
    script -qec "$ditto run $corpus/bench_fib 30" /dev/null >"$tmp/tty" 2>&1
    grep -q "\[ditto\] .*virtual time [0-9.]* s, [0-9.]* G ticks, [0-9]* events, 1 processes" "$tmp/tty" ||
      fail "no progress line on a terminal: $(cat -v "$tmp/tty" | head -5)"
    ok "on a terminal: $(tr '\r' '\n' <"$tmp/tty" | grep -a '\[ditto\]' | head -1 | cat -v)"
    "$ditto" record -q -o "$tmp/t.db" "$corpus/bench_fib" 30 >/dev/null
    script -qec "$ditto replay $tmp/t.db" /dev/null >"$tmp/tty" 2>&1
    grep -q "\[ditto\] .*virtual time" "$tmp/tty" || fail "no progress line in replay: $(cat -v "$tmp/tty" | head -3)"
    ok "replay shows it too"
    script -qec "$ditto run -q $corpus/bench_fib 30" /dev/null >"$tmp/tty" 2>&1
    grep -q "\[ditto\]" "$tmp/tty" && fail "-q still shows progress"
    "$ditto" run "$corpus/bench_fib" 30 >/dev/null 2>"$tmp/err"
    grep -q "\[ditto\]" "$tmp/err" && fail "progress on a stderr that is not a terminal"
    ok "no progress with -q or without a terminal"
    ;;
  reports)
    # A deadlock report names the wait (pause, not sigsuspend) and still
    # lists the unsupported syscalls.
    timeout 60 "$ditto" run "$corpus/pause_forever" >/dev/null 2>"$tmp/err"
    st=$?
    [ $st = 124 ] || fail "deadlock exited $st"
    grep -q "deadlock: every task is blocked forever: task 1000 in pause" "$tmp/err" || fail "deadlock report"
    grep -q "unsupported syscalls (returned ENOSYS): .*syscall 999 x1" "$tmp/err" || fail "no unsupported summary"
    ok "deadlock: $(tr '\n' ' ' <"$tmp/err")"
    # -q: no "killed by" line.
    "$ditto" run -q $bb sh -c 'kill -TERM $$' >/dev/null 2>"$tmp/err"
    st=$?
    [ $st = 143 ] || fail "kill -TERM \$\$ exited $st"
    [ -s "$tmp/err" ] && fail "-q printed: $(cat "$tmp/err")"
    "$ditto" run $bb sh -c 'kill -TERM $$' >/dev/null 2>"$tmp/err"
    grep -q "killed by SIGTERM" "$tmp/err" || fail "without -q the death is not reported"
    ok "-q is quiet about the guest's death; without it: $(head -1 "$tmp/err")"
    # After execve the crash message names the program that crashed.
    "$ditto" run --mount "$corpus" $bb sh -c "exec $corpus/null_deref" >/dev/null 2>"$tmp/err"
    grep -q "^ditto: $corpus/null_deref killed by SIGSEGV" "$tmp/err" || fail "crash after exec: $(cat "$tmp/err")"
    ok "$(head -1 "$tmp/err")"
    # record without -o never replaces an earlier recording.
    (cd "$tmp" && "$ditto" record "$corpus/hello" >/dev/null 2>rec1.err && "$ditto" record "$corpus/hello" >/dev/null 2>rec2.err)
    [ -f "$tmp/hello-0.db" ] && [ -f "$tmp/hello-1.db" ] || fail "recordings without -o: $(ls "$tmp")"
    grep -q "recording to hello-1.db" "$tmp/rec2.err" || fail "the new name is not announced: $(cat "$tmp/rec2.err")"
    "$ditto" replay "$tmp/hello-0.db" >/dev/null && "$ditto" replay "$tmp/hello-1.db" >/dev/null || fail "replay"
    ok "record without -o: hello-0.db, then hello-1.db"
    ;;
  memory_cap)
    # --memory bounds the guest machine: tmpfs fills at half (short write,
    # then ENOSPC), mappings, brk and fork past the rest are ENOMEM
    # (overcommit_memory=2 accounting); recorded, the size is in the trace.
    cat >"$tmp/want" <<'WANT'
totalram = 256 MiB, mem_unit 1
MemTotal = 256 MiB
short write: 1048476 of 1048576 bytes
next write = -1 ENOSPC
tmpfs full at 131072 KiB = half the memory: yes
free memory fell by the file: yes
ftruncate past the space = -1 ENOSPC
unlink gave it back: yes
mmap(all memory, rw) = -1 ENOMEM
mmap(all memory, rw, MAP_NORESERVE) = -1 ENOMEM
mmap(all memory, PROT_NONE) = 0
mprotect(all of it, rw) = -1 ENOMEM
mprotect(a quarter, rw) = 0
munmap = 0
shared mmap(all memory) = -1 ENOMEM
sbrk(all memory) = -1 ENOMEM
malloc(1 MiB) ran out between half and all of it: yes
malloc after free: ok
mmap(60%, rw) = 0
fork holding 60% = -1 ENOMEM
fork after munmap: child exit 7
WANT
    timeout 120 "$ditto" record -q --memory 256M -o "$tmp/t.db" "$corpus/memory_cap" >"$tmp/out" 2>"$tmp/err" \
      || fail "record exited $?"
    diff "$tmp/want" "$tmp/out" >"$tmp/diff" || fail "want < > got: $(cat "$tmp/diff")"
    "$ditto" info "$tmp/t.db" | grep -q "4 CPUs, 256 MiB memory" || fail "info does not show the memory"
    "$ditto" replay "$tmp/t.db" >"$tmp/rep" 2>&1 || fail "replay: $(cat "$tmp/rep")"
    ok "a 256 MiB guest machine fills and refuses as Linux would, and replays"
    got=$(timeout 60 "$ditto" run -q --memory 1G "$corpus/memory_cap" 2>/dev/null | head -2 | tr '\n' ' ')
    [ "$got" = "totalram = 1024 MiB, mem_unit 1 MemTotal = 1024 MiB " ] || fail "--memory 1G: $got"
    "$ditto" run -q --memory 10M "$corpus/hello" >/dev/null 2>"$tmp/err" && fail "--memory 10M was taken"
    grep -q "want a size from 64M" "$tmp/err" || fail "no message for --memory 10M"
    ok "--memory 1G is seen; 10M is refused with a message"
    ;;
  unreadable_mount)
    # A --mount whose files Ditto's own (non-root) user may not read: the
    # guest gets EACCES where the host said so, and the rest works: a 0711
    # directory cannot be listed but its files can be opened by name, a 0600
    # file of root's cannot be read, a 0000 directory cannot be searched.
    # Ditto once died of a host SIGSEGV here. Compared with the same commands
    # run natively as that user, on the same paths (mounted at themselves).
    [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null || { echo "skip: needs root and setpriv"; exit 77; }
    as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
    d=$tmp/world
    mkdir -p "$d/open" "$d/shut" "$d/dark" && chmod 755 "$tmp"
    echo top >"$d/t"; echo inner >"$d/shut/f"; echo hidden >"$d/dark/g"; echo secret >"$d/secret"
    chmod 0600 "$d/secret"; chmod 0711 "$d/shut"; chmod 0000 "$d/dark"; chmod 0755 "$d" "$d/open"
    chmod 0644 "$d/t" "$d/shut/f" "$d/dark/g"
    script='for p in "$0" "$0/shut" "$0/dark"; do ls "$p" >/dev/null 2>&1; echo "ls $p: $?"; done
      for f in t shut/f dark/g secret; do cat "$0/$f" 2>/dev/null; echo "cat $f: $?"; done
      cd "$0/shut" && echo "cd shut: $?"; cat f; cd "$0/dark" 2>/dev/null; echo "cd dark: $?"'
    as_nobody $bb sh -c "$script" "$d" >"$tmp/native" 2>&1
    chmod 777 "$tmp"
    (cd "$tmp" && as_nobody timeout 60 "$ditto" record -q -o "$tmp/t.db" --mount "$d:$d" $bb sh -c "$script" "$d") \
      >"$tmp/ditto" 2>"$tmp/err" || fail "record exited $?"
    diff "$tmp/native" "$tmp/ditto" >"$tmp/diff" || fail "native < > ditto: $(cat "$tmp/diff")"
    grep -q "cat secret: 1" "$tmp/ditto" || fail "root's 0600 file was read: $(cat "$tmp/ditto")"
    as_nobody "$ditto" replay "$tmp/t.db" >"$tmp/rep" 2>&1 || fail "replay: $(cat "$tmp/rep")"
    # The working directory inside the directory Ditto may not search.
    (cd "$d/shut" && as_nobody timeout 60 "$ditto" run -q $bb cat f) >"$tmp/out" 2>"$tmp/err"
    st=$?
    [ $st -lt 128 ] || fail "ditto died of a signal ($st)"
    ok "unreadable host files: $(tr '\n' ';' <"$tmp/ditto")"
    ;;
  *)
    echo "unknown case $case_name"; exit 2 ;;
esac
