#!/usr/bin/env bash
# Record/replay end to end: identical replays, byte-identical re-recordings,
# every kind of bad trace (exit 4 with a message naming it), a tampered event
# (exit 3), and a recorder killed with SIGKILL (complete batches replay, exit 5).
# Usage: trace_cases.sh BUILD_DIR CASE
set -u
build=$1
case_name=$2
ditto=$build/ditto
tool=$build/tests/trace_tool
corpus=$build/corpus
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

expect_status() {  # expect_status WANT MESSAGE_REGEX -- command...
  local want=$1 pattern=$2; shift 3
  "$@" >"$tmp/out" 2>&1
  local got=$?
  if [ "$got" != "$want" ]; then
    echo "FAIL: '$*' exited $got, wanted $want"; cat "$tmp/out"; exit 1
  fi
  if ! grep -Eq "$pattern" "$tmp/out"; then
    echo "FAIL: '$*' output does not match /$pattern/:"; cat "$tmp/out"; exit 1
  fi
  echo "ok: $* -> $got: $(grep -E "$pattern" "$tmp/out" | head -1)"
}

record() {  # record OUT PROG [ARGS...]
  local out=$1; shift
  "$ditto" record -q -o "$out" "$@" >/dev/null 2>"$tmp/rec.err" </dev/null || true
}

run_to() {  # run_to NAME [OPTION...] -- PROG [ARGS...]: NAME.db, NAME.out and NAME.json in $tmp
  local name=$1 opts=()
  shift
  while [ "$1" != "--" ]; do opts+=("$1"); shift; done
  shift
  "$ditto" record -q "${opts[@]}" -o "$tmp/$name.db" "$@" >"$tmp/$name.out"
  "$ditto" dump --json "$tmp/$name.db" >"$tmp/$name.json"
}

same_as_a() {  # same_as_a WHAT: run b printed and recorded exactly what run a did
  cmp -s "$tmp/a.out" "$tmp/b.out" && cmp -s "$tmp/a.json" "$tmp/b.json" && return
  echo "FAIL: $1"; diff "$tmp/a.out" "$tmp/b.out" | head; diff "$tmp/a.json" "$tmp/b.json" | head; exit 1
}

