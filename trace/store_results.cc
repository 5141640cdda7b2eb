// trace::Store's job results: verdicts, job totals and failure groups
// (explore, corpus, merge), in tables made when first written.
#include "trace/store.h"
#include "trace/store_sql.h"

namespace trace {

bool Store::has_table(const char* name) {
  Stmt st{prepare("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?")};
  sqlite3_bind_text(st.st, 1, name, -1, SQLITE_STATIC);
  return sqlite3_step(st.st) == SQLITE_ROW;
}

void Store::ensure_result_tables() {
  if (!compressed()) throw TraceError(path_ + " is a version 2 trace: it has no room for job results");
  if (results_ready_) return;
  exec("CREATE TABLE IF NOT EXISTS verdicts(run INTEGER PRIMARY KEY, job TEXT NOT NULL, kind TEXT NOT NULL,"
       "  signature TEXT NOT NULL, summary TEXT NOT NULL, key INTEGER NOT NULL, input_name TEXT NOT NULL,"
       "  input_hash TEXT NOT NULL, input_size INTEGER NOT NULL, signal INTEGER NOT NULL, rip INTEGER NOT NULL);"
       "CREATE TABLE IF NOT EXISTS jobs(id INTEGER PRIMARY KEY, job TEXT NOT NULL, shard TEXT NOT NULL,"
       "  total INTEGER NOT NULL, failing INTEGER NOT NULL);"
       "CREATE TABLE IF NOT EXISTS failures(job TEXT NOT NULL, signature TEXT NOT NULL, kind TEXT NOT NULL,"
       "  summary TEXT NOT NULL, place TEXT NOT NULL, count INTEGER NOT NULL, first_key INTEGER NOT NULL,"
       "  run INTEGER NOT NULL, input_size INTEGER NOT NULL, input_name TEXT NOT NULL,"
       "  PRIMARY KEY(job, signature));");
  results_ready_ = true;
}

void Store::put_job(const JobTotal& j) {
  ensure_result_tables();
  Stmt st{prepare("INSERT INTO jobs(job, shard, total, failing) VALUES(?,?,?,?)")};
  sqlite3_bind_text(st.st, 1, j.job.c_str(), int(j.job.size()), SQLITE_STATIC);
  sqlite3_bind_text(st.st, 2, j.shard.c_str(), int(j.shard.size()), SQLITE_STATIC);
  sqlite3_bind_int64(st.st, 3, int64_t(j.total));
  sqlite3_bind_int64(st.st, 4, int64_t(j.failing));
  if (sqlite3_step(st.st) != SQLITE_DONE) fail("cannot write a job's totals");
}

void Store::put_failure(const FailureRow& f) {
  ensure_result_tables();
  Stmt st{prepare("INSERT OR REPLACE INTO failures VALUES(?,?,?,?,?,?,?,?,?,?)")};
  int i = 1;
  for (const std::string* t : {&f.job, &f.signature, &f.kind, &f.summary, &f.where})
    sqlite3_bind_text(st.st, i++, t->c_str(), int(t->size()), SQLITE_STATIC);
  sqlite3_bind_int64(st.st, i++, int64_t(f.count));
  sqlite3_bind_int64(st.st, i++, int64_t(f.first_key));
  sqlite3_bind_int64(st.st, i++, f.run);
  sqlite3_bind_int64(st.st, i++, int64_t(f.input_size));
  sqlite3_bind_text(st.st, i++, f.input_name.c_str(), int(f.input_name.size()), SQLITE_STATIC);
  if (sqlite3_step(st.st) != SQLITE_DONE) fail("cannot write a failure group");
}

std::vector<JobTotal> Store::jobs() {
  std::vector<JobTotal> out;
  if (!has_table("jobs")) return out;
  Stmt st{prepare("SELECT job, shard, total, failing FROM jobs ORDER BY id")};
  while (sqlite3_step(st.st) == SQLITE_ROW) {
    JobTotal j;
    j.job = column_text(st.st, 0), j.shard = column_text(st.st, 1);
    j.total = uint64_t(sqlite3_column_int64(st.st, 2));
    j.failing = uint64_t(sqlite3_column_int64(st.st, 3));
    out.push_back(std::move(j));
  }
  return out;
}

std::vector<FailureRow> Store::failures() {
  std::vector<FailureRow> out;
  if (!has_table("failures")) return out;
  Stmt st{prepare("SELECT job, signature, kind, summary, place, count, first_key, run, input_size, input_name "
                  "FROM failures ORDER BY job, first_key, signature")};
  while (sqlite3_step(st.st) == SQLITE_ROW) {
    FailureRow f;
    f.job = column_text(st.st, 0), f.signature = column_text(st.st, 1), f.kind = column_text(st.st, 2);
    f.summary = column_text(st.st, 3), f.where = column_text(st.st, 4);
    f.count = uint64_t(sqlite3_column_int64(st.st, 5));
    f.first_key = uint64_t(sqlite3_column_int64(st.st, 6));
    f.run = sqlite3_column_int64(st.st, 7);
    f.input_size = uint64_t(sqlite3_column_int64(st.st, 8));
    f.input_name = column_text(st.st, 9);
    out.push_back(std::move(f));
  }
  return out;
}

void Store::put_verdict(int64_t run, const Verdict& v) {
  ensure_result_tables();
  Stmt st{prepare("INSERT OR REPLACE INTO verdicts VALUES(?,?,?,?,?,?,?,?,?,?,?)")};
  int i = 1;
  sqlite3_bind_int64(st.st, i++, run);
  for (const std::string* t : {&v.job, &v.kind, &v.signature, &v.summary})
    sqlite3_bind_text(st.st, i++, t->c_str(), int(t->size()), SQLITE_STATIC);
  sqlite3_bind_int64(st.st, i++, int64_t(v.key));
  sqlite3_bind_text(st.st, i++, v.input_name.c_str(), int(v.input_name.size()), SQLITE_STATIC);
  sqlite3_bind_text(st.st, i++, v.input_hash.c_str(), int(v.input_hash.size()), SQLITE_STATIC);
  sqlite3_bind_int64(st.st, i++, int64_t(v.input_size));
  sqlite3_bind_int64(st.st, i++, v.signal);
  sqlite3_bind_int64(st.st, i++, int64_t(v.rip));
  if (sqlite3_step(st.st) != SQLITE_DONE) fail("cannot write a run's verdict");
}

std::vector<std::pair<int64_t, Verdict>> Store::verdicts() {
  std::vector<std::pair<int64_t, Verdict>> out;
  if (!has_table("verdicts")) return out;
  Stmt st{prepare("SELECT run, job, kind, signature, summary, key, input_name, input_hash, input_size, signal, rip "
                  "FROM verdicts ORDER BY run")};
  auto text_of = [&](int col) { return column_text(st.st, col); };
  int rc;
  while ((rc = sqlite3_step(st.st)) == SQLITE_ROW) {
    Verdict v;
    v.job = text_of(1), v.kind = text_of(2), v.signature = text_of(3), v.summary = text_of(4);
    v.key = uint64_t(sqlite3_column_int64(st.st, 5));
    v.input_name = text_of(6), v.input_hash = text_of(7);
    v.input_size = uint64_t(sqlite3_column_int64(st.st, 8));
    v.signal = int(sqlite3_column_int64(st.st, 9));
    v.rip = uint64_t(sqlite3_column_int64(st.st, 10));
    out.emplace_back(sqlite3_column_int64(st.st, 0), std::move(v));
  }
  if (rc != SQLITE_DONE) fail("cannot read the verdicts table");
  return out;
}

}  // namespace trace
