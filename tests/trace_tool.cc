// Test helper: damages or edits a trace in precise ways, so that the tests can
// check that `ditto replay` names each problem (exit 4) or reports the
// divergence (exit 3). Not installed; used only by tests/trace_cases.sh.
#include <sqlite3.h>

#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>

#include "trace/compress.h"
#include "trace/sha256.h"
#include "trace/store.h"

namespace {

sqlite3* db_open(const char* path) {
  sqlite3* db = nullptr;
  if (sqlite3_open(path, &db) != SQLITE_OK) {
    std::cerr << "cannot open " << path << "\n";
    std::exit(2);
  }
  return db;
}

void exec(sqlite3* db, const std::string& sql) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::cerr << "sql failed: " << (err ? err : "?") << "\n";
    std::exit(2);
  }
}

std::string blob_column(sqlite3_stmt* st, int col) {
  auto* p = static_cast<const char*>(sqlite3_column_blob(st, col));
  return std::string(p ? p : "", size_t(sqlite3_column_bytes(st, col)));
}

// Replaces run 1's header with `bytes` and a checksum that matches them.
void write_header(sqlite3* db, const std::string& bytes) {
  sqlite3_stmt* st;
  sqlite3_prepare_v2(db, "UPDATE runs SET header=?, header_checksum=? WHERE id=1", -1, &st, nullptr);
  sqlite3_bind_blob(st, 1, bytes.data(), int(bytes.size()), SQLITE_TRANSIENT);
  sqlite3_bind_int64(st, 2, int64_t(trace::checksum64(bytes.data(), bytes.size())));
  sqlite3_step(st);
  sqlite3_finalize(st);
}

}  // namespace

// elf KIND IN OUT: writes a copy of the ELF file IN damaged in one way.
int corrupt_elf(const std::string& kind, const char* in, const char* out) {
  FILE* f = std::fopen(in, "rb");
  if (!f) return 2;
  std::string b;
  char buf[65536];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) b.append(buf, n);
  std::fclose(f);
  uint64_t phoff;
  std::memcpy(&phoff, b.data() + 0x20, 8);
  auto first_load = [&]() -> size_t {
    for (size_t off = phoff;; off += 56) {
      uint32_t type;
      std::memcpy(&type, b.data() + off, 4);
      if (type == 1) return off;
    }
  };
  if (kind == "class") b[4] = 1;  // ELFCLASS32
  else if (kind == "machine") { b[18] = char(183); b[19] = 0; }  // EM_AARCH64
  else if (kind == "truncated") b.resize(40);
  else if (kind == "truncated-segment") b.resize(b.size() / 3);
  else if (kind == "segment-range") {
    uint64_t vaddr = 0xffff800000000000ULL;
    std::memcpy(b.data() + first_load() + 16, &vaddr, 8);  // p_vaddr
  } else return 2;
  f = std::fopen(out, "wb");
  std::fwrite(b.data(), 1, b.size(), f);
  std::fclose(f);
  return 0;
}

