#include "trace/store.h"

#include <capnp/message.h>
#include <capnp/serialize-packed.h>
#include <fcntl.h>
#include <kj/io.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "trace/compress.h"
#include "trace/sha256.h"
#include "trace/store_sql.h"
#include "trace/trace.capnp.h"

namespace trace {

namespace {

kj::StringPtr text(const std::string& s) { return kj::StringPtr(s.c_str(), s.size()); }
capnp::Data::Reader as_data(std::string_view s) {
  return capnp::Data::Reader(reinterpret_cast<const kj::byte*>(s.data()), s.size());
}
std::string str(capnp::Text::Reader t) { return std::string(t.cStr(), t.size()); }
std::string str(capnp::Data::Reader d) {
  return std::string(reinterpret_cast<const char*>(d.begin()), d.size());
}

std::string packed(capnp::MessageBuilder& msg) {
  kj::VectorOutputStream out;
  capnp::writePackedMessage(out, msg);
  auto a = out.getArray();
  return std::string(reinterpret_cast<const char*>(a.begin()), a.size());
}

capnp::ReaderOptions reader_options() {
  capnp::ReaderOptions o;
  o.traversalLimitInWords = uint64_t(1) << 34;
  return o;
}

// Packed Cap'n Proto expands runs of zero words 128-fold and more: a few
// crafted bytes can claim gigabytes. The segment table says how big the
// message is; a message may unpack to at most this much.
// The first `n` words of a packed message (the packing of capnp/encoding:
// a tag byte per word saying which bytes follow; tag 0 then a count of more
// zero words, tag 0xff then a count of raw words), or fewer at its end.
std::vector<uint64_t> unpack_words(std::string_view b, size_t n) {
  std::vector<uint64_t> out;
  size_t at = 0;
  while (out.size() < n && at < b.size()) {
    uint8_t tag = uint8_t(b[at++]);
    uint64_t w = 0;
    for (int i = 0; i < 8; ++i)
      if (tag >> i & 1) w |= uint64_t(at < b.size() ? uint8_t(b[at++]) : 0) << (8 * i);
    out.push_back(w);
    if ((tag == 0 || tag == 0xff) && at < b.size()) {
      size_t count = uint8_t(b[at++]);
      for (size_t i = 0; i < count && out.size() < n; ++i) {
        uint64_t raw = 0;
        if (tag == 0xff) {
          for (int j = 0; j < 8; ++j) raw |= uint64_t(at < b.size() ? uint8_t(b[at++]) : 0) << (8 * j);
        }
        out.push_back(raw);
      }
    }
  }
  return out;
}

void check_unpacked_size(std::string_view bytes, const char* what) {
  std::vector<uint64_t> head = unpack_words(bytes, 1);
  if (head.empty()) throw TraceError(std::string(what) + " is truncated");
  uint64_t segments = (head[0] & 0xffffffffu) + 1, words = head[0] >> 32;
  if (segments > 512) throw TraceError(std::string(what) + " claims " + std::to_string(segments) + " segments");
  std::vector<uint64_t> table = unpack_words(bytes, 1 + segments / 2);
  for (uint64_t i = 1; i < segments; ++i) {
    size_t w = size_t((i + 1) / 2);
    if (w >= table.size()) throw TraceError(std::string(what) + " is truncated");
    words += (i % 2) ? (table[w] & 0xffffffffu) : (table[w] >> 32);
  }
  const uint64_t limit = std::max<uint64_t>(uint64_t(16) << 20, uint64_t(bytes.size()) * 256) / 8;
  if (words > limit)
    throw TraceError(std::string(what) + " claims " + std::to_string(words * 8) + " bytes from " +
                     std::to_string(bytes.size()) + " packed: it is corrupt");
}

void to_capnp(const Event& e, uint64_t prev_tick, schema::Event::Builder b) {
  b.setTid(e.tid);
  b.setTickDelta(e.tick - prev_tick);
  switch (e.kind) {
    case EventKind::kSyscall: {
      auto s = b.initSyscall();
      s.setNr(e.nr);
      auto args = s.initArgs(e.nargs);
      for (unsigned i = 0; i < e.nargs; ++i) args.set(i, e.args[i]);
      s.setResult(e.result);
      s.setRip(e.rip);
      if (!e.data.empty()) s.setData(as_data(e.data));
      if (e.host_input) s.setHostInput(true);
      break;
    }
    case EventKind::kSchedule: {
      auto s = b.initSchedule();
      s.setReason(text(e.data));
      s.setBudget(e.budget);
      break;
    }
    case EventKind::kPreempt: {
      auto p = b.initPreempt();
      p.setRip(e.rip);
      p.setPoint(text(e.data));
      p.setIndex(e.budget);
      break;
    }
    case EventKind::kHostFile: {
      auto h = b.initHostFile();
      h.setPath(text(e.path));
      h.setErrno(e.err);
      h.setKind(e.file_kind);
      h.setMode(e.mode);
      h.setSize(e.size);
      h.setBlob(text(e.blob));
      auto ents = h.initEntries(e.entries.size());
      for (size_t i = 0; i < e.entries.size(); ++i) ents.set(i, text(e.entries[i]));
      h.setTarget(text(e.target));
      h.setContents(e.contents);
      h.setReadErrno(e.read_err);
      h.setSearchErrno(e.search_err);
      h.setUid(e.uid);
      h.setGid(e.gid);
      h.setAtimeNs(e.atime_ns);
      h.setMtimeNs(e.mtime_ns);
      h.setCtimeNs(e.ctime_ns);
      break;
    }
    case EventKind::kFault: {
      auto f = b.initFault();
      f.setSignal(e.signal);
      f.setKind(text(e.fault_kind));
      f.setAddr(e.addr);
      f.setRip(e.rip);
      break;
    }
    case EventKind::kExit: {
      auto x = b.initExit();
      x.setStatus(e.status);
      x.setSignal(e.signal);
      break;
    }
    case EventKind::kSummary: {
      auto s = b.initSummary();
      s.setTicks(e.tick);
      s.setRegsDigest(text(e.blob));
      s.setMemDigest(text(e.target));
      auto u = s.initUnsupported(e.unsupported.size());
      for (size_t i = 0; i < e.unsupported.size(); ++i) {
        u[i].setNr(e.unsupported[i].nr);
        u[i].setName(text(e.unsupported[i].name));
        u[i].setCount(e.unsupported[i].count);
      }
      break;
    }
    case EventKind::kInterrupt:
      b.initInterrupt().setSignal(e.signal);
      break;
  }
}

Event from_capnp(schema::Event::Reader r, uint64_t seq, uint64_t prev_tick) {
  Event e;
  e.seq = seq;
  e.tid = r.getTid();
  e.tick = prev_tick + r.getTickDelta();
  switch (r.which()) {
    case schema::Event::SYSCALL: {
      e.kind = EventKind::kSyscall;
      auto s = r.getSyscall();
      e.nr = s.getNr();
      auto args = s.getArgs();
      if (args.size() > 6) throw TraceError("a syscall event has more than six arguments");
      e.nargs = uint8_t(args.size());
      for (unsigned i = 0; i < args.size(); ++i) e.args[i] = args[i];
      e.result = s.getResult();
      e.rip = s.getRip();
      e.data = str(s.getData());
      e.host_input = s.getHostInput();
      break;
    }
    case schema::Event::SCHEDULE:
      e.kind = EventKind::kSchedule;
      e.data = str(r.getSchedule().getReason());
      e.budget = r.getSchedule().getBudget();
      break;
    case schema::Event::PREEMPT:
      e.kind = EventKind::kPreempt;
      e.rip = r.getPreempt().getRip();
      e.data = str(r.getPreempt().getPoint());
      e.budget = r.getPreempt().getIndex();
      break;
    case schema::Event::HOST_FILE: {
      e.kind = EventKind::kHostFile;
      auto h = r.getHostFile();
      e.path = str(h.getPath());
      e.err = h.getErrno();
      e.file_kind = h.getKind();
      e.mode = h.getMode();
      e.size = h.getSize();
      e.blob = str(h.getBlob());
      for (auto t : h.getEntries()) e.entries.push_back(str(t));
      e.target = str(h.getTarget());
      e.contents = h.getContents();
      e.read_err = h.getReadErrno();
      e.search_err = h.getSearchErrno();
      e.uid = h.getUid();
      e.gid = h.getGid();
      e.atime_ns = h.getAtimeNs();
      e.mtime_ns = h.getMtimeNs();
      e.ctime_ns = h.getCtimeNs();
      break;
    }
    case schema::Event::FAULT: {
      e.kind = EventKind::kFault;
      auto f = r.getFault();
      e.signal = f.getSignal();
      e.fault_kind = str(f.getKind());
      e.addr = f.getAddr();
      e.rip = f.getRip();
      break;
    }
    case schema::Event::EXIT:
      e.kind = EventKind::kExit;
      e.status = r.getExit().getStatus();
      e.signal = r.getExit().getSignal();
      break;
    case schema::Event::SUMMARY: {
      e.kind = EventKind::kSummary;
      auto s = r.getSummary();
      e.tick = s.getTicks();
      e.blob = str(s.getRegsDigest());
      e.target = str(s.getMemDigest());
      for (auto u : s.getUnsupported())
        e.unsupported.push_back({u.getNr(), str(u.getName()), u.getCount()});
      break;
    }
    case schema::Event::INTERRUPT:
      e.kind = EventKind::kInterrupt;
      e.signal = r.getInterrupt().getSignal();
      break;
    default:
      throw TraceError("an event of an unknown kind (written by a newer Ditto?)");
  }
  return e;
}

}  // namespace

std::string encode_header(const Header& h) {
  capnp::MallocMessageBuilder msg;
  auto b = msg.initRoot<schema::Header>();
  b.setFormatVersion(h.format_version);
  b.setDittoVersion(text(h.ditto_version));
  auto argv = b.initArgv(h.argv.size());
  for (size_t i = 0; i < h.argv.size(); ++i) argv.set(i, text(h.argv[i]));
  auto env = b.initEnv(h.env.size());
  for (size_t i = 0; i < h.env.size(); ++i) env.set(i, text(h.env[i]));
  b.setSeed(h.seed);
  b.setPolicy(text(h.policy));
  b.setCpuModel(text(h.cpu_model));
  auto leaves = b.initCpuid(h.cpuid.size());
  for (size_t i = 0; i < h.cpuid.size(); ++i) {
    auto l = leaves[i];
    const auto& c = h.cpuid[i];
    l.setLeaf(c[0]), l.setSubleaf(c[1]), l.setEax(c[2]), l.setEbx(c[3]), l.setEcx(c[4]),
        l.setEdx(c[5]);
  }
  b.setProgramPath(text(h.program_path));
  b.setCwd(text(h.cwd));
  auto mounts = b.initMounts(h.mounts.size());
  for (size_t i = 0; i < h.mounts.size(); ++i) {
    mounts[i].setHost(text(h.mounts[i].first));
    mounts[i].setGuest(text(h.mounts[i].second));
  }
  auto file_mounts = b.initFileMounts(h.file_mounts.size());
  for (size_t i = 0; i < h.file_mounts.size(); ++i) {
    file_mounts[i].setHost(text(h.file_mounts[i].first));
    file_mounts[i].setGuest(text(h.file_mounts[i].second));
  }
  b.setRootDir(text(h.root_dir));
  b.setInput(text(h.input));
  b.setEvents(text(h.events));
  b.setNsPerTick(h.ns_per_tick);
  auto sites = b.initSites(h.sites.size());
  for (size_t i = 0; i < h.sites.size(); ++i) sites.set(i, h.sites[i]);
  b.setMaxTicks(h.max_ticks);
  b.setCpus(h.cpus);
  b.setMemoryBytes(h.memory_bytes);
  auto links = b.initProgramLinks(h.program_links.size());
  for (size_t i = 0; i < h.program_links.size(); ++i) {
    links[i].setHost(text(h.program_links[i].first));
    links[i].setGuest(text(h.program_links[i].second));
  }
  return packed(msg);
}

Header decode_header(std::string_view bytes) {
  try {
    check_unpacked_size(bytes, "the run header");
    kj::ArrayInputStream in(
        kj::arrayPtr(reinterpret_cast<const kj::byte*>(bytes.data()), bytes.size()));
    capnp::PackedMessageReader msg(in, reader_options());
    auto r = msg.getRoot<schema::Header>();
    Header h;
    h.format_version = r.getFormatVersion();
    if (h.format_version < kOldestFormatVersion || h.format_version > kFormatVersion)
      throw TraceError("trace format version " + std::to_string(h.format_version) +
                       " is not supported (this Ditto reads versions " + std::to_string(kOldestFormatVersion) +
                       " to " + std::to_string(kFormatVersion) + ")");
    h.ditto_version = str(r.getDittoVersion());
    for (auto t : r.getArgv()) h.argv.push_back(str(t));
    for (auto t : r.getEnv()) h.env.push_back(str(t));
    h.seed = r.getSeed();
    h.policy = str(r.getPolicy());
    h.cpu_model = str(r.getCpuModel());
    for (auto l : r.getCpuid())
      h.cpuid.push_back({l.getLeaf(), l.getSubleaf(), l.getEax(), l.getEbx(), l.getEcx(), l.getEdx()});
    h.program_path = str(r.getProgramPath());
    h.cwd = str(r.getCwd());
    for (auto m : r.getMounts()) h.mounts.emplace_back(str(m.getHost()), str(m.getGuest()));
    for (auto m : r.getFileMounts()) h.file_mounts.emplace_back(str(m.getHost()), str(m.getGuest()));
    h.root_dir = str(r.getRootDir());
    h.input = str(r.getInput());
    h.events = str(r.getEvents());
    h.ns_per_tick = r.getNsPerTick();
    for (auto m : r.getProgramLinks()) h.program_links.emplace_back(str(m.getHost()), str(m.getGuest()));
    for (uint64_t s : r.getSites()) h.sites.push_back(s);
    h.max_ticks = r.getMaxTicks();
    h.cpus = r.getCpus() ? r.getCpus() : 1;  // not written before --cpus: one
    h.memory_bytes = r.getMemoryBytes();
    return h;
  } catch (const kj::Exception& ex) {
    throw TraceError(std::string("the run header cannot be decoded: ") + ex.getDescription().cStr());
  }
}

std::string encode_batch(uint64_t first_seq, const std::vector<Event>& events) {
  capnp::MallocMessageBuilder msg;
  auto b = msg.initRoot<schema::Batch>();
  b.setFirstSeq(first_seq);
  auto list = b.initEvents(events.size());
  uint64_t prev = 0;
  for (size_t i = 0; i < events.size(); ++i) {
    to_capnp(events[i], prev, list[i]);
    prev = events[i].tick;
  }
  return packed(msg);
}

std::vector<Event> decode_batch(std::string_view bytes, uint64_t* first_seq) {
  try {
    check_unpacked_size(bytes, "an event batch");
    kj::ArrayInputStream in(
        kj::arrayPtr(reinterpret_cast<const kj::byte*>(bytes.data()), bytes.size()));
    capnp::PackedMessageReader msg(in, reader_options());
    auto r = msg.getRoot<schema::Batch>();
    *first_seq = r.getFirstSeq();
    std::vector<Event> out;
    out.reserve(r.getEvents().size());
    uint64_t prev = 0, seq = *first_seq;
    for (auto e : r.getEvents()) {
      out.push_back(from_capnp(e, seq++, prev));
      prev = out.back().tick;
    }
    return out;
  } catch (const kj::Exception& ex) {
    throw TraceError(std::string("an event batch cannot be decoded: ") + ex.getDescription().cStr());
  }
}

// ---- SQLite ----

void Store::fail(const std::string& what) {
  std::string msg = sqlite3_errmsg(db_);
  int code = sqlite3_errcode(db_);
  if (code == SQLITE_NOTADB)
    throw TraceError(path_ + " is not a Ditto trace (not an SQLite database)");
  if (code == SQLITE_CORRUPT)
    throw TraceError(path_ + " is damaged (SQLite: " + msg + "); was it truncated or edited?");
  throw TraceError(path_ + ": " + what + ": " + msg);
}

void Store::exec(const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    sqlite3_free(err);  // fail() reports sqlite3_errmsg(), the same text
    fail(std::string("cannot run `") + sql + "`");
  }
}

