#include "xferval/tune/search_space.hpp"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <set>
#include <sstream>

#include "xferval/core/error.hpp"

namespace xferval::tune {

namespace {

std::string line_of(const toml::node& node) { return fmt::format("line {}", node.source().begin.line); }

double number_of(const toml::node& node, const std::string& file, const std::string& what) {
  if (auto i = node.as_integer()) return static_cast<double>(i->get());
  if (auto f = node.as_floating_point()) return f->get();
  throw InputError(file, line_of(node), what + " must be a number");
}

int64_t integer_of(const toml::node& node, const std::string& file, const std::string& what) {
  if (auto i = node.as_integer()) return i->get();
  if (auto f = node.as_floating_point(); f && std::floor(f->get()) == f->get())
    return static_cast<int64_t>(f->get());
  throw InputError(file, line_of(node), what + " must be an integer");
}

Distribution parse_param(const std::string& name, const toml::table& spec, const std::string& file) {
  static const std::set<std::string> known = {"type", "low", "high", "log", "step", "choices"};
  for (const auto& [key, node] : spec)
    if (!known.count(std::string(key.str())))
      throw InputError(
          file, line_of(node),
          fmt::format("params.{}: unknown key '{}' (expected type, low, high, log, step, choices)", name,
                      key.str()));
  const toml::node* type_node = spec.get("type");
  if (!type_node || !type_node->is_string())
    throw InputError(file, line_of(spec),
                     fmt::format("params.{}: type must be \"float\", \"int\" or \"categorical\"", name));
  std::string type = type_node->as_string()->get();
  auto where = [&](const char* key) { return spec.get(key) ? line_of(*spec.get(key)) : line_of(spec); };
  try {
    if (type == "categorical") {
      for (const char* key : {"low", "high", "log", "step"})
        if (spec.get(key))
          throw InputError(file, where(key),
                           fmt::format("params.{}: '{}' does not apply to a categorical", name, key));
      const toml::array* choices = spec.get_as<toml::array>("choices");
      if (!choices)
        throw InputError(file, where("choices"), fmt::format("params.{}: choices must be an array", name));
      std::vector<ParamValue> values;
      for (const auto& c : *choices) {
        if (auto s = c.as_string())
          values.emplace_back(s->get());
        else if (auto i = c.as_integer())
          values.emplace_back(i->get());
        else if (auto f = c.as_floating_point())
          values.emplace_back(f->get());
        else if (auto b = c.as_boolean())
          values.emplace_back(b->get());
        else
          throw InputError(file, line_of(c),
                           fmt::format("params.{}: a choice must be a string, number or bool", name));
      }
      if (values.empty())
        throw InputError(file, where("choices"), fmt::format("params.{}: choices must not be empty", name));
      return make_categorical(std::move(values));
    }
    if (type != "float" && type != "int")
      throw InputError(
          file, where("type"),
          fmt::format("params.{}: unknown type '{}' (expected float, int or categorical)", name, type));
    if (spec.get("choices"))
      throw InputError(file, where("choices"),
                       fmt::format("params.{}: choices only apply to a categorical", name));
    if (!spec.get("low") || !spec.get("high"))
      throw InputError(file, line_of(spec), fmt::format("params.{}: a {} needs low and high", name, type));
    bool log = false;
    if (auto l = spec.get("log")) {
      if (!l->is_boolean())
        throw InputError(file, line_of(*l), fmt::format("params.{}: log must be true or false", name));
      log = l->as_boolean()->get();
    }
    if (type == "float") {
      double low = number_of(*spec.get("low"), file, "low"),
             high = number_of(*spec.get("high"), file, "high");
      std::optional<double> step;
      if (auto s = spec.get("step")) step = number_of(*s, file, "step");
      if (low > high)
        throw InputError(file, where("low"),
                         fmt::format("params.{}: low ({}) is greater than high ({})", name,
                                     python_float_repr(low), python_float_repr(high)));
      std::optional<double> adjusted_from;
      FloatDistribution d = make_float(low, high, log, step, &adjusted_from);
      if (adjusted_from)
        throw InputError(
            file, where("step"),
            fmt::format("params.{}: step {} does not divide [{}, {}]; Optuna would use [{}, {}]", name,
                        python_float_repr(*step), python_float_repr(low), python_float_repr(high),
                        python_float_repr(low), python_float_repr(d.high)));
      return d;
    }
    int64_t low = integer_of(*spec.get("low"), file, "low"),
            high = integer_of(*spec.get("high"), file, "high");
    int64_t step = spec.get("step") ? integer_of(*spec.get("step"), file, "step") : 1;
    if (low > high)
      throw InputError(file, where("low"),
                       fmt::format("params.{}: low ({}) is greater than high ({})", name, low, high));
    std::optional<int64_t> adjusted_from;
    IntDistribution d = make_int(low, high, log, step, &adjusted_from);
    if (adjusted_from)
      throw InputError(file, where("step"),
                       fmt::format("params.{}: step {} does not divide [{}, {}]; Optuna would use [{}, {}]",
                                   name, step, low, high, low, d.high));
    return d;
  } catch (const std::invalid_argument& e) {
    throw InputError(file, line_of(spec), fmt::format("params.{}: {}", name, e.what()));
  }
}

}  // namespace

const Distribution* SearchSpace::find(const std::string& name) const {
  for (const auto& [n, d] : params)
    if (n == name) return &d;
  return nullptr;
}

SearchSpace parse_search_space(const std::string& toml_text, const std::string& file_name) {
  toml::table root;
  try {
    root = toml::parse(toml_text, file_name);
  } catch (const toml::parse_error& e) {
    throw InputError(file_name, fmt::format("line {}", e.source().begin.line), std::string(e.description()));
  }
  for (const auto& [key, node] : root)
    if (key.str() != "params")
      throw InputError(file_name, line_of(node),
                       fmt::format("unknown key '{}' (expected [params.NAME] tables)", key.str()));
  const toml::table* params = root.get_as<toml::table>("params");
  if (!params || params->empty())
    throw InputError(file_name, "line 1", "the search space has no [params.NAME] table");
  std::vector<std::pair<const toml::table*, std::string>> ordered;
  for (const auto& [key, node] : *params) {
    const toml::table* spec = node.as_table();
    if (!spec)
      throw InputError(file_name, line_of(node), fmt::format("params.{} must be a table", key.str()));
    ordered.emplace_back(spec, std::string(key.str()));
  }
  // toml++ iterates keys sorted; keep the order of the file instead.
  std::stable_sort(ordered.begin(), ordered.end(), [](const auto& a, const auto& b) {
    return a.first->source().begin.line < b.first->source().begin.line;
  });
  SearchSpace space;
  for (const auto& [spec, name] : ordered)
    space.params.emplace_back(name, parse_param(name, *spec, file_name));
  return space;
}

SearchSpace load_search_space(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) throw InputError(path.string(), "", "cannot read the search-space file");
  std::stringstream buffer;
  buffer << in.rdbuf();
  return parse_search_space(buffer.str(), path.string());
}

const std::string& default_fine_tuning_space_toml() {
  static const std::string text = R"(# xferval's default fine-tuning search space
[params.learning_rate]
type = "float"
low = 1e-5
high = 1e-1
log = true

[params.weight_decay]
type = "float"
low = 1e-6
high = 1e-2
log = true

[params.epochs]
type = "int"
low = 5
high = 50

[params.batch_size]
type = "int"
low = 16
high = 256
log = true

[params.optimizer]
type = "categorical"
choices = ["sgd", "adam", "adamw"]

[params.freeze]
type = "categorical"
choices = ["none", "backbone"]

[params.label_smoothing]
type = "float"
low = 0.0
high = 0.2

[params.l2sp_strength]
type = "float"
low = 1e-6
high = 1e-1
log = true

[params.schedule]
type = "categorical"
choices = ["constant", "cosine", "step"]

[params.warmup_epochs]
type = "int"
low = 0
high = 5
)";
  return text;
}

SearchSpace default_fine_tuning_space() {
  return parse_search_space(default_fine_tuning_space_toml(), "<default>");
}

}  // namespace xferval::tune
