#include "schedule/best_time.hpp"

#include "time/zoned.hpp"

#include <algorithm>
#include <array>
#include <cstdint>

namespace herald {

namespace {
constexpr int kHours = 7 * 24;

/// a + b, held at the largest int64_t rather than overflowing (counts are not negative).
int64_t add_capped(int64_t a, int64_t b) {
  int64_t sum = 0;
  return __builtin_add_overflow(a, b, &sum) ? INT64_MAX : sum;
}
}  // namespace

std::vector<SlotSuggestion> suggest_slots(const std::vector<EngagementRow>& history,
                                          const date::time_zone& zone,
                                          const BestTimeOptions& options) {
  struct Bucket {
    int64_t posts = 0;
    int64_t impressions = 0;
    int64_t engagements = 0;
  };
  std::array<Bucket, kHours> buckets{};
  int64_t total_impressions = 0;
  int64_t total_engagements = 0;
  for (const EngagementRow& row : history) {
    if (row.impressions <= 0) continue;  // a post nobody saw says nothing about its hour
    const zoned::LocalParts local = zoned::local_parts(zoned::to_local_ms(row.at_ms, zone));
    Bucket& b = buckets[static_cast<size_t>(local.weekday * 24 + local.minute / 60)];
    ++b.posts;
    b.impressions = add_capped(b.impressions, row.impressions);
    b.engagements = add_capped(b.engagements, row.engagements);
    total_impressions = add_capped(total_impressions, row.impressions);
    total_engagements = add_capped(total_engagements, row.engagements);
  }
  if (total_impressions == 0) return {};
  const double overall = static_cast<double>(total_engagements) / total_impressions;
  // Shrink each hour's rate towards the overall rate by the weight of one typical post, so an
  // hour with one lucky post does not win; then blend in the neighbouring hours (weights 1-4-1):
  // the hours around a good hour say a little about it, without lifting them to its level.
  int64_t posts = 0;
  for (const Bucket& b : buckets) posts += b.posts;
  const double prior = static_cast<double>(total_impressions) / static_cast<double>(posts);
  std::array<double, kHours> shrunk{};
  for (int h = 0; h < kHours; ++h) {
    const Bucket& b = buckets[static_cast<size_t>(h)];
    shrunk[static_cast<size_t>(h)] = (static_cast<double>(b.engagements) + prior * overall) /
                                     (static_cast<double>(b.impressions) + prior);
  }
  std::vector<SlotSuggestion> out;
  for (int h = 0; h < kHours; ++h) {
    const Bucket& b = buckets[static_cast<size_t>(h)];
    if (b.posts < std::max<int64_t>(options.min_posts, 1)) continue;
    const double before = shrunk[static_cast<size_t>((h + kHours - 1) % kHours)];
    const double after = shrunk[static_cast<size_t>((h + 1) % kHours)];
    SlotSuggestion s;
    s.weekday = h / 24;
    s.minute = (h % 24) * 60;
    s.rate = (before + 4 * shrunk[static_cast<size_t>(h)] + after) / 6;
    s.raw_rate = static_cast<double>(b.engagements) / static_cast<double>(b.impressions);
    s.lift = overall > 0 ? s.rate / overall : 0;
    s.posts = b.posts;
    s.impressions = b.impressions;
    s.engagements = b.engagements;
    out.push_back(s);
  }
  std::stable_sort(out.begin(), out.end(), [](const SlotSuggestion& a, const SlotSuggestion& b) {
    return a.rate > b.rate;
  });
  return out;
}

}  // namespace herald