sqlite3_stmt* Store::prepare(const char* sql) {
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db_, sql, -1, &st, nullptr) != SQLITE_OK) fail("cannot read the trace");
  return st;
}


std::unique_ptr<Store> Store::create(const std::string& path) {
  if (path.empty()) throw TraceFileError("the trace needs a file name (-o FILE)");
  if (path[0] == ':')  // SQLite's ":memory:" and the like would save nothing
    throw TraceFileError("'" + path + "' is not a file name for a trace (write ./" + path + " for a file of that name)");
  // Another recorder writing this trace keeps it locked: replacing it would
  // lose what that one records.
  if (int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC); fd >= 0) {
    bool busy = ::flock(fd, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK;
    ::close(fd);
    if (busy) throw TraceFileError(path + " is being written by another Ditto: choose another file");
  }
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) ::unlink((path + suffix).c_str());
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) !=
      SQLITE_OK) {
    std::string m = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    throw TraceError("cannot create trace " + path + ": " + m);
  }
  std::unique_ptr<Store> s(new Store(db, path));
  s->lock_fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (s->lock_fd_ >= 0 && ::flock(s->lock_fd_, LOCK_EX | LOCK_NB) != 0)
    throw TraceFileError(path + " is being written by another Ditto: choose another file");
  s->exec("PRAGMA synchronous=NORMAL");
  s->exec("PRAGMA journal_mode=WAL");
  // The schema in one transaction: one commit instead of one per table.
  s->exec(
      "BEGIN;"
      "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
      "CREATE TABLE runs(id INTEGER PRIMARY KEY, header BLOB NOT NULL, header_checksum INTEGER NOT NULL,"
      "  complete INTEGER NOT NULL DEFAULT 0, event_count INTEGER NOT NULL DEFAULT 0);"
      "CREATE TABLE batches(run INTEGER NOT NULL, first_seq INTEGER NOT NULL,"
      "  count INTEGER NOT NULL, data BLOB NOT NULL, checksum INTEGER NOT NULL,"
      "  raw_size INTEGER NOT NULL, shared TEXT, PRIMARY KEY(run, first_seq));"
      "CREATE TABLE blobs(hash TEXT PRIMARY KEY, size INTEGER NOT NULL, data BLOB NOT NULL);");
  std::string meta = "INSERT INTO meta VALUES('format','ditto-trace'),('codec','zstd'),('schema_version','" +
                     std::to_string(kSchemaVersion) + "');COMMIT";
  s->exec(meta.c_str());
  return s;
}

