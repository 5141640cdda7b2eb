#include "sim/policy.h"

#include <stdexcept>

#include "sim/profile.h"

namespace sim {

const char* to_string(SliceEnd why) {
  switch (why) {
    case SliceEnd::kStart:
      return "start";
    case SliceEnd::kSwitch:
      return "switch";
    case SliceEnd::kBudget:
      return "budget";
    case SliceEnd::kPreempt:
      return "preempt";
    case SliceEnd::kYield:
      return "yield";
    case SliceEnd::kOther:
      return "other";
  }
  return "?";
}

const std::vector<std::string>& policy_names() {
  static const std::vector<std::string> names = {"rr", "random", "pct", "pos", "surw"};
  return names;
}

bool needs_profile(const std::string& name) { return name != "rr"; }

std::unique_ptr<Policy> make_policy(const PolicyOptions& o) {
  if (o.quantum == 0) throw std::invalid_argument("the quantum must be at least one tick");
  if (o.name == "rr") return make_round_robin(o);
  if (o.name == "random") return make_random_walk(o);
  if (o.name == "pct" || o.name == "pos" || o.name == "surw") {
    // Before the profiling run (the CLI's check of the name) an empty one.
    PolicyOptions with = o;
    if (!with.profile) with.profile = std::make_shared<Profile>();
    if (o.name == "pct") return make_pct(with);
    if (o.name == "pos") return make_pos(with);
    return make_surw(with);
  }
  std::string known;
  for (const std::string& n : policy_names()) known += (known.empty() ? "" : ", ") + n;
  throw std::invalid_argument("unknown scheduling policy '" + o.name + "' (known: " + known + ")");
}

}  // namespace sim
