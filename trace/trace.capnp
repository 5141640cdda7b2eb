# Ditto's trace format. One SQLite database holds many runs; each run has a
# Header and a stream of Events, stored in packed Batches (see store.h).
# Bump kFormatVersion (trace/store.h) on any change that old readers cannot read.
@0xd7a1c4e2b9f30a51;

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("trace::schema");

struct Header {
  formatVersion @0 :UInt32;
  dittoVersion @1 :Text;
  argv @2 :List(Text);
  env @3 :List(Text);
  seed @4 :UInt64;
  policy @5 :Text;          # scheduling policy ("rr" for now)
  cpuModel @6 :Text;
  cpuid @7 :List(CpuidLeaf);
  programPath @8 :Text;     # absolute path the guest sees its program at
  cwd @9 :Text;
  mounts @10 :List(Mount);
  nsPerTick @11 :UInt64;    # virtual clock rate
  programLinks @12 :List(Mount);  # symlinks on the path the program was named by: (path, target)
  sites @13 :List(UInt64);  # instructions of the program before which the scheduler is asked
  maxTicks @14 :UInt64;     # the run ends at this tick count (0: no limit)
  cpus @15 :UInt32;         # CPUs the guest sees
  memoryBytes @16 :UInt64;  # the guest machine's memory (0 in older traces: 8 GiB)
  fileMounts @17 :List(Mount);  # single host files shown read-only in the guest (--mount FILE:PATH)
  rootDir @18 :Text;        # the host directory shown as the guest's "/" (copy-on-write), "" for --hermetic
  input @19 :Text;          # a corpus run's input: "-" stdin, or the host path of its file mount; "" none
  events @20 :Text;         # recording level: "" or "all" every event; "io" only inputs, decisions, outcome

  struct CpuidLeaf {
    leaf @0 :UInt32;
    subleaf @1 :UInt32;
    eax @2 :UInt32;
    ebx @3 :UInt32;
    ecx @4 :UInt32;
    edx @5 :UInt32;
  }
  struct Mount {
    host @0 :Text;
    guest @1 :Text;
  }
}

struct Event {
  # An event's sequence number is its batch's firstSeq plus its index: global,
  # from 0, without gaps. Ticks are stored as the difference from the previous
  # event of the batch (from 0 for the first), which packs to a byte or two.
  tid @0 :UInt32;
  tickDelta @1 :UInt64;
  union {
    syscall @2 :Syscall;
    schedule @3 :Schedule;
    hostFile @4 :HostFile;
    fault @5 :Fault;
    exit @6 :Exit;
    summary @7 :Summary;
    interrupt @8 :Interrupt;
    preempt @9 :Preempt;
  }
}

struct Syscall {
  nr @0 :UInt32;
  args @1 :List(UInt64);    # as many as the syscall takes (six when unknown)
  result @2 :Int64;
  rip @3 :UInt64;
  # Bytes that crossed the guest boundary and are not a function of the guest's
  # own state: stdin read, guest output written to the host, getrandom bytes.
  data @4 :Data;
  hostInput @5 :Bool;       # data came from the host (stdin): kept at every recording level
}

struct Schedule {
  # A scheduler decision: task `tid` (the event's tid) runs from `tick` for
  # at most `budget` ticks, unless it blocks, ends or is preempted first.
  # One at every pick; replay follows these decisions and never runs the
  # policy again.
  reason @0 :Text;          # start, switch, budget, preempt, yield, other
  budget @1 :UInt64;
}

struct Preempt {
  # The scheduler ended the running task's slice here (it stays runnable).
  rip @0 :UInt64;           # the syscall it stopped after, or the access it stopped before
  point @1 :Text;           # "syscall" or "site"
  index @2 :UInt64;         # how many scheduling points the task had met, this one included
}

struct HostFile {
  # A host file or directory captured into the trace, once, when first used.
  path @0 :Text;
  errno @1 :Int32;          # 0, or why the host lookup failed (ENOENT, ...)
  kind @2 :UInt8;           # 1 regular, 2 directory, 3 symlink
  mode @3 :UInt32;
  size @4 :UInt64;
  blob @5 :Text;            # sha256 of the contents (regular files), or ""
  entries @6 :List(Text);   # directory entries, sorted
  target @7 :Text;          # symlink target
  contents @8 :Bool;        # this event captures the file's bytes (size, blob) when first read,
                            # mapped or run; otherwise its metadata (size from lstat, no blob)
  readErrno @9 :Int32;      # metadata: why the host would not let the file be read or the
                            # directory be listed (EACCES), or 0
  searchErrno @10 :Int32;   # metadata: why the host would not let the directory be searched, or 0
  uid @11 :UInt32;          # metadata: the host's owner and times (as lstat gives them)
  gid @12 :UInt32;
  atimeNs @13 :Int64;
  mtimeNs @14 :Int64;
  ctimeNs @15 :Int64;
}

struct Fault {
  signal @0 :Int32;
  kind @1 :Text;
  addr @2 :UInt64;
  rip @3 :UInt64;
}

struct Exit {
  status @0 :Int32;         # exit code, or -1 when killed by a signal
  signal @1 :Int32;
}

struct Summary {
  ticks @0 :UInt64;
  regsDigest @1 :Text;      # sha256 of the final general registers
  memDigest @2 :Text;       # sha256 of every mapped page, address order
  unsupported @3 :List(Unsupported);
  struct Unsupported {
    nr @0 :UInt32;
    name @1 :Text;
    count @2 :UInt64;
  }
}

struct Interrupt {
  # The recorder was asked to stop (Ctrl-C: SIGINT, SIGTERM or SIGHUP) and
  # stopped here, at a boundary between slices; the event's tick is where.
  # It is the run's last event: replay checks everything before it.
  signal @0 :Int32;
}

struct Batch {
  firstSeq @0 :UInt64;
  events @1 :List(Event);
}