namespace {
// A read-only connection that needs nothing written beside the file (no
// -shm for the WAL): SQLite's immutable URI, for read-only storage.
sqlite3* open_immutable(const std::string& path) {
  std::string uri = "file:";
  for (char c : path) {
    if (c == '%' || c == '?' || c == '#') {
      char b[4];
      std::snprintf(b, sizeof b, "%%%02X", unsigned(uint8_t(c)));
      uri += b;
    } else {
      uri += c;
    }
  }
  uri += "?immutable=1";
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(uri.c_str(), &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, nullptr) != SQLITE_OK) {
    sqlite3_close(db);
    return nullptr;
  }
  return db;
}
}  // namespace

std::unique_ptr<Store> Store::open(const std::string& path, bool writable) {
  if (::access(path.c_str(), R_OK) != 0)
    throw TraceFileError("cannot open trace " + path + ": " + std::strerror(errno) +
                         (errno == ENOENT ? " (`ditto record -o " + path + " PROG` makes one)" : ""));
  sqlite3* db = nullptr;
  int flags = writable ? SQLITE_OPEN_READWRITE : SQLITE_OPEN_READONLY;
  if (sqlite3_open_v2(path.c_str(), &db, flags, nullptr) != SQLITE_OK) {
    std::string m = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    throw TraceError("cannot open trace " + path + ": " + m);
  }
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db, "SELECT key, value FROM meta", -1, &raw, nullptr) != SQLITE_OK && !writable &&
      (sqlite3_errcode(db) == SQLITE_CANTOPEN || sqlite3_errcode(db) == SQLITE_READONLY)) {
    // A WAL trace where its -shm cannot be made (read-only storage).
    sqlite3_close(db);
    db = open_immutable(path);
    if (!db) throw TraceFileError("cannot open trace " + path + " (read-only storage)");
    raw = nullptr;
    sqlite3_prepare_v2(db, "SELECT key, value FROM meta", -1, &raw, nullptr);
  }
  std::unique_ptr<Store> s(new Store(db, path));
  if (!raw) {
    if (sqlite3_errcode(db) == SQLITE_ERROR)
      throw TraceError(path + " is not a Ditto trace (it has no meta table)");
    s->fail("cannot read the meta table");
  }
  Stmt st{raw};
  std::string format, version, codec;
  int rc;
  while ((rc = sqlite3_step(st.st)) == SQLITE_ROW) {
    // Either may be NULL in a damaged or crafted file.
    auto text_of = [&](int col) {
      const unsigned char* t = sqlite3_column_text(st.st, col);
      return t ? std::string(reinterpret_cast<const char*>(t), size_t(sqlite3_column_bytes(st.st, col))) : "";
    };
    std::string k = text_of(0), v = text_of(1);
    if (k == "format") format = v;
    if (k == "schema_version") version = v;
    if (k == "codec") codec = v;
  }
  if (rc != SQLITE_DONE) s->fail("cannot read the meta table");
  if (format != "ditto-trace") throw TraceError(path + " is not a Ditto trace (meta.format is '" + format + "')");
  int v = 0;
  for (int known = kOldestSchemaVersion; known <= kSchemaVersion; ++known)
    if (version == std::to_string(known)) v = known;
  if (!v)
    throw TraceError(path + " has trace schema version " + version + "; this Ditto reads versions " +
                     std::to_string(kOldestSchemaVersion) + " to " + std::to_string(kSchemaVersion));
  if (v >= 3 && codec != "zstd")
    throw TraceError(path + " stores its events with codec '" + codec + "'; this Ditto reads zstd");
  s->schema_version_ = v;
  return s;
}

