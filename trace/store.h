// trace::Store — runs of Cap'n Proto events in one SQLite database.
// Tables: meta (schema/format versions), runs (one header per run), batches
// (packed Cap'n Proto Batch messages with a checksum), blobs (sha256 -> bytes).
// WAL mode and one transaction per batch: a recorder killed at any moment
// leaves every batch it committed readable, and the run marked incomplete.
#pragma once

#include <sqlite3.h>

#include <array>
#include <cstdint>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "trace/event.h"

namespace trace {

// Of the Cap'n Proto messages. 2: scheduling decisions are events (schedule
// with a budget, preempt) that replay follows; version 1 traces re-ran the
// kernel's own round-robin policy and cannot be replayed by this Ditto.
// 3: host file contents are captured apart from metadata; 4: host files'
// owners and times are captured, and the header names the root directory.
// 5: the header names a corpus run's input (its first touch ends a slice)
// and the recording level; a version 4 trace is a version 5 one without
// either, and replays as it did.
constexpr uint32_t kFormatVersion = 5;
constexpr uint32_t kOldestFormatVersion = 4;
// Of the SQLite tables. 2: run headers have a checksum; 3: batches and blobs
// are zstd frames (meta.codec = 'zstd') and batches keep their raw size;
// 4: a batch many runs hold (a corpus's snapshot events) is stored once, as
// a blob its rows name (batches.shared), and job results have tables of
// their own (verdicts, jobs, failures). Versions 2 and 3 are still read.
constexpr int kSchemaVersion = 4;
constexpr int kOldestSchemaVersion = 2;

// A trace that cannot be read: the message names what is wrong.
class TraceError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};
// The trace file itself cannot be opened (it does not exist, no permission):
// nothing is known yet about its contents.
class TraceFileError : public TraceError {
 public:
  using TraceError::TraceError;
};

struct Header {
  uint32_t format_version = kFormatVersion;
  std::string ditto_version;
  std::vector<std::string> argv;
  std::vector<std::string> env;
  uint64_t seed = 0;
  std::string policy;
  std::string cpu_model;
  std::vector<std::array<uint32_t, 6>> cpuid;
  std::string program_path;
  std::string cwd;
  std::vector<std::pair<std::string, std::string>> mounts;  // host, guest
  std::vector<std::pair<std::string, std::string>> file_mounts;  // single files: host, guest
  std::string root_dir;  // the host directory that is the guest's "/" (copy-on-write), "" when hermetic
  std::string input;     // a corpus run's input (kernel::Config::input), "" none
  std::string events;    // recording level (kernel::Config::events), "" for all
  std::vector<std::pair<std::string, std::string>> program_links;  // path, target
  uint64_t ns_per_tick = 1;
  std::vector<uint64_t> sites;  // scheduling sites (see sim/profile.h)
  uint64_t max_ticks = 0;
  uint32_t cpus = 1;
  uint64_t memory_bytes = 0;  // 0: not written (traces before --memory)
};

struct RunInfo {
  int64_t id = 0;
  bool complete = false;
  uint64_t event_count = 0;  // as recorded at finish (0 when incomplete)
  uint64_t batches = 0;
  uint64_t stored_events = 0;  // sum over the batches present
  uint64_t stored_bytes = 0;   // of its batches, as stored (compressed)
  uint64_t raw_bytes = 0;      // of its batches, as packed Cap'n Proto
};

// What a job that ran many runs (explore, corpus) concluded about one of
// them: how it ended, the failure group it belongs to, and for a corpus the
// input it ran. Kept beside the run so that result databases can be merged
// and summarised without replaying anything.
struct Verdict {
  std::string job;        // "explore" or "corpus"
  std::string kind;       // "clean", "exit", "signal", "deadlock", "livelock", "output", "ditto"
  std::string signature;  // equal for the same failure
  std::string summary;    // one line a person reads
  uint64_t key = 0;       // explore: the schedule number; corpus: the input's place in its shard order
  std::string input_name;  // corpus: the input file (as given), else ""
  std::string input_hash;  // corpus: sha256 of its bytes (a blob of this trace)
  uint64_t input_size = 0;
  int signal = 0;
  uint64_t rip = 0;
};

// What a job (explore, corpus, or a shard of one) ran in all: kept so that
// shards' results add up when merged.
struct JobTotal {
  std::string job;    // "explore" or "corpus"
  std::string shard;  // "K/N", "" for the whole
  uint64_t total = 0;    // schedules or inputs run
  uint64_t failing = 0;  // of them, how many failed (a corpus: crashed or hung)
};

// One distinct failure of a job: how many runs ended so, and the run that
// stands for it (explore: the lowest schedule; corpus: the smallest input).
struct FailureRow {
  std::string job, signature, kind, summary, where;
  uint64_t count = 0;
  uint64_t first_key = 0;  // the lowest schedule or input place that failed so
  int64_t run = 0;         // 0: none saved
  uint64_t input_size = 0;
  std::string input_name;
};

// A batch of events encoded and compressed once, ready for any run that
// holds those events at that place (pack_batch(); Store::append_packed).
struct PackedBatch {
  uint64_t first_seq = 0, count = 0, raw_size = 0;
  std::string data;  // as stored: zstd frame of the packed Cap'n Proto batch
  std::string hash;  // sha256 of the packed batch (before zstd): its blob when shared
};
// `shareable`: with its hash, for Store::append_shared (it costs a sha256).
PackedBatch pack_batch(uint64_t first_seq, const std::vector<Event>& events, bool shareable = false);

