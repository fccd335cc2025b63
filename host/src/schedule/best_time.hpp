// Best posting times from an account's own engagement history: the engagement rate of each hour
// of the week, smoothed, ranked. See docs/scheduling.md for the method.
#pragma once

#include "engine/model.hpp"

#include <herald/host.hpp>

#include <vector>

namespace date {
class time_zone;
}

namespace herald {

struct BestTimeOptions {
  /// Hours of the week with fewer posts than this are not suggested (their rate is noise).
  int64_t min_posts = 3;
};

/// Every hour of the week with enough evidence, best first (ties: earlier in the week). Hours
/// are read in `zone`.
std::vector<SlotSuggestion> suggest_slots(const std::vector<EngagementRow>& history,
                                          const date::time_zone& zone,
                                          const BestTimeOptions& options = {});

}  // namespace herald