void Store::close() {
  if (!db_) return;
  sqlite3_finalize(insert_batch_);
  sqlite3_finalize(insert_blob_);
  insert_batch_ = insert_blob_ = nullptr;
  // The WAL's contents back into the database file: on a full disk this is
  // what fails, and the trace would not be whole without its -wal.
  int busy = 0, log = 0, done = 0;
  int rc = sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_TRUNCATE, &log, &done);
  (void)busy;
  std::string msg = rc == SQLITE_OK ? "" : sqlite3_errmsg(db_);
  int closed = sqlite3_close(db_);
  db_ = nullptr;
  if (lock_fd_ >= 0) ::close(lock_fd_);
  lock_fd_ = -1;
  if (rc != SQLITE_OK && rc != SQLITE_READONLY)
    throw TraceError("cannot write " + path_ + " back (" + msg + "): its -wal holds what the file does not");
  if (closed != SQLITE_OK) throw TraceError("cannot close " + path_);
}

Store::~Store() {
  try {
    close();
  } catch (const TraceError&) {
  }
}

int64_t Store::begin_run(const Header& h) {
  std::string bytes = encode_header(h);
  Stmt st{prepare("INSERT INTO runs(header, header_checksum) VALUES(?, ?)")};
  sqlite3_bind_blob(st.st, 1, bytes.data(), int(bytes.size()), SQLITE_TRANSIENT);
  sqlite3_bind_int64(st.st, 2, int64_t(checksum64(bytes.data(), bytes.size())));
  if (sqlite3_step(st.st) != SQLITE_DONE) fail("cannot start a run");
  return sqlite3_last_insert_rowid(db_);
}

