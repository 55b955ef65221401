#pragma once
// Reading and writing the [checks."NAME"] tables that every verb's policy file shares
// (threshold, severity, enabled), so `check` and `verify` policies behave alike.
#include <string>
#include <string_view>
#include <toml++/toml.h>
#include <vector>

#include "xferval/check/policy.hpp"

namespace xferval {

// The parsed file; InputError naming the line and column of a syntax error.
toml::table parse_policy_file(const std::string& path);
// "line L, column C" of a node, for messages.
std::string policy_location(const toml::node& node);
// Applies a [checks] table to `checks`; InputError for an unknown check or setting or a bad value.
// `verb` names the command whose --print-policy lists the checks.
void apply_check_overrides(const toml::node& checks_node, std::vector<CheckDefinition>& checks,
                           const std::string& path, std::string_view verb);
// Every check as a [checks."NAME"] table with its description, metric and direction as comments.
std::string checks_to_toml(const std::vector<CheckDefinition>& checks);
// The definition named `name`; std::logic_error when there is none (a programming error).
const CheckDefinition& find_check(const std::vector<CheckDefinition>& checks, const std::string& name);

}  // namespace xferval
