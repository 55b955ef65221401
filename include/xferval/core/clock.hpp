#pragma once
#include <string>

namespace xferval {

// The current time in UTC as ISO 8601 with seconds, e.g. "2026-11-29T02:13:07Z", for lineage.
std::string utc_timestamp();

}  // namespace xferval