void Store::append_batch(int64_t run, uint64_t first_seq, const std::vector<Event>& events) {
  if (compressed()) return append_packed(run, pack_batch(first_seq, events));
  // A version 2 trace (analyze adding a run to it) stays as it was written.
  std::string bytes = encode_batch(first_seq, events);
  if (!insert_batch_) insert_batch_ = prepare("INSERT INTO batches(run, first_seq, count, data, checksum) VALUES(?,?,?,?,?)");
  sqlite3_stmt* st = insert_batch_;
  sqlite3_reset(st);
  sqlite3_bind_int64(st, 1, run);
  sqlite3_bind_int64(st, 2, int64_t(first_seq));
  sqlite3_bind_int64(st, 3, int64_t(events.size()));
  sqlite3_bind_blob(st, 4, bytes.data(), int(bytes.size()), SQLITE_STATIC);
  sqlite3_bind_int64(st, 5, int64_t(checksum64(bytes.data(), bytes.size())));
  if (sqlite3_step(st) != SQLITE_DONE) fail("cannot write an event batch");
}

PackedBatch pack_batch(uint64_t first_seq, const std::vector<Event>& events, bool shareable) {
  PackedBatch b;
  std::string raw = encode_batch(first_seq, events);
  b.first_seq = first_seq, b.count = events.size(), b.raw_size = raw.size();
  b.data = zstd_compress(raw);
  if (shareable) b.hash = sha256_hex(raw);
  return b;
}

void Store::insert_blob_row(const std::string& hash, uint64_t raw_size, const void* stored, size_t n) {
  if (!insert_blob_) insert_blob_ = prepare("INSERT OR IGNORE INTO blobs(hash, size, data) VALUES(?,?,?)");
  sqlite3_stmt* st = insert_blob_;
  sqlite3_reset(st);
  sqlite3_bind_text(st, 1, hash.c_str(), int(hash.size()), SQLITE_STATIC);
  sqlite3_bind_int64(st, 2, int64_t(raw_size));
  sqlite3_bind_blob(st, 3, stored, int(n), SQLITE_STATIC);
  if (sqlite3_step(st) != SQLITE_DONE) fail("cannot write a blob");
}