struct BlobTotals {
  uint64_t count = 0, raw_bytes = 0, stored_bytes = 0;
};

class Store {
 public:
  // A new, empty trace at `path` (an existing file there is replaced, unless
  // another Ditto is writing it). It stays locked while this Store lives.
  static std::unique_ptr<Store> create(const std::string& path);
  // An existing trace; throws TraceError naming what is wrong. Read-only
  // unless `writable`: a trace on read-only storage, or in a directory the
  // reader may not write, can still be read.
  static std::unique_ptr<Store> open(const std::string& path, bool writable = false);
  // Writes everything back into the database file and closes it; throws
  // TraceError when that fails (a full disk). The destructor does the same
  // without a word.
  void close();
  ~Store();

  // Writing.
  int64_t begin_run(const Header& h);
  void append_batch(int64_t run, uint64_t first_seq, const std::vector<Event>& events);
  // A batch packed elsewhere (a corpus copy packs its own events), or once
  // for many runs (the snapshot's events); schema 3 and later only.
  void append_packed(int64_t run, const PackedBatch& b);
  // The same batch in many runs, stored once (schema 4; before, a copy each).
  void append_shared(int64_t run, const PackedBatch& b);
  // Copies run `run` of `src` here as a new run (`ditto merge`): its header
  // and batches as stored (each checked first; shared ones stay shared),
  // or event by event when the two stores' formats differ. The new run.
  int64_t copy_run(Store& src, int64_t run);
  // Copies blob `hash` of `src` here, as stored when the formats allow.
  void copy_blob(Store& src, const std::string& hash);
  void put_blob(const std::string& hash, std::string_view data);
  void finish_run(int64_t run, uint64_t event_count);

  void put_verdict(int64_t run, const Verdict& v);
  void put_job(const JobTotal& j);
  void put_failure(const FailureRow& f);  // replaces the row of the same job and signature
  // Many small runs in one SQLite transaction (a corpus saves hundreds a
  // second): between these, writes are not each their own commit.
  void begin_transaction();
  void commit();
  // A golden trace (`ditto check`): events and headers only -- no blobs,
  // which the comparison does not need (they would hold the program) --
  // in small pages, rewritten compactly.
  void make_golden();

  // Reading.
  std::vector<int64_t> runs();
  // Every run's verdict (none for a trace of `ditto record`, or of schema 2).
  std::vector<std::pair<int64_t, Verdict>> verdicts();
  std::vector<JobTotal> jobs();
  std::vector<FailureRow> failures();  // by job, then first_key
  Header header(int64_t run);
  RunInfo run_info(int64_t run);
  // run_info(), and TraceError when a finished run does not hold all the
  // events it says it has (a batch lost, a damaged index).
  RunInfo checked_run_info(int64_t run);
  std::string blob(const std::string& hash);  // verified against its hash
  std::vector<std::pair<std::string, uint64_t>> blob_list();
  BlobTotals blob_totals();
  int schema_version() const { return schema_version_; }
  bool compressed() const { return schema_version_ >= 3; }

  // Reads a run's events in order, checking every batch's checksum and that
  // sequence numbers run on without gaps.
  class Reader {
   public:
    bool next(Event& out);
    uint64_t delivered() const { return next_seq_; }

   private:
    friend class Store;
    Reader(Store& s, int64_t run) : store_(s), run_(run) {}
    bool load_batch();
    Store& store_;
    int64_t run_;
    uint64_t next_seq_ = 0;
    std::vector<Event> batch_;
    size_t pos_ = 0;
    bool done_ = false;
  };
  Reader reader(int64_t run) { return Reader(*this, run); }

 private:
  Store(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  int lock_fd_ = -1;
  int schema_version_ = kSchemaVersion;
  void exec(const char* sql);
  // A blob row as stored (compressed when the trace is), not deduplicated.
  void insert_blob_row(const std::string& hash, uint64_t raw_size, const void* stored, size_t n);
  bool has_table(const char* name);
  // Tables of the job results (verdicts, jobs, failures), made when first
  // written (a trace of `ditto record` has none).
  void ensure_result_tables();
  [[noreturn]] void fail(const std::string& what);
  sqlite3_stmt* prepare(const char* sql);
  sqlite3* db_;
  std::string path_;
  sqlite3_stmt* insert_batch_ = nullptr;
  sqlite3_stmt* insert_blob_ = nullptr;
  std::set<std::string> stored_blobs_;  // by put_blob() (or found there by it)
  bool results_ready_ = false;
};

// Batches events for a Store: the kernel emits one at a time, SQLite sees one
// transaction per batch.
class Recorder {
 public:
  Recorder(Store& store, int64_t run) : store_(store), run_(run) {}
  ~Recorder();
  void append(Event&& e);
  void flush();
  void finish();
  uint64_t count() const { return next_seq_; }

 private:
  static constexpr size_t kBatchEvents = 8192;
  static constexpr size_t kBatchBytes = 1 << 20;
  Store& store_;
  int64_t run_;
  uint64_t next_seq_ = 0;
  uint64_t batch_first_ = 0;
  size_t batch_bytes_ = 0;
  std::vector<Event> pending_;
  bool finished_ = false;
};

// Cap'n Proto encoding of headers and batches (exposed for tests).
std::string encode_header(const Header& h);
Header decode_header(std::string_view bytes);
std::string encode_batch(uint64_t first_seq, const std::vector<Event>& events);
std::vector<Event> decode_batch(std::string_view bytes, uint64_t* first_seq);

}  // namespace trace
