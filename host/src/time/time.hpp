// Instants and the time zones they were meant in. Herald stores UTC milliseconds plus the IANA
// zone name; this is where text becomes an instant and back.
#pragma once

#include "time/zoned.hpp"

#include <herald/result.hpp>

#include <cstdint>
#include <string>

namespace herald {

using zoned::DstPolicy;

struct ZonedInstant {
  int64_t utc_ms = 0;
  std::string zone;      // IANA name, e.g. "America/New_York", "UTC", or the offset written
  std::string dst_note;  // what the DST policy did with a skipped or repeated time, or ""
};

/// Parses RFC 3339 ("2026-12-01T09:00:00Z", "2026-12-01T09:00+01:00"), a local time with a zone
/// ("2026-12-01 09:00 Europe/Oslo") or a local time alone ("2026-12-01 09:00"), read in
/// `default_zone`; with no default zone that is an error. A local time that a DST change skips
/// or repeats follows `policy` (see time/zoned.hpp), and dst_note says what it did.
Result<ZonedInstant> parse_time(const std::string& text, const std::string& default_zone,
                                DstPolicy policy = DstPolicy::shift_forward);

/// "2026-12-01 09:00 EST" in `zone` (UTC when the zone is empty or unknown).
std::string format_time(int64_t utc_ms, const std::string& zone);

/// "2026-12-01T14:00:00Z".
std::string format_utc(int64_t utc_ms);

bool is_known_zone(const std::string& zone);

}  // namespace herald
