// Instants and the time zones they were meant in. Herald stores UTC milliseconds plus the IANA
// zone name; this is where text becomes an instant and back.
#pragma once

#include <herald/result.hpp>

#include <cstdint>
#include <string>

namespace herald {

struct ZonedInstant {
  int64_t utc_ms = 0;
  std::string zone;  // IANA name, e.g. "America/New_York"
};

/// Parses "2026-12-01T09:00:00Z", "2026-12-01T09:00+01:00", "2026-12-01 09:00 Europe/Oslo" or
/// "2026-12-01 09:00" (read in `default_zone`). DST policy: a time in a gap moves forward by
/// the gap (02:30 becomes 03:30); a time in an overlap takes the earlier instant.
Result<ZonedInstant> parse_time(const std::string& text, const std::string& default_zone);

/// "2026-12-01 09:00 EST" in `zone` (UTC when the zone is empty or unknown).
std::string format_time(int64_t utc_ms, const std::string& zone);

/// "2026-12-01T14:00:00Z".
std::string format_utc(int64_t utc_ms);

bool is_known_zone(const std::string& zone);

}  // namespace herald
