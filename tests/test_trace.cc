#include <unistd.h>

#include <catch2/catch.hpp>

#include "trace/sha256.h"
#include "trace/store.h"

using trace::Event;
using trace::EventKind;

TEST_CASE("sha256 gives the same digests with and without the CPU's SHA extensions") {
  std::string data;
  for (int i = 0; i < 5000; ++i) data.push_back(char(i * 131 + (i >> 3)));
  bool had = trace::Sha256::accelerated();
  for (size_t len : {size_t(0), size_t(1), size_t(55), size_t(56), size_t(63), size_t(64), size_t(65), size_t(127),
                     size_t(128), size_t(1000), size_t(4999)}) {
    trace::Sha256::set_accelerated(false);
    std::string plain = trace::sha256_hex(std::string_view(data).substr(0, len));
    trace::Sha256::set_accelerated(true);
    CHECK(trace::sha256_hex(std::string_view(data).substr(0, len)) == plain);
  }
  trace::Sha256::set_accelerated(had);
}

TEST_CASE("sha256 matches the FIPS 180-4 test vectors") {
  CHECK(trace::sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(trace::sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  std::string million(1000000, 'a');
  CHECK(trace::sha256_hex(million) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST_CASE("checksum64 notices every single flipped bit") {
  std::string data(1000, 'x');
  uint64_t base = trace::checksum64(data.data(), data.size());
  for (size_t i = 0; i < data.size(); i += 37)
    for (int bit = 0; bit < 8; ++bit) {
      std::string d = data;
      d[i] = char(d[i] ^ (1 << bit));
      CHECK(trace::checksum64(d.data(), d.size()) != base);
    }
}

static Event syscall_event(uint32_t nr, int64_t result, std::string data = "") {
  Event e;
  e.kind = EventKind::kSyscall;
  e.tid = 1000;
  e.tick = 42;
  e.nr = nr;
  for (int i = 0; i < 6; ++i) e.args[i] = uint64_t(i) * 0x1111;
  e.result = result;
  e.rip = 0x401000;
  e.data = std::move(data);
  return e;
}

TEST_CASE("events survive a Cap'n Proto round trip") {
  std::vector<Event> evs;
  evs.push_back(syscall_event(318, 8, std::string("\x00\x01\xff\x80zz\n\x7f", 8)));
  Event hf;
  hf.kind = EventKind::kHostFile;
  hf.path = "/etc/x";
  hf.file_kind = 2;
  hf.entries = {"a", "b"};
  evs.push_back(hf);
  Event fault;
  fault.kind = EventKind::kFault;
  fault.signal = 11;
  fault.fault_kind = "write to unmapped memory";
  fault.addr = 0;
  fault.rip = 0x401136;
  evs.push_back(fault);
  Event sum;
  sum.kind = EventKind::kSummary;
  sum.unsupported = {{334, "rseq", 1}};
  evs.push_back(sum);
  for (size_t i = 0; i < evs.size(); ++i) evs[i].seq = 10 + i;
  uint64_t first = 0;
  auto back = trace::decode_batch(trace::encode_batch(10, evs), &first);
  CHECK(first == 10);
  REQUIRE(back.size() == evs.size());
  for (size_t i = 0; i < evs.size(); ++i) {
    std::string what;
    CHECK(trace::same_event(evs[i], back[i], &what));
    CHECK(back[i].seq == evs[i].seq);
  }
}

TEST_CASE("same_event names the first differing field") {
  Event a = syscall_event(39, 1000), b = a;
  std::string what;
  CHECK(trace::same_event(a, b, &what));
  b.result = 1001;
  CHECK_FALSE(trace::same_event(a, b, &what));
  CHECK(what == "result");
  b = a;
  b.data = "x";
  CHECK_FALSE(trace::same_event(a, b, &what));
  CHECK(what == "data");
}

TEST_CASE("a store keeps runs, batches and blobs; a damaged batch is named") {
  std::string path = "/tmp/ditto_unit_store_" + std::to_string(::getpid()) + ".db";
  {
    auto s = trace::Store::create(path);
    trace::Header h;
    h.argv = {"prog", "x"};
    h.seed = 7;
    int64_t run = s->begin_run(h);
    trace::Recorder rec(*s, run);
    for (int i = 0; i < 20000; ++i) rec.append(syscall_event(39, i));
    s->put_blob(trace::sha256_hex("blob"), "blob");
    rec.finish();
  }
  auto s = trace::Store::open(path);
  REQUIRE(s->runs().size() == 1);
  CHECK(s->header(1).seed == 7);
  CHECK(s->header(1).argv[1] == "x");
  auto info = s->run_info(1);
  CHECK(info.complete);
  CHECK(info.event_count == 20000);
  CHECK(info.stored_events == 20000);
  CHECK(info.batches > 1);
  CHECK(s->blob(trace::sha256_hex("blob")) == "blob");
  CHECK_THROWS_AS(s->blob(trace::sha256_hex("nope")), trace::TraceError);
  auto r = s->reader(1);
  Event e;
  uint64_t n = 0;
  while (r.next(e)) {
    CHECK(e.seq == n);
    CHECK(e.result == int64_t(n));
    ++n;
  }
  CHECK(n == 20000);
  s.reset();
  for (const char* suffix : {"", "-wal", "-shm"}) ::unlink((path + suffix).c_str());
}

TEST_CASE("opening something that is not a trace is a TraceError") {
  std::string path = "/tmp/ditto_unit_notdb_" + std::to_string(::getpid());
  FILE* f = fopen(path.c_str(), "w");
  fputs("hello, I am text and not SQLite at all, long enough to matter.........", f);
  fclose(f);
  CHECK_THROWS_WITH(trace::Store::open(path), Catch::Contains("not an SQLite database"));
  ::unlink(path.c_str());
  CHECK_THROWS_WITH(trace::Store::open("/nonexistent/x.db"), Catch::Contains("cannot open trace /nonexistent/x.db: No such file or directory"));
}
