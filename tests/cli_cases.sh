#!/usr/bin/env bash
# The CLI's error paths: bad programs (126), missing ones (127), bad options
# (125), and --help. Usage: cli_cases.sh BUILD_DIR
set -u
build=$1
ditto=$build/ditto
tool=$build/tests/trace_tool
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0

check() {  # check WANT PATTERN -- command...
  local want=$1 pattern=$2; shift 3
  "$@" >"$tmp/out" 2>&1 </dev/null
  local got=$?
  if [ "$got" != "$want" ] || ! grep -Eq "$pattern" "$tmp/out"; then
    echo "FAIL: '$*' exited $got (wanted $want), output:"; cat "$tmp/out"; fails=$((fails + 1))
  else
    echo "ok: $got $(grep -E "$pattern" "$tmp/out" | head -1)"
  fi
}

echo "just text" >"$tmp/text"; chmod +x "$tmp/text"
printf 'int main(void) { __asm__ volatile("int $0x80" :: "a"(20)); return 0; }\n' >"$tmp/int80.c"
gcc -static -o "$tmp/int80" "$tmp/int80.c"
check 126 "not an ELF executable" -- "$ditto" run "$tmp/text"
for k in class machine truncated truncated-segment segment-range; do
  "$tool" elf "$k" "$build/corpus/hello" "$tmp/$k"; chmod +x "$tmp/$k"
done
check 126 "not a 64-bit ELF file" -- "$ditto" run "$tmp/class"
check 126 "not an x86-64 program" -- "$ditto" run "$tmp/machine"
check 126 "truncated ELF file" -- "$ditto" run "$tmp/truncated"
check 126 "truncated ELF file \(segment" -- "$ditto" run "$tmp/truncated-segment"
check 126 "outside the user address space" -- "$ditto" run "$tmp/segment-range"
check 127 "cannot run its dynamic linker /lib64/ld-linux-x86-64.so.2: No such file or directory \(a --hermetic world" -- "$ditto" run --hermetic "$build/corpus/dynamic_hello"
check 0 "Hello" -- "$ditto" run "$build/corpus/dynamic_hello"
check 125 "exclude each other" -- "$ditto" run --hermetic --root / "$build/corpus/hello"
check 125 "not a directory" -- "$ditto" run --root "$tmp/text" "$build/corpus/hello"
check 127 "No such file or directory" -- "$ditto" run "$tmp/does-not-exist"
check 126 "Is a directory" -- "$ditto" run "$tmp"
cp "$build/corpus/hello" "$tmp/noexec"; chmod -x "$tmp/noexec"
check 126 "Permission denied" -- "$ditto" run "$tmp/noexec"
check 125 "no program given" -- "$ditto" run
check 125 "" -- "$ditto" frobnicate
check 0 "Exit status:" -- "$ditto" --help
check 0 "record" -- "$ditto" record --help
check 0 "Hello" -- "$ditto" run -- "$build/corpus/hello"
check 3 "argc 4" -- "$ditto" run "$build/corpus/args_env" -x --seed 5
check 139 "killed by SIGSEGV \(Segmentation fault\) at rip 0x[0-9a-f]+, address 0x0: write to unmapped memory" -- "$ditto" run "$build/corpus/null_deref"
# "core dumped" only when RLIMIT_CORE lets a core be written (0 by default, as on Debian).
check 139 "killed by SIGSEGV \(Segmentation fault\), core dumped at rip" -- "$ditto" run --mount "$build/corpus:/c" \
  /bin/busybox sh -c "ulimit -c unlimited; exec /c/null_deref"
check 132 "killed by SIGILL" -- "$ditto" run "$build/corpus/illegal_insn"
check 136 "killed by SIGFPE.*divide error" -- "$ditto" run "$build/corpus/div_zero"
check 132 "cpuid rdrand bit: 0" -- "$ditto" run "$build/corpus/rdrand_absent"
check 132 "killed by SIGILL \(Illegal instruction\) at rip 0x[0-9a-f]+.*invalid opcode" -- "$ditto" run "$build/corpus/rdrand_absent"
check 0 "unsupported syscalls \(returned ENOSYS\): syscall 100000 x1 syscall 999 x1" -- "$ditto" run "$build/corpus/errno_checks"
check 125 "is not a directory" -- "$ditto" run --mount /nonexistent "$build/corpus/hello"
check 0 "affinity 4 nprocs 4 conf 4 sysconf 4 cpuinfo 4" -- "$ditto" run "$build/corpus/cpu_count"
check 0 "affinity 7 nprocs 7 conf 7 sysconf 7 cpuinfo 7" -- "$ditto" run --cpus 7 "$build/corpus/cpu_count"
check 0 "affinity 3 nprocs 3 conf 3 sysconf 3 cpuinfo 3" -- "$ditto" run --cpus 3 "$build/corpus/cpu_count.musl"
check 125 "cpus" -- "$ditto" run --cpus 0 "$build/corpus/cpu_count"
"$ditto" record -q -o "$tmp/c.db" --cpus 5 "$build/corpus/cpu_count" >/dev/null
check 0 "identical" -- "$ditto" replay "$tmp/c.db"
check 0 '"cpus":5' -- "$ditto" dump --json "$tmp/c.db"
check 0 "cli 11 sti 11 hlt 11 in 11 int80 11" -- "$ditto" run "$build/corpus/cpu_privilege"
check 0 "0x100000027 is getpid: yes" -- "$ditto" run "$build/corpus/cpu_privilege"
check 0 "0x40000027: ENOSYS" -- "$ditto" run "$build/corpus/cpu_privilege.musl"
check 139 "killed by SIGSEGV.*general protection fault" -- "$ditto" run "$tmp/int80"
[ $fails = 0 ] || { echo "$fails failures"; exit 1; }