int main(int argc, char** argv) {
  if (argc == 5 && std::string(argv[1]) == "elf") return corrupt_elf(argv[2], argv[3], argv[4]);
  if (argc < 3) {
    std::cerr << "usage: trace_tool set-schema|set-format|set-version|flip|drop-blobs|drop-last-batch|edit-getrandom "
                 "FILE [N]\n";
    return 2;
  }
  std::string cmd = argv[1];
  sqlite3* db = db_open(argv[2]);
  if (cmd == "set-schema") {
    exec(db, std::string("UPDATE meta SET value='") + argv[3] + "' WHERE key='schema_version'");
  } else if (cmd == "set-format" || cmd == "set-version") {
    sqlite3_stmt* st;
    sqlite3_prepare_v2(db, "SELECT header FROM runs WHERE id=1", -1, &st, nullptr);
    if (sqlite3_step(st) != SQLITE_ROW) return 2;
    trace::Header h = trace::decode_header(blob_column(st, 0));
    sqlite3_finalize(st);
    if (cmd == "set-format") h.format_version = uint32_t(std::stoul(argv[3]));
    else h.ditto_version = argv[3];
    write_header(db, trace::encode_header(h));
  } else if (cmd == "set-header-hex") {
    // Crafted header bytes (with a valid checksum): the reader must bound them.
    std::string hex = argv[3], bytes;
    for (size_t i = 0; i + 1 < hex.size(); i += 2) bytes += char(std::stoi(hex.substr(i, 2), nullptr, 16));
    write_header(db, bytes);
  } else if (cmd == "flip-header") {
    // One bit of the header, the checksum left as it was.
    exec(db, "UPDATE runs SET header = CAST(header AS BLOB) WHERE id=1");
    sqlite3_stmt* st;
    sqlite3_prepare_v2(db, "SELECT header FROM runs WHERE id=1", -1, &st, nullptr);
    if (sqlite3_step(st) != SQLITE_ROW) return 2;
    std::string h = blob_column(st, 0);
    sqlite3_finalize(st);
    h[h.size() / 2] = char(h[h.size() / 2] ^ 0x04);
    sqlite3_prepare_v2(db, "UPDATE runs SET header=? WHERE id=1", -1, &st, nullptr);
    sqlite3_bind_blob(st, 1, h.data(), int(h.size()), SQLITE_TRANSIENT);
    sqlite3_step(st);
    sqlite3_finalize(st);
  } else if (cmd == "meta-null") {
    exec(db, "INSERT INTO meta VALUES(NULL, 'x'); INSERT INTO meta VALUES('y', NULL)");
  } else if (cmd == "drop-all-batches") {
    exec(db, "DELETE FROM batches");
  } else if (cmd == "flip") {
    // One bit of the byte in the middle of the first batch, checksum left as it
    // was. (Done here rather than in SQL: SQL text functions read a NUL byte as
    // the end of the string, which left a zero byte unchanged.)
    sqlite3_stmt* st;
    sqlite3_prepare_v2(db, "SELECT data FROM batches WHERE first_seq = 0", -1, &st, nullptr);
    if (sqlite3_step(st) != SQLITE_ROW) return 2;
    std::string data = blob_column(st, 0);
    sqlite3_finalize(st);
    if (data.empty()) return 2;
    data[data.size() / 2] = char(data[data.size() / 2] ^ 0x01);
    sqlite3_prepare_v2(db, "UPDATE batches SET data=? WHERE first_seq = 0", -1, &st, nullptr);
    sqlite3_bind_blob(st, 1, data.data(), int(data.size()), SQLITE_TRANSIENT);
    if (sqlite3_step(st) != SQLITE_DONE || sqlite3_changes(db) != 1) return 2;
    sqlite3_finalize(st);
  } else if (cmd == "drop-blobs") {
    exec(db, "DELETE FROM blobs");
  } else if (cmd == "to-schema-2") {
    // Rewrites a trace as Ditto wrote it before compression (schema 2): the
    // reader must still replay it.
    for (const char* table : {"batches", "blobs"}) {
      std::string sel = std::string("SELECT rowid, data, ") + (table == std::string("blobs") ? "size" : "raw_size") +
                        " FROM " + table;
      sqlite3_stmt* st;
      sqlite3_prepare_v2(db, sel.c_str(), -1, &st, nullptr);
      std::vector<std::pair<int64_t, std::string>> rows;
      while (sqlite3_step(st) == SQLITE_ROW)
        rows.emplace_back(sqlite3_column_int64(st, 0),
                          trace::zstd_decompress(blob_column(st, 1), size_t(sqlite3_column_int64(st, 2)), table));
      sqlite3_finalize(st);
      std::string up_sql = std::string("UPDATE ") + table + " SET data=?" +
                           (table == std::string("batches") ? ", checksum=?" : "") + " WHERE rowid=?";
      for (auto& [rowid, raw] : rows) {
        sqlite3_stmt* up;
        sqlite3_prepare_v2(db, up_sql.c_str(), -1, &up, nullptr);
        int i = 1;
        sqlite3_bind_blob(up, i++, raw.data(), int(raw.size()), SQLITE_TRANSIENT);
        if (table == std::string("batches")) sqlite3_bind_int64(up, i++, int64_t(trace::checksum64(raw.data(), raw.size())));
        sqlite3_bind_int64(up, i, rowid);
        if (sqlite3_step(up) != SQLITE_DONE) return 2;
        sqlite3_finalize(up);
      }
    }
    exec(db, "ALTER TABLE batches DROP COLUMN raw_size; DELETE FROM meta WHERE key='codec';"
             "UPDATE meta SET value='2' WHERE key='schema_version'");
  } else if (cmd == "drop-last-batch") {
    exec(db, "DELETE FROM batches WHERE first_seq = (SELECT max(first_seq) FROM batches)");
  } else if (cmd == "edit-getrandom") {
    // A consistent edit (valid checksum): replay must catch it as a divergence.
    sqlite3_stmt* st;
    sqlite3_prepare_v2(db, "SELECT first_seq, data FROM batches ORDER BY first_seq", -1, &st, nullptr);
    while (sqlite3_step(st) == SQLITE_ROW) {
      uint64_t first = 0;
      std::vector<trace::Event> evs =
          trace::decode_batch(trace::zstd_decompress(blob_column(st, 1), size_t(1) << 30, "batch"), &first);
      for (trace::Event& e : evs) {
        if (e.kind != trace::EventKind::kSyscall || e.nr != 318 || e.data.empty()) continue;
        e.data[0] = char(e.data[0] ^ 0x5a);
        std::string raw = trace::encode_batch(first, evs), bytes = trace::zstd_compress(raw);
        sqlite3_stmt* up;
        sqlite3_prepare_v2(db, "UPDATE batches SET data=?, checksum=?, raw_size=? WHERE first_seq=?", -1, &up,
                           nullptr);
        sqlite3_bind_blob(up, 1, bytes.data(), int(bytes.size()), SQLITE_TRANSIENT);
        sqlite3_bind_int64(up, 2, int64_t(trace::checksum64(bytes.data(), bytes.size())));
        sqlite3_bind_int64(up, 3, int64_t(raw.size()));
        sqlite3_bind_int64(up, 4, int64_t(first));
        sqlite3_step(up);
        sqlite3_finalize(up);
        sqlite3_finalize(st);
        sqlite3_close(db);
        std::cout << "edited getrandom event #" << e.seq << "\n";
        return 0;
      }
    }
    std::cerr << "no getrandom event found\n";
    return 2;
  } else {
    std::cerr << "unknown command " << cmd << "\n";
    return 2;
  }
  sqlite3_close(db);
  return 0;
}
