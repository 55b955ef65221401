#pragma once
#include <nlohmann/json.hpp>
#include <string>

#include "xferval/profile/profile.hpp"

namespace xferval::cli {

// A readable table of a profile for the terminal.
std::string profile_summary(const Profile& profile);
// The profile document without sketch state: what --json prints.
nlohmann::json profile_summary_json(const Profile& profile);

}  // namespace xferval::cli