void Store::append_shared(int64_t run, const PackedBatch& b) {
  if (schema_version_ < 4) return append_packed(run, b);
  if (b.hash.empty()) throw std::logic_error("append_shared: the batch was not packed shareable");
  if (stored_blobs_.insert(b.hash).second) insert_blob_row(b.hash, b.raw_size, b.data.data(), b.data.size());
  Stmt st{prepare("INSERT INTO batches(run, first_seq, count, data, checksum, raw_size, shared) "
                  "VALUES(?,?,?,x'',?,?,?)")};
  sqlite3_bind_int64(st.st, 1, run);
  sqlite3_bind_int64(st.st, 2, int64_t(b.first_seq));
  sqlite3_bind_int64(st.st, 3, int64_t(b.count));
  sqlite3_bind_int64(st.st, 4, int64_t(checksum64("", 0)));
  sqlite3_bind_int64(st.st, 5, int64_t(b.raw_size));
  sqlite3_bind_text(st.st, 6, b.hash.c_str(), int(b.hash.size()), SQLITE_STATIC);
  if (sqlite3_step(st.st) != SQLITE_DONE) fail("cannot write an event batch");
}

void Store::append_packed(int64_t run, const PackedBatch& b) {
  if (!compressed()) throw TraceError(path_ + " is a version 2 trace: its batches are not compressed");
  if (!insert_batch_)
    insert_batch_ = prepare("INSERT INTO batches(run, first_seq, count, data, checksum, raw_size) VALUES(?,?,?,?,?,?)");
  sqlite3_stmt* st = insert_batch_;
  sqlite3_reset(st);
  sqlite3_bind_int64(st, 1, run);
  sqlite3_bind_int64(st, 2, int64_t(b.first_seq));
  sqlite3_bind_int64(st, 3, int64_t(b.count));
  sqlite3_bind_blob(st, 4, b.data.data(), int(b.data.size()), SQLITE_STATIC);
  sqlite3_bind_int64(st, 5, int64_t(checksum64(b.data.data(), b.data.size())));
  sqlite3_bind_int64(st, 6, int64_t(b.raw_size));
  if (sqlite3_step(st) != SQLITE_DONE) fail("cannot write an event batch");
}

int64_t Store::copy_run(Store& src, int64_t run) {
  int64_t copy = begin_run(src.header(run));
  RunInfo info = src.checked_run_info(run);
  if (!src.compressed() || schema_version_ < kSchemaVersion) {
    Recorder rec(*this, copy);
    Reader reader = src.reader(run);
    for (Event e; reader.next(e);) rec.append(std::move(e));
    rec.flush();
    if (info.complete) finish_run(copy, rec.count());
    return copy;
  }
  Stmt st{src.prepare(src.schema_version_ >= 4
                          ? "SELECT first_seq, count, data, checksum, raw_size, shared FROM batches WHERE run=? "
                            "ORDER BY first_seq"
                          : "SELECT first_seq, count, data, checksum, raw_size, NULL FROM batches WHERE run=? "
                            "ORDER BY first_seq")};
  sqlite3_bind_int64(st.st, 1, run);
  uint64_t next = 0;
  int rc;
  while ((rc = sqlite3_step(st.st)) == SQLITE_ROW) {
    PackedBatch b;
    b.first_seq = uint64_t(sqlite3_column_int64(st.st, 0));
    b.count = uint64_t(sqlite3_column_int64(st.st, 1));
    auto* p = static_cast<const char*>(sqlite3_column_blob(st.st, 2));
    b.data.assign(p ? p : "", size_t(sqlite3_column_bytes(st.st, 2)));
    b.raw_size = uint64_t(sqlite3_column_int64(st.st, 4));
    if (b.first_seq != next)
      throw TraceError(src.path_ + ": run " + std::to_string(run) + " misses events from #" + std::to_string(next));
    next = b.first_seq + b.count;
    if (sqlite3_column_type(st.st, 5) != SQLITE_NULL) {
      b.hash = column_text(st.st, 5);
      copy_blob(src, b.hash);
      append_shared(copy, b);
      continue;
    }
    if (checksum64(b.data.data(), b.data.size()) != uint64_t(sqlite3_column_int64(st.st, 3)))
      throw TraceError(src.path_ + ": an event batch of run " + std::to_string(run) +
                       " is corrupt (checksum mismatch)");
    append_packed(copy, b);
  }
  if (rc != SQLITE_DONE) src.fail("cannot read the batches of run " + std::to_string(run));
  if (info.complete) finish_run(copy, next);  // an incomplete run stays so
  return copy;
}

void Store::copy_blob(Store& src, const std::string& hash) {
  if (stored_blobs_.count(hash)) return;
  if (!src.compressed() || !compressed()) return put_blob(hash, src.blob(hash));
  // As stored: its bytes are checked against the hash by blob() (so a
  // damaged one is not copied on).
  (void)src.blob(hash);
  Stmt st{src.prepare("SELECT size, data FROM blobs WHERE hash=?")};
  sqlite3_bind_text(st.st, 1, hash.c_str(), int(hash.size()), SQLITE_STATIC);
  if (sqlite3_step(st.st) != SQLITE_ROW) throw TraceError(src.path_ + " is missing blob " + hash);
  stored_blobs_.insert(hash);
  insert_blob_row(hash, uint64_t(sqlite3_column_int64(st.st, 0)), sqlite3_column_blob(st.st, 1),
                  size_t(sqlite3_column_bytes(st.st, 1)));
}

