#include "xferval/check/policy_file.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "xferval/core/error.hpp"

namespace xferval {

std::string policy_location(const toml::node& node) {
  return fmt::format("line {}, column {}", node.source().begin.line, node.source().begin.column);
}

toml::table parse_policy_file(const std::string& path) {
  try {
    return toml::parse_file(path);
  } catch (const toml::parse_error& error) {
    if (error.source().begin.line == 0) {
      throw InputError(path, "", fmt::format("cannot read the policy: {}", error.description()));
    }
    throw InputError(path, fmt::format("line {}, column {}", error.source().begin.line, error.source().begin.column),
                     fmt::format("not valid TOML: {}", error.description()));
  }
}

void apply_check_overrides(const toml::node& checks_node, std::vector<CheckDefinition>& checks,
                           const std::string& path, std::string_view verb) {
  const toml::table* table = checks_node.as_table();
  if (!table) throw InputError(path, policy_location(checks_node), "[checks] must be a table");
  for (const auto& [name, entry] : *table) {
    const std::string check_name(name.str());
    auto found = std::find_if(checks.begin(), checks.end(), [&](const CheckDefinition& c) { return c.name == check_name; });
    if (found == checks.end()) {
      throw InputError(path, policy_location(entry),
                       fmt::format("unknown check '{}'; see 'xferval {} --print-policy'", check_name, verb));
    }
    const toml::table* settings = entry.as_table();
    if (!settings) throw InputError(path, policy_location(entry), fmt::format("[checks.\"{}\"] must be a table", check_name));
    for (const auto& [field_key, value] : *settings) {
      const std::string field(field_key.str());
      if (field == "threshold") {
        auto number = value.value<double>();
        if (!number || !std::isfinite(*number)) throw InputError(path, policy_location(value), "threshold must be a number");
        found->threshold = *number;
      } else if (field == "severity") {
        auto text = value.value<std::string>();
        auto severity = text ? severity_from_string(*text) : std::nullopt;
        if (!severity) {
          throw InputError(path, policy_location(value), "severity must be \"error\", \"warn\" or \"info\"");
        }
        found->severity = *severity;
      } else if (field == "enabled") {
        auto flag = value.value<bool>();
        if (!flag) throw InputError(path, policy_location(value), "enabled must be true or false");
        found->enabled = *flag;
      } else {
        throw InputError(path, policy_location(value),
                         fmt::format("unknown setting '{}' for check '{}'; use threshold, severity or enabled", field,
                                     check_name));
      }
    }
  }
}

std::string checks_to_toml(const std::vector<CheckDefinition>& checks) {
  std::string out;
  for (const CheckDefinition& check : checks) {
    out += fmt::format(
        "\n# {}.\n# value: {}; fails when value {} threshold\n[checks.\"{}\"]\nthreshold = {}\nseverity = "
        "\"{}\"\nenabled = {}\n",
        check.description, check.metric, to_string(check.fails_when), check.name, check.threshold,
        to_string(check.severity), check.enabled ? "true" : "false");
  }
  return out;
}

const CheckDefinition& find_check(const std::vector<CheckDefinition>& checks, const std::string& name) {
  auto found = std::find_if(checks.begin(), checks.end(), [&](const CheckDefinition& c) { return c.name == name; });
  if (found == checks.end()) throw std::logic_error("no check named " + name);
  return *found;
}

}  // namespace xferval
