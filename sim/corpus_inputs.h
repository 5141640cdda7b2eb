// sim::corpus_inputs — the inputs of `ditto corpus`: the files of fuzzer
// output and corpus folders, as AFL++ and libFuzzer leave them.
//
// An AFL++ instance folder (one holding queue/) gives its queue/, crashes/
// and hangs/ entries; a folder of instances (AFL++ -o with -M/-S) gives each
// instance's; any other folder gives every regular file under it (a
// libFuzzer corpus). Hidden files and folders (AFL++'s .state/, .cur_input)
// and the README.txt AFL++ leaves in crashes/ are not inputs. Inputs with the
// same bytes are one input (the first by name); the order is by name, so
// the same folders give the same runs on any machine.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace sim {

struct CorpusInput {
  std::string name;   // its path as found (under the folder given)
  std::string hash;   // sha256 of its bytes
  std::string bytes;
};

struct CorpusScan {
  std::vector<CorpusInput> inputs;  // unique, by name
  uint64_t files = 0;               // files read (duplicates included)
  uint64_t duplicates = 0;
  std::string error;                // a folder could not be read ("" if none)
};

// Inputs larger than this are refused (AFL++'s own limit is 1 MB).
constexpr uint64_t kMaxCorpusInput = 64ULL << 20;

CorpusScan scan_corpus(const std::vector<std::string>& dirs);

}  // namespace sim