void Store::put_blob(const std::string& hash, std::string_view raw) {
  // Runs share their blobs (a corpus's runs all hold the program's files):
  // one already stored is not compressed again.
  if (!stored_blobs_.insert(hash).second) return;
  {
    Stmt st{prepare("SELECT 1 FROM blobs WHERE hash=?")};
    sqlite3_bind_text(st.st, 1, hash.c_str(), int(hash.size()), SQLITE_STATIC);
    if (sqlite3_step(st.st) == SQLITE_ROW) return;
  }
  std::string bytes = compressed() ? zstd_compress(raw) : std::string(raw);
  insert_blob_row(hash, raw.size(), bytes.data(), bytes.size());
}

void Store::make_golden() {
  // Shared batches are events: those stay.
  exec(schema_version_ >= 4 ? "DELETE FROM blobs WHERE hash NOT IN (SELECT shared FROM batches WHERE shared IS NOT NULL)"
                            : "DELETE FROM blobs");
  exec("PRAGMA journal_mode=DELETE");  // a WAL database keeps its page size
  exec("PRAGMA page_size=1024");
  exec("VACUUM");
}

void Store::begin_transaction() { exec("BEGIN"); }
void Store::commit() { exec("COMMIT"); }

void Store::finish_run(int64_t run, uint64_t event_count) {
  Stmt st{prepare("UPDATE runs SET complete=1, event_count=? WHERE id=?")};
  sqlite3_bind_int64(st.st, 1, int64_t(event_count));
  sqlite3_bind_int64(st.st, 2, run);
  if (sqlite3_step(st.st) != SQLITE_DONE) fail("cannot finish the run");
}

std::vector<int64_t> Store::runs() {
  Stmt st{prepare("SELECT id FROM runs ORDER BY id")};
  std::vector<int64_t> out;
  int rc;
  while ((rc = sqlite3_step(st.st)) == SQLITE_ROW) out.push_back(sqlite3_column_int64(st.st, 0));
  if (rc != SQLITE_DONE) fail("cannot list runs");
  return out;
}

Header Store::header(int64_t run) {
  Stmt st{prepare("SELECT header, header_checksum FROM runs WHERE id=?")};
  sqlite3_bind_int64(st.st, 1, run);
  int rc = sqlite3_step(st.st);
  if (rc == SQLITE_DONE) throw TraceError(path_ + " has no run " + std::to_string(run));
  if (rc != SQLITE_ROW) fail("cannot read run header");
  auto* p = static_cast<const char*>(sqlite3_column_blob(st.st, 0));
  std::string_view bytes(p ? p : "", size_t(sqlite3_column_bytes(st.st, 0)));
  if (checksum64(bytes.data(), bytes.size()) != uint64_t(sqlite3_column_int64(st.st, 1)))
    throw TraceError(path_ + ": the header of run " + std::to_string(run) + " is corrupt (checksum mismatch)");
  return decode_header(bytes);
}

RunInfo Store::run_info(int64_t run) {
  RunInfo info;
  info.id = run;
  {
    Stmt st{prepare("SELECT complete, event_count FROM runs WHERE id=?")};
    sqlite3_bind_int64(st.st, 1, run);
    int rc = sqlite3_step(st.st);
    if (rc == SQLITE_DONE) throw TraceError(path_ + " has no run " + std::to_string(run));
    if (rc != SQLITE_ROW) fail("cannot read the runs table");
    info.complete = sqlite3_column_int(st.st, 0) != 0;
    info.event_count = uint64_t(sqlite3_column_int64(st.st, 1));
  }
  Stmt st{prepare(compressed() ? "SELECT count(*), coalesce(sum(count),0), coalesce(sum(length(data)),0),"
                                 " coalesce(sum(raw_size),0) FROM batches WHERE run=?"
                               : "SELECT count(*), coalesce(sum(count),0), coalesce(sum(length(data)),0),"
                                 " coalesce(sum(length(data)),0) FROM batches WHERE run=?")};
  sqlite3_bind_int64(st.st, 1, run);
  if (sqlite3_step(st.st) != SQLITE_ROW) fail("cannot read the batches table");
  info.batches = uint64_t(sqlite3_column_int64(st.st, 0));
  info.stored_events = uint64_t(sqlite3_column_int64(st.st, 1));
  info.stored_bytes = uint64_t(sqlite3_column_int64(st.st, 2));
  info.raw_bytes = uint64_t(sqlite3_column_int64(st.st, 3));
  return info;
}

RunInfo Store::checked_run_info(int64_t run) {
  RunInfo info = run_info(run);
  if (info.complete && info.stored_events != info.event_count)
    throw TraceError(path_ + ": run " + std::to_string(run) + " should hold " + std::to_string(info.event_count) +
                     " events but " + std::to_string(info.stored_events) +
                     " are stored (truncated, or its index is damaged?)");
  return info;
}

