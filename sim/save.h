// sim::save — bringing the guest's files out at the end of a run (--save
// GUEST_PATH:HOST_PATH): the guest writes into memory only (its /tmp, the
// copy-on-write root view), so what a run produced is lost unless saved.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace kernel {
class Kernel;
}

namespace sim {

struct SaveRequest {
  std::string guest;  // absolute path in the guest
  std::string host;   // where it goes on the host (replaced if it exists)
};

// "GUEST:HOST", or just "GUEST" (saved to its basename in the current
// directory); nullopt (after a message naming `spec`) when malformed.
std::optional<SaveRequest> parse_save(const std::string& spec);

// Copies the guest's file, symlink or directory tree at req.guest, as it is
// now, to req.host: its bytes and permission bits. Nothing in the guest
// changes and no event is emitted (the run is over). "" or what went wrong.
std::string save_guest_path(kernel::Kernel& k, const SaveRequest& req);

// Every request, reporting each failure on stderr; false if any failed.
bool save_all(kernel::Kernel& k, const std::vector<SaveRequest>& reqs);

}  // namespace sim