case "$case_name" in
  replay_corpus)
    # Every corpus program (glibc, musl, static-pie) replays identically.
    for p in hello fileio mmap_prot brk_grow args_env random_clock errno_checks null_deref fork_wait threads \
             illegal_insn div_zero stdin_echo; do
      for v in "" .musl .pie; do
        record "$tmp/t.db" "$corpus/$p$v" a b
        expect_status 0 "identical: [0-9]+ events" -- "$ditto" replay "$tmp/t.db"
      done
    done
    ;;
  replay_stdin)
    # stdin is captured into the trace: replay needs no stdin at all.
    seq 1 5000 >"$tmp/input"
    "$ditto" record -q -o "$tmp/t.db" "$corpus/stdin_echo" <"$tmp/input" >"$tmp/rec.out"
    want="$(wc -c <"$tmp/input") bytes, 5000 lines"
    grep -q "$want" "$tmp/rec.out" || { echo "FAIL: bad record output"; cat "$tmp/rec.out"; exit 1; }
    expect_status 0 "identical" -- "$ditto" replay "$tmp/t.db"
    "$ditto" replay --echo "$tmp/t.db" </dev/null >"$tmp/rep.out"
    grep -q "$want" "$tmp/rep.out" || { echo "FAIL: --echo output differs"; exit 1; }
    echo "ok: replay --echo reproduces the output from the recorded stdin"
    ;;
  replay_without_host_files)
    # The program and a mounted directory come from the trace's blobs.
    mkdir -p "$tmp/data" && echo "captured" >"$tmp/data/f.txt"
    cp "$corpus/hello" "$tmp/prog"
    "$ditto" record -q -o "$tmp/t.db" --mount "$tmp/data:/data" "$tmp/prog" >/dev/null
    rm -rf "$tmp/data" "$tmp/prog"
    expect_status 0 "identical" -- "$ditto" replay "$tmp/t.db"
    ;;
  root_view)
    # --root DIR is the guest's "/": a dynamic program finds its linker and
    # libc there; the guest's writes, appends and removals stay in memory (the
    # host's files are untouched); the trace replays with DIR gone.
    [ -x /bin/busybox ] || { echo "FAIL: /bin/busybox missing (apt-get install busybox-static)"; exit 1; }
    r="$tmp/root"
    mkdir -p "$r/bin" "$r/etc" "$r/lib64" "$r/lib/x86_64-linux-gnu"
    cp /bin/busybox "$r/bin/busybox" && cp "$corpus/dynamic_hello" "$r/bin/hello"
    cp -L /lib64/ld-linux-x86-64.so.2 "$r/lib64/" && cp -L /lib/x86_64-linux-gnu/libc.so.6 "$r/lib/x86_64-linux-gnu/"
    echo "host text" >"$r/etc/motd" && touch "$r/etc/gone"
    "$ditto" record -q -o "$tmp/t.db" --root "$r" /bin/busybox sh -c \
      'cat /etc/motd; echo new >>/etc/motd; cat /etc/motd; rm /etc/gone; ls /etc; /bin/hello; echo status $?' \
      >"$tmp/out" 2>&1
    printf 'host text\nhost text\nnew\nmotd\nHello from a guest program running under Ditto!\nstatus 0\n' >"$tmp/want"
    cmp -s "$tmp/out" "$tmp/want" || { echo "FAIL: the guest saw"; cat "$tmp/out"; exit 1; }
    [ "$(cat "$r/etc/motd")" = "host text" ] && [ -e "$r/etc/gone" ] ||
      { echo "FAIL: the guest changed the host's files"; exit 1; }
    rm -rf "$r"
    expect_status 0 "identical" -- "$ditto" replay "$tmp/t.db"
    echo "ok: $(tr '\n' ' ' <"$tmp/out")"
    ;;
  save_outputs)
    # The host's gcc compiles and links under Ditto (the root view: the
    # driver, cc1, as, ld and their libraries), byte for byte as natively;
    # --save brings the guest's outputs out after record and after replay.
    command -v gcc >/dev/null || { echo "FAIL: gcc missing (apt-get install build-essential)"; exit 1; }
    mkdir -p "$tmp/src" && printf '#include <stdio.h>\nint main(void){puts("built");return 0;}\n' >"$tmp/src/m.c"
    (cd "$tmp/src" && gcc -c m.c -o "$tmp/native.o" && gcc -o "$tmp/native" m.c)
    "$ditto" record -q -o "$tmp/t.db" --mount "$tmp/src:/src" --save /tmp/out:"$tmp/out" \
      /bin/sh -c 'mkdir /tmp/out && cd /src && gcc -c m.c -o /tmp/out/m.o && gcc -o /tmp/out/m m.c' ||
      { echo "FAIL: gcc under ditto exited $?"; exit 1; }
    cmp "$tmp/out/m.o" "$tmp/native.o" && cmp "$tmp/out/m" "$tmp/native" ||
      { echo "FAIL: gcc under Ditto made different bytes"; exit 1; }
    [ "$("$tmp/out/m")" = built ] || { echo "FAIL: the saved executable does not run"; exit 1; }
    rm -rf "$tmp/src" "$tmp/out"
    expect_status 0 "identical" -- "$ditto" replay "$tmp/t.db" --save /tmp/out/m:"$tmp/replayed"
    cmp "$tmp/replayed" "$tmp/native" || { echo "FAIL: the replay saved different bytes"; exit 1; }
    expect_status 125 "no such file or directory in the guest" -- "$ditto" run -q --save /nowhere:"$tmp/x" /bin/true
    echo "ok: object and executable identical to native, after record and after replay"
    ;;
  mount_over_program)
    # A mount that holds the program's own directory shows the host's entries
    # there too (it showed only the program: fpc could not find ppcx64 beside
    # itself), stays read-only, and replays from the trace alone.
    [ -x /bin/busybox ] || { echo "FAIL: /bin/busybox missing (apt-get install busybox-static)"; exit 1; }
    mkdir -p "$tmp/d/bin" && cp /bin/busybox "$tmp/d/bin/busybox"
    touch "$tmp/d/bin/tool" "$tmp/d/top"
    (cd "$tmp/d" && /bin/busybox ls bin .) >"$tmp/native" 2>&1
    (cd "$tmp/d" && "$ditto" record -q -o "$tmp/t.db" --mount "$tmp/d" "$tmp/d/bin/busybox" sh -c \
      'ls bin . && echo x >new') >"$tmp/ditto" 2>&1
    echo "status $?" >>"$tmp/ditto"
    head -n "$(wc -l <"$tmp/native")" "$tmp/ditto" | cmp -s - "$tmp/native" ||
      { echo "FAIL: the listing differs from native"; diff "$tmp/native" "$tmp/ditto"; exit 1; }
    grep -q "can't create new: Read-only file system" "$tmp/ditto" && grep -q "status [^0]" "$tmp/ditto" ||
      { echo "FAIL: the mount is not read-only"; cat "$tmp/ditto"; exit 1; }
    rm -rf "$tmp/d"
    expect_status 0 "identical" -- "$ditto" replay "$tmp/t.db"
    echo "ok: $(tr '\n' ' ' <"$tmp/ditto")"
    ;;
  same_seed_identical)
    for p in hello random_clock fileio rdtsc_virtual fork_wait threads; do
      record "$tmp/a.db" "$corpus/$p"
      record "$tmp/b.db" "$corpus/$p"
      "$ditto" dump --json "$tmp/a.db" >"$tmp/a.json"
      "$ditto" dump --json "$tmp/b.db" >"$tmp/b.json"
      cmp "$tmp/a.json" "$tmp/b.json" || { echo "FAIL: two recordings of $p differ"; diff "$tmp/a.json" "$tmp/b.json" | head; exit 1; }
      echo "ok: two recordings of $p are identical ($(wc -l <"$tmp/a.json") lines)"
    done
    "$ditto" record -q -o "$tmp/c.db" --seed 99 "$corpus/random_clock" >/dev/null
    "$ditto" dump --json "$tmp/c.db" >"$tmp/c.json"
    "$ditto" dump --json "$tmp/a.db" >"$tmp/a.json"
    if cmp -s "$tmp/a.json" "$tmp/c.json"; then echo "FAIL: another seed gave the same trace"; exit 1; fi
    echo "ok: another seed gives another getrandom stream"
    ;;
  slice_invariance)
    # Stopping and resuming at tick boundaries changes nothing: output, ticks
    # and every event are identical with any slice length, for one task and
    # for many (the scheduler's decisions must not move).
    for p in "cpu_hash 2" "bench_fib 25" "fileio" "random_clock" "code_alias" "rdtsc_virtual print" \
             "fork_spin" "threads" "fork_wait" "pipe_eof" "bench_thread 50" "timers" "fault_signals" "sigwait"; do
      set -- $p
      run_to a -- "$corpus/$1" ${2:-}
      for s in 1000003 9973 101; do
        run_to b --slice-ticks $s -- "$corpus/$1" ${2:-}
        same_as_a "$1 with slices of $s ticks differs"
      done
      expect_status 0 "identical" -- "$ditto" replay --slice-ticks 997 "$tmp/a.db"
    done
    if [ -x /bin/busybox ]; then
      script='yes abc | head -c 50000 | wc -c; echo a b c | tr " " "\n" | sort -r'
      run_to a -- /bin/busybox sh -c "$script"
      run_to b --slice-ticks 1001 -- /bin/busybox sh -c "$script"
      same_as_a "a busybox pipeline with slices of 1001 ticks differs"
      expect_status 0 "identical" -- "$ditto" replay --slice-ticks 1001 "$tmp/a.db"
    fi
    ;;
  engine_reuse_invariance)
    # Forks reuse the engines of exited processes (kernel::EnginePool), with
    # their translated code: the run must be the same as with a new engine
    # for every fork, to the tick.
    for p in "bench_fork 200" "fork_cow" "exec_de_thread" "shared_memory" "threads" "code_alias"; do
      set -- $p
      run_to a -- "$corpus/$1" ${2:-}
      run_to b --fresh-engines -- "$corpus/$1" ${2:-}
      same_as_a "$1 differs with --fresh-engines"
      grep -q '"kind":"exit"' "$tmp/a.json" || { echo "FAIL: $1: no exit event in the dump"; exit 1; }
      expect_status 0 "identical" -- "$ditto" replay --fresh-engines "$tmp/a.db"
    done
    # A shell that forks and execs its own binary again and again: execs
    # reuse engines (and their translations of the shared program text) too.
    if [ -x /bin/busybox ]; then
      script='i=0; while [ $i -lt 20 ]; do /bin/busybox echo "run $i" | /bin/busybox wc -c; i=$((i+1)); done'
      run_to a -- /bin/busybox sh -c "$script"
      run_to b --fresh-engines -- /bin/busybox sh -c "$script"
      [ "$(wc -l <"$tmp/a.out")" = 20 ] || { echo "FAIL: busybox loop printed $(wc -l <"$tmp/a.out") lines, not 20"; exit 1; }
      same_as_a "busybox loop differs with --fresh-engines"
      expect_status 0 "identical" -- "$ditto" replay "$tmp/a.db"
    fi
    ;;
  rdtsc_deterministic)
    # rdtsc reads the virtual clock: the raw values repeat exactly across runs.
    "$ditto" run -q "$corpus/rdtsc_virtual" print >"$tmp/a.out"
    "$ditto" run -q "$corpus/rdtsc_virtual" print >"$tmp/b.out"
    grep -q "rdtsc values [0-9]" "$tmp/a.out" || { echo "FAIL: no values"; cat "$tmp/a.out"; exit 1; }
    cmp "$tmp/a.out" "$tmp/b.out" || { echo "FAIL: rdtsc differs between runs"; diff "$tmp/a.out" "$tmp/b.out"; exit 1; }
    echo "ok: $(grep values "$tmp/a.out") in both runs"
    ;;
  fork_bomb)
    # Forking without end meets EAGAIN at Ditto's process limit, not a host failure.
    expect_status 0 "fork failed after 255 children: EAGAIN" -- "$ditto" run -q "$corpus/fork_bomb"
    grep -q "reaped 255" "$tmp/out" || { echo "FAIL: children not reaped"; cat "$tmp/out"; exit 1; }
    ;;
  syscall_fuzz)
    # Random syscalls with hostile arguments: answered, never a host crash.
    for v in "" .musl; do
      expect_status 0 "survived [0-9]+ random syscalls" -- "$ditto" run "$corpus/syscall_fuzz$v" 30000
      record "$tmp/t.db" "$corpus/syscall_fuzz$v" 5000
      expect_status 0 "identical" -- "$ditto" replay "$tmp/t.db"
    done
    ;;
  dump_json)
    record "$tmp/t.db" "$corpus/hello"
    "$ditto" dump --json "$tmp/t.db" | jq -e -s 'length > 5 and .[0].kind == "header" and
      (map(select(.kind == "syscall" and .name == "write"))[0].data | startswith("Hello"))' >/dev/null \
      || { echo "FAIL: dump --json does not parse as expected"; exit 1; }
    echo "ok: dump --json parses with jq"
    expect_status 0 "exit status 0" -- "$ditto" info "$tmp/t.db"
    ;;
  not_sqlite)
    echo "this is not a database" >"$tmp/t.db"
    expect_status 4 "not a Ditto trace \(not an SQLite database\)" -- "$ditto" replay "$tmp/t.db"
    expect_status 4 "not a Ditto trace" -- "$ditto" dump "$tmp/t.db"
    ;;
  missing_file)
    # A trace that is not there is not called invalid: the message says what is wrong and how to make one.
    expect_status 4 "^ditto: cannot open trace .*none.db: No such file or directory \(.ditto record -o" -- \
      "$ditto" replay "$tmp/none.db"
    for cmd in dump info; do
      expect_status 4 "^ditto: cannot open trace .*none.db: No such file or directory" -- "$ditto" $cmd "$tmp/none.db"
    done
    if grep -q "invalid" "$tmp/out"; then echo "FAIL: a missing file is reported as an invalid trace"; exit 1; fi
    ;;
  wrong_schema_version)
    record "$tmp/t.db" "$corpus/hello"
    "$tool" set-schema "$tmp/t.db" 99
    expect_status 4 "schema version 99; this Ditto reads versions 2 to 4" -- "$ditto" replay "$tmp/t.db"
    ;;
  schema_2_trace)
    # A trace written before compression (schema 2) still replays, and info says which it is.
    record "$tmp/t.db" "$corpus/hello"
    "$tool" to-schema-2 "$tmp/t.db" || { echo "FAIL: trace_tool to-schema-2"; exit 1; }
    expect_status 0 "identical" -- "$ditto" replay "$tmp/t.db"
    expect_status 0 "schema version 2 \(uncompressed\)" -- "$ditto" info "$tmp/t.db"
    ;;
  format_4_trace)
    # A version 4 header (before corpus inputs and recording levels) still replays.
    record "$tmp/t.db" "$corpus/hello"
    "$tool" set-format "$tmp/t.db" 4
    expect_status 0 "identical" -- "$ditto" replay "$tmp/t.db"
    ;;
  wrong_format_version)
    record "$tmp/t.db" "$corpus/hello"
    "$tool" set-format "$tmp/t.db" 7
    expect_status 4 "trace format version 7 is not supported" -- "$ditto" replay "$tmp/t.db"
    ;;
  flipped_byte)
    record "$tmp/t.db" "$corpus/hello"
    "$tool" flip "$tmp/t.db" || { echo "FAIL: trace_tool flip"; exit 1; }
    expect_status 4 "event batch starting at #0 is corrupt \(checksum mismatch\)" -- "$ditto" replay "$tmp/t.db"
    ;;
  missing_blob)
    record "$tmp/t.db" "$corpus/hello"
    "$tool" drop-blobs "$tmp/t.db"
    expect_status 4 "is missing blob [0-9a-f]{64}" -- "$ditto" replay "$tmp/t.db"
    ;;
  missing_batch)
    record "$tmp/t.db" "$corpus/bench_getpid" 20000
    "$tool" drop-last-batch "$tmp/t.db"
    expect_status 4 "should hold [0-9]+ events but [0-9]+ are stored" -- "$ditto" replay "$tmp/t.db"
    ;;
  truncated_file)
    record "$tmp/t.db" "$corpus/bench_getpid" 20000
    size=$(stat -c %s "$tmp/t.db")
    truncate -s $((size / 2)) "$tmp/t.db"
    expect_status 4 "damaged|missing|malformed|should hold" -- "$ditto" replay "$tmp/t.db"
    truncate -s 100 "$tmp/t.db"
    expect_status 4 "not a Ditto trace|damaged" -- "$ditto" replay "$tmp/t.db"
    ;;
  tampered_getrandom)
    record "$tmp/t.db" "$corpus/random_clock"
    "$tool" edit-getrandom "$tmp/t.db"
    expect_status 3 "divergence at event #[0-9]+ \(tid 1000, rip 0x[0-9a-f]+\): data differs" -- "$ditto" replay "$tmp/t.db"
    grep -q "expected: .*getrandom" "$tmp/out" && grep -q "actual: .*getrandom" "$tmp/out" \
      || { echo "FAIL: divergence report lacks expected/actual"; cat "$tmp/out"; exit 1; }
    if grep -q "note:" "$tmp/out"; then echo "FAIL: a version note on a trace of this build"; exit 1; fi
    # The same divergence on a trace from another build names both versions.
    "$tool" set-version "$tmp/t.db" 0.0.1+elsewhere
    expect_status 3 "note: the trace was recorded by Ditto 0.0.1\+elsewhere and this is Ditto" -- \
      "$ditto" replay "$tmp/t.db"
    ;;
  flipped_header)
    # A header whose bytes changed is named, by dump and info too.
    record "$tmp/t.db" "$corpus/hello"
    "$tool" flip-header "$tmp/t.db"
    for cmd in replay dump info; do
      expect_status 4 "header of run 1 is corrupt \(checksum mismatch\)" -- "$ditto" $cmd "$tmp/t.db"
    done
    ;;
  crafted_header)
    # Five packed bytes that claim a 2 GiB message: refused at once, in little memory.
    record "$tmp/t.db" "$corpus/hello"
    "$tool" set-header-hex "$tmp/t.db" f0ffffff0f
    for cmd in replay dump info; do
      /usr/bin/time -f "%M" -o "$tmp/kb" "$ditto" $cmd "$tmp/t.db" >"$tmp/out" 2>&1
      st=$?
      [ $st = 4 ] || { echo "FAIL: $cmd exited $st"; cat "$tmp/out"; exit 1; }
      grep -q "claims .* bytes from 5 packed: it is corrupt" "$tmp/out" || { echo "FAIL: $cmd: $(cat "$tmp/out")"; exit 1; }
      [ "$(tail -1 "$tmp/kb")" -lt 200000 ] || { echo "FAIL: $cmd used $(tail -1 "$tmp/kb") KB"; exit 1; }
      echo "ok: $cmd -> 4 in $(tail -1 "$tmp/kb") KB: $(head -1 "$tmp/out")"
    done
    ;;
  meta_null)
    # NULL keys or values in meta: no abort.
    record "$tmp/t.db" "$corpus/hello"
    "$tool" meta-null "$tmp/t.db"
    for cmd in replay dump info; do
      "$ditto" $cmd "$tmp/t.db" >"$tmp/out" 2>&1
      st=$?
      [ $st = 0 ] || [ $st = 4 ] || { echo "FAIL: $cmd exited $st"; cat "$tmp/out"; exit 1; }
      echo "ok: $cmd -> $st"
    done
    ;;
  damaged_index)
    # Batches that a finished run says it has but cannot be found: not "0 events".
    record "$tmp/t.db" "$corpus/hello"
    "$tool" drop-all-batches "$tmp/t.db"
    for cmd in replay dump info; do
      expect_status 4 "should hold [0-9]+ events but 0 are stored" -- "$ditto" $cmd "$tmp/t.db"
    done
    ;;
  efault_costs_nothing)
    # Reads and writes that fault store nothing they could not copy: a
    # 16 MiB /dev/urandom read into an unmapped buffer adds no 16 MiB.
    record "$tmp/t.db" "$corpus/partial_buffers"
    size=$(stat -c %s "$tmp/t.db")
    [ "$size" -lt 1000000 ] || { echo "FAIL: the trace holds $size bytes"; exit 1; }
    expect_status 0 "identical" -- "$ditto" replay "$tmp/t.db"
    echo "ok: trace of partial_buffers is $size bytes"
    ;;
  lazy_contents)
    # Host files are captured when read, not when listed: `ls -l` of a
    # mounted directory holding a 16 MiB file stores none of it (once 317 MB
    # for a 300 MB file); `wc -c` of it stores it once; both replay with the
    # host's copy gone.
    mkdir -p "$tmp/m"
    head -c $((16 << 20)) /dev/zero | tr '\0' 'z' >"$tmp/m/big"
    echo small >"$tmp/m/small"
    "$ditto" record -q -o "$tmp/ls.db" --mount "$tmp/m:/data" /bin/busybox ls -l /data >"$tmp/ls.out" 2>"$tmp/err" \
      || { echo "FAIL: record ls exited $?"; cat "$tmp/err"; exit 1; }
    grep -q "16777216" "$tmp/ls.out" || { echo "FAIL: ls -l shows no size: $(cat "$tmp/ls.out")"; exit 1; }
    size=$(stat -c %s "$tmp/ls.db")
    prog_size=$(stat -L -c %s /bin/busybox)  # the program is in every trace
    [ "$size" -lt $((prog_size + 1000000)) ] || { echo "FAIL: the ls trace holds $size bytes"; exit 1; }
    "$ditto" dump "$tmp/ls.db" | grep -q "hostfile contents /.*/m/big" && { echo "FAIL: ls captured big's bytes"; exit 1; }
    "$ditto" record -q -o "$tmp/wc.db" --mount "$tmp/m:/data" /bin/busybox sh -c 'wc -c /data/big; cat /data/big /data/big | wc -c' \
      >"$tmp/wc.out" 2>"$tmp/err" || { echo "FAIL: record wc exited $?"; cat "$tmp/err"; exit 1; }
    [ "$(tr -s ' \n' ' ' <"$tmp/wc.out")" = "16777216 /data/big 33554432 " ] || { echo "FAIL: wc: $(cat "$tmp/wc.out")"; exit 1; }
    n=$("$ditto" dump "$tmp/wc.db" | grep -c "hostfile contents /.*/m/big")
    [ "$n" = 1 ] || { echo "FAIL: big's bytes captured $n times"; exit 1; }
    wc_size=$(stat -c %s "$tmp/wc.db")
    # Blobs are compressed: their raw size is what info reports first.
    blob_raw=$("$ditto" info "$tmp/wc.db" | sed -n 's/^blobs: [0-9]* (\([0-9]*\) bytes.*/\1/p')
    [ "${blob_raw:-0}" -gt $((16 << 20)) ] || { echo "FAIL: the wc trace's blobs ($blob_raw bytes) lack big's bytes"; exit 1; }
    rm -rf "$tmp/m"
    expect_status 0 "identical" -- "$ditto" replay "$tmp/ls.db"
    expect_status 0 "identical" -- "$ditto" replay "$tmp/wc.db"
    echo "ok: ls -l trace $size bytes, wc -c trace $wc_size bytes (blobs $blob_raw bytes raw)"
    ;;
  file_mount)
    # --mount takes a single file: read-only in the guest, captured when
    # read, replayed without the host's copy.
    printf 'one\ntwo\n' >"$tmp/f.txt"
    "$ditto" record -q -o "$tmp/t.db" --mount "$tmp/f.txt:/etc/app.conf" /bin/busybox sh -c \
      'wc -l </etc/app.conf; echo more >>/etc/app.conf || echo "append refused"' >"$tmp/out" 2>"$tmp/err" \
      || { echo "FAIL: record exited $?"; cat "$tmp/err"; exit 1; }
    [ "$(tr '\n' ' ' <"$tmp/out")" = "2 append refused " ] || { echo "FAIL: output: $(cat "$tmp/out")"; exit 1; }
    grep -q "Read-only file system" "$tmp/err" || { echo "FAIL: no EROFS: $(cat "$tmp/err")"; exit 1; }
    "$ditto" info "$tmp/t.db" | grep -q "mount .*f.txt -> /etc/app.conf (file)" || { echo "FAIL: info lacks the mount"; exit 1; }
    rm "$tmp/f.txt"
    expect_status 0 "identical" -- "$ditto" replay "$tmp/t.db"
    ;;
  record_names)
    # No trace that saves nothing, and no trace over the program.
    expect_status 125 "needs a file name" -- "$ditto" record -o "" "$corpus/hello"
    expect_status 125 "':memory:' is not a file name for a trace" -- "$ditto" record -o :memory: "$corpus/hello"
    cp "$corpus/hello" "$tmp/prog"
    (cd "$tmp" && expect_status 125 "is the program itself" -- "$ditto" record -o ./prog ./prog)
    cmp -s "$corpus/hello" "$tmp/prog" || { echo "FAIL: the program was touched"; exit 1; }
    ;;
  record_keeps_old)
    # A program that cannot start replaces no earlier trace.
    record "$tmp/t.db" "$corpus/hello"
    echo "not a program" >"$tmp/bad" && chmod +x "$tmp/bad"
    expect_status 126 "not an ELF" -- "$ditto" record -o "$tmp/t.db" "$tmp/bad"
    expect_status 0 "identical" -- "$ditto" replay "$tmp/t.db"
    ;;
  two_recorders)
    # The second recorder on a trace being written refuses; the first one's trace is whole.
    "$ditto" record -q -o "$tmp/t.db" "$corpus/bench_getpid" 3000000 >/dev/null 2>&1 &
    first=$!
    for _ in $(seq 50); do [ -f "$tmp/t.db" ] && break; sleep 0.05; done
    expect_status 125 "being written by another Ditto" -- "$ditto" record -o "$tmp/t.db" "$corpus/hello"
    wait $first || { echo "FAIL: the first recorder failed"; exit 1; }
    expect_status 0 "identical" -- "$ditto" replay "$tmp/t.db"
    ;;
  readonly_storage)
    # A trace that its reader may not write (nor its directory) is still read.
    mkdir -p "$tmp/ro" && record "$tmp/ro/t.db" "$corpus/hello"
    chmod 755 "$tmp" "$tmp/ro" && chmod 444 "$tmp/ro/t.db"
    nobody() { setpriv --reuid 65534 --regid 65534 --clear-groups "$@"; }
    for cmd in replay dump info; do
      expect_status 0 "." -- nobody "$ditto" $cmd "$tmp/ro/t.db"
    done
    ;;
  full_disk)
    # A write that fails (here: the file-size limit, EFBIG) fails the recording.
    (ulimit -f 64; "$ditto" record -q -o "$tmp/t.db" "$corpus/bench_getpid" 200000 >/dev/null 2>"$tmp/err"; echo $? >"$tmp/st")
    st=$(cat "$tmp/st")
    [ "$st" = 125 ] || { echo "FAIL: record exited $st on a full disk"; cat "$tmp/err"; exit 1; }
    grep -q "cannot write the trace" "$tmp/err" || { echo "FAIL: no message: $(cat "$tmp/err")"; exit 1; }
    echo "ok: $(head -1 "$tmp/err")"
    ;;
  killed_recorder)
    # A recorder killed mid-run: the committed batches replay, the run is incomplete.
    "$ditto" record -q -o "$tmp/t.db" "$corpus/bench_getpid" 100000000 >/dev/null 2>&1 &
    pid=$!
    for _ in $(seq 1 100); do
      sleep 0.1
      [ -f "$tmp/t.db-wal" ] && [ "$(stat -c %s "$tmp/t.db-wal")" -gt 400000 ] && break
    done
    kill -9 $pid; wait $pid 2>/dev/null
    expect_status 5 "incomplete.*all [0-9]+ recorded events replayed identically" -- "$ditto" replay "$tmp/t.db"
    expect_status 0 "INCOMPLETE" -- "$ditto" info "$tmp/t.db"
    ;;
  *)
    echo "unknown case $case_name"; exit 2 ;;
esac