std::string Store::blob(const std::string& hash) {
  Stmt st{prepare("SELECT data, size FROM blobs WHERE hash=?")};
  sqlite3_bind_text(st.st, 1, hash.c_str(), int(hash.size()), SQLITE_STATIC);
  int rc = sqlite3_step(st.st);
  if (rc == SQLITE_DONE) throw TraceError(path_ + " is missing blob " + hash);
  if (rc != SQLITE_ROW) fail("cannot read blob " + hash);
  auto* p = static_cast<const char*>(sqlite3_column_blob(st.st, 0));
  std::string_view stored(p ? p : "", size_t(sqlite3_column_bytes(st.st, 0)));
  std::string out = compressed() ? zstd_decompress(stored, size_t(sqlite3_column_int64(st.st, 1)),
                                                   path_ + ": blob " + hash)
                                 : std::string(stored);
  if (sha256_hex(out) != hash) throw TraceError(path_ + ": blob " + hash + " is corrupt (its contents do not match its hash)");
  return out;
}

BlobTotals Store::blob_totals() {
  Stmt st{prepare("SELECT count(*), coalesce(sum(size),0), coalesce(sum(length(data)),0) FROM blobs")};
  if (sqlite3_step(st.st) != SQLITE_ROW) fail("cannot read the blobs table");
  return {uint64_t(sqlite3_column_int64(st.st, 0)), uint64_t(sqlite3_column_int64(st.st, 1)),
          uint64_t(sqlite3_column_int64(st.st, 2))};
}

std::vector<std::pair<std::string, uint64_t>> Store::blob_list() {
  Stmt st{prepare("SELECT hash, size FROM blobs ORDER BY hash")};
  std::vector<std::pair<std::string, uint64_t>> out;
  while (sqlite3_step(st.st) == SQLITE_ROW) {
    const unsigned char* h = sqlite3_column_text(st.st, 0);
    out.emplace_back(h ? reinterpret_cast<const char*>(h) : "", uint64_t(sqlite3_column_int64(st.st, 1)));
  }
  return out;
}

bool Store::Reader::load_batch() {
  Stmt st{store_.prepare(store_.schema_version_ >= 4
                             ? "SELECT first_seq, count, data, checksum, shared FROM batches WHERE run=? AND "
                               "first_seq>=? ORDER BY first_seq LIMIT 1"
                             : "SELECT first_seq, count, data, checksum, NULL FROM batches WHERE run=? AND "
                               "first_seq>=? ORDER BY first_seq LIMIT 1")};
  sqlite3_bind_int64(st.st, 1, run_);
  sqlite3_bind_int64(st.st, 2, int64_t(next_seq_));
  int rc = sqlite3_step(st.st);
  if (rc == SQLITE_DONE) return false;
  if (rc != SQLITE_ROW) store_.fail("cannot read an event batch");
  uint64_t first = uint64_t(sqlite3_column_int64(st.st, 0));
  uint64_t count = uint64_t(sqlite3_column_int64(st.st, 1));
  auto* p = static_cast<const char*>(sqlite3_column_blob(st.st, 2));
  std::string_view bytes(p ? p : "", size_t(sqlite3_column_bytes(st.st, 2)));
  uint64_t sum = uint64_t(sqlite3_column_int64(st.st, 3));
  std::string where = "event batch starting at #" + std::to_string(first);
  if (first != next_seq_)
    throw TraceError(store_.path_ + ": events #" + std::to_string(next_seq_) + " to #" +
                     std::to_string(first - 1) + " are missing");
  if (checksum64(bytes.data(), bytes.size()) != sum)
    throw TraceError(store_.path_ + ": " + where + " is corrupt (checksum mismatch)");
  uint64_t decoded_first = 0;
  // A batch is at most what one event can carry (a guest's write of up to
  // 2 GiB, Linux's MAX_RW_COUNT) and the rest of its batch.
  constexpr size_t kMaxBatch = size_t(4) << 30;
  if (sqlite3_column_type(st.st, 4) != SQLITE_NULL) {
    // Stored once for many runs: the blob, checked against its hash.
    batch_ = decode_batch(store_.blob(column_text(st.st, 4)), &decoded_first);
  } else {
    batch_ = store_.compressed() ? decode_batch(zstd_decompress(bytes, kMaxBatch, store_.path_ + ": " + where),
                                                &decoded_first)
                                 : decode_batch(bytes, &decoded_first);
  }
  if (decoded_first != first || batch_.size() != count)
    throw TraceError(store_.path_ + ": " + where + " does not match its index row");
  pos_ = 0;
  return true;
}

bool Store::Reader::next(Event& out) {
  if (done_) return false;
  if (pos_ == batch_.size() && !load_batch()) {
    done_ = true;
    return false;
  }
  out = std::move(batch_[pos_++]);
  ++next_seq_;
  return true;
}

Recorder::~Recorder() {
  // Without finish() (an error path) the pending events still reach the
  // trace, which stays marked incomplete.
  try {
    flush();
  } catch (...) {
  }
}

void Recorder::append(Event&& e) {
  e.seq = next_seq_++;
  batch_bytes_ += 64 + e.data.size() + e.path.size();
  pending_.push_back(std::move(e));
  if (pending_.size() >= kBatchEvents || batch_bytes_ >= kBatchBytes) flush();
}

void Recorder::flush() {
  if (pending_.empty()) return;
  store_.append_batch(run_, batch_first_, pending_);
  batch_first_ += pending_.size();
  pending_.clear();
  batch_bytes_ = 0;
}

void Recorder::finish() {
  if (finished_) return;
  flush();
  store_.finish_run(run_, next_seq_);
  finished_ = true;
}

}  // namespace trace
