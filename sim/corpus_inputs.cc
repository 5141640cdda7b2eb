#include "sim/corpus_inputs.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "trace/sha256.h"

namespace sim {

namespace fs = std::filesystem;

namespace {

bool hidden(const fs::path& p) {
  std::string n = p.filename().string();
  return !n.empty() && n[0] == '.';
}

bool is_afl_instance(const fs::path& dir) {
  std::error_code ec;
  return fs::is_directory(dir / "queue", ec);
}

class Scanner {
 public:
  explicit Scanner(CorpusScan& out) : out_(out) {}

  void folder(const fs::path& dir) {
    if (is_afl_instance(dir)) return instance(dir);
    // A folder of AFL++ instances: each of its subfolders that is one.
    std::vector<fs::path> subs = entries(dir);
    bool instances = std::any_of(subs.begin(), subs.end(), [](const fs::path& p) { return is_afl_instance(p); });
    if (instances) {
      for (const fs::path& p : subs)
        if (is_afl_instance(p)) instance(p);
      return;
    }
    tree(dir, false);
  }

  void finish() {
    // By name; the first name of equal bytes is the input.
    std::sort(found_.begin(), found_.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
    std::map<std::string, bool> seen;
    for (CorpusInput& in : found_) {
      if (seen.emplace(in.hash, true).second) out_.inputs.push_back(std::move(in));
      else ++out_.duplicates;
    }
  }

 private:
  void instance(const fs::path& dir) {
    for (const char* sub : {"queue", "crashes", "hangs"}) {
      std::error_code ec;
      if (fs::is_directory(dir / sub, ec)) tree(dir / sub, std::string(sub) != "queue");
    }
  }

  // The entries of `dir`, by name, without hidden ones.
  std::vector<fs::path> entries(const fs::path& dir) {
    std::vector<fs::path> out;
    std::error_code ec;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
      if (!hidden(it->path())) out.push_back(it->path());
    if (ec && out_.error.empty()) out_.error = "cannot read " + dir.string() + ": " + ec.message();
    std::sort(out.begin(), out.end());
    return out;
  }

  void tree(const fs::path& dir, bool afl_findings) {
    for (const fs::path& p : entries(dir)) {
      std::error_code ec;
      if (fs::is_directory(p, ec)) {
        tree(p, false);
      } else if (fs::is_regular_file(p, ec)) {
        if (afl_findings && p.filename() == "README.txt") continue;  // AFL++'s note, not a finding
        file(p);
      }
    }
  }

  void file(const fs::path& p) {
    ++out_.files;
    std::error_code ec;
    uint64_t size = fs::file_size(p, ec);
    if (ec || size > kMaxCorpusInput) {
      if (out_.error.empty())
        out_.error = ec ? "cannot read " + p.string() + ": " + ec.message()
                        : p.string() + " is larger than " + std::to_string(kMaxCorpusInput >> 20) + " MiB";
      return;
    }
    std::ifstream f(p, std::ios::binary);
    std::ostringstream ss;
    ss << f.rdbuf();
    if (!f && size) {
      if (out_.error.empty()) out_.error = "cannot read " + p.string();
      return;
    }
    CorpusInput in;
    in.name = p.string();
    in.bytes = ss.str();
    in.hash = trace::sha256_hex(in.bytes);
    found_.push_back(std::move(in));
  }

  CorpusScan& out_;
  std::vector<CorpusInput> found_;
};

}  // namespace

CorpusScan scan_corpus(const std::vector<std::string>& dirs) {
  CorpusScan out;
  Scanner s(out);
  for (const std::string& d : dirs) {
    std::error_code ec;
    if (!fs::is_directory(d, ec)) {
      out.error = d + " is not a folder of inputs";
      return out;
    }
    s.folder(fs::path(d));
  }
  s.finish();
  return out;
}

}  // namespace sim
