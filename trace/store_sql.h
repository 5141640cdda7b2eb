// SQLite helpers the trace store's files share (trace/store.cc,
// trace/store_results.cc); not part of the store's interface.
#pragma once

#include <sqlite3.h>

#include <string>

namespace trace {

// A prepared statement, finalized when it goes out of scope.
struct Stmt {
  sqlite3_stmt* st;
  ~Stmt() { sqlite3_finalize(st); }
};

inline std::string column_text(sqlite3_stmt* st, int col) {
  const unsigned char* t = sqlite3_column_text(st, col);
  return t ? std::string(reinterpret_cast<const char*>(t), size_t(sqlite3_column_bytes(st, col))) : "";
}

}  // namespace trace
