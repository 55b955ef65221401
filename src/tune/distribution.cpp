#include "xferval/tune/distribution.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace xferval::tune {

namespace {

using nlohmann::json;

// A decimal number as Python's Decimal(str(x)) sees it: mantissa * 10^exponent.
struct Decimal {
  __int128 mantissa = 0;
  int exponent = 0;
};

Decimal to_decimal(double value) {
  std::string text = python_float_repr(value);
  Decimal result;
  bool negative = false;
  int fraction_digits = 0;
  bool in_fraction = false;
  size_t i = 0;
  if (text[i] == '-') {
    negative = true;
    ++i;
  }
  for (; i < text.size() && text[i] != 'e'; ++i) {
    if (text[i] == '.') {
      in_fraction = true;
      continue;
    }
    result.mantissa = result.mantissa * 10 + (text[i] - '0');
    if (in_fraction) ++fraction_digits;
  }
  int exponent = i < text.size() ? std::atoi(text.c_str() + i + 1) : 0;
  result.exponent = exponent - fraction_digits;
  if (negative) result.mantissa = -result.mantissa;
  return result;
}

__int128 scale_to(const Decimal& d, int exponent) {
  __int128 m = d.mantissa;
  for (int e = d.exponent; e > exponent; --e) m *= 10;
  return m;
}

std::string int128_to_string(__int128 value) {
  if (value == 0) return "0";
  bool negative = value < 0;
  std::string digits;
  while (value != 0) {
    int digit = static_cast<int>(value % 10);
    digits.insert(digits.begin(), static_cast<char>('0' + (negative ? -digit : digit)));
    value /= 10;
  }
  return negative ? "-" + digits : digits;
}

// Optuna's _adjust_discrete_uniform_high, done in decimal arithmetic as Optuna does, so that
// [0, 1] with step 0.1 is not snapped to 0.9 by binary rounding.
double adjust_discrete_high(double low, double high, double step) {
  Decimal d_low = to_decimal(low), d_high = to_decimal(high), d_step = to_decimal(step);
  int exponent = std::min({d_low.exponent, d_high.exponent, d_step.exponent});
  int max_exponent = std::max({d_low.exponent, d_high.exponent, d_step.exponent});
  if (max_exponent - exponent > 18) {  // beyond what 128 bits hold exactly: binary fallback
    double r = high - low;
    double k = std::floor(r / step);
    return std::fabs(r - k * step) < 1e-12 * std::fabs(step) ? high : k * step + low;
  }
  __int128 l = scale_to(d_low, exponent), h = scale_to(d_high, exponent), s = scale_to(d_step, exponent);
  __int128 r = h - l;
  if (r % s == 0) return high;
  __int128 snapped = (r / s) * s + l;
  std::string text = int128_to_string(snapped) + "e" + std::to_string(exponent);
  return std::strtod(text.c_str(), nullptr);
}

std::string json_string(const std::string& text) { return json(text).dump(-1, ' ', true); }

std::string choice_json(const ParamValue& choice) {
  return std::visit(
      [](const auto& v) -> std::string {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::monostate>) {
          return "null";
        } else if constexpr (std::is_same_v<T, bool>) {
          return v ? "true" : "false";
        } else if constexpr (std::is_same_v<T, int64_t>) {
          return std::to_string(v);
        } else if constexpr (std::is_same_v<T, double>) {
          if (std::isnan(v)) return "NaN";
          if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
          return python_float_repr(v);
        } else {
          return json_string(v);
        }
      },
      choice);
}

ParamValue choice_from_json(const json& value) {
  if (value.is_null()) return std::monostate{};
  if (value.is_boolean()) return value.get<bool>();
  if (value.is_number_integer()) return value.get<int64_t>();
  if (value.is_number_float()) return value.get<double>();
  if (value.is_string()) return value.get<std::string>();
  throw std::invalid_argument("a categorical choice must be null, bool, int, float or string, not " +
                              value.dump());
}

std::optional<double> numeric_of(const ParamValue& value) {
  if (auto b = std::get_if<bool>(&value)) return *b ? 1.0 : 0.0;
  if (auto i = std::get_if<int64_t>(&value)) return static_cast<double>(*i);
  if (auto d = std::get_if<double>(&value)) return *d;
  return std::nullopt;
}

double number_field(const json& attributes, const char* key) {
  if (!attributes.contains(key) || !attributes[key].is_number())
    throw std::invalid_argument(fmt::format("distribution attribute '{}' must be a number", key));
  return attributes[key].get<double>();
}

int64_t int_field(const json& attributes, const char* key, int64_t fallback) {
  if (!attributes.contains(key) || attributes[key].is_null()) return fallback;
  if (!attributes[key].is_number()) throw std::invalid_argument(fmt::format("'{}' must be an integer", key));
  return static_cast<int64_t>(attributes[key].get<double>());
}

bool bool_field(const json& attributes, const char* key) {
  return attributes.contains(key) && !attributes[key].is_null() && attributes[key].get<bool>();
}

std::optional<double> optional_number(const json& attributes, const char* key) {
  if (!attributes.contains(key) || attributes[key].is_null()) return std::nullopt;
  return number_field(attributes, key);
}

}  // namespace

std::string python_float_repr(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  char buffer[64];
  auto result = std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::scientific);
  std::string scientific(buffer, result.ptr);
  size_t e_pos = scientific.find('e');
  std::string mantissa = scientific.substr(0, e_pos);
  int exponent = std::atoi(scientific.c_str() + e_pos + 1);
  bool negative = mantissa[0] == '-';
  if (negative) mantissa.erase(0, 1);
  std::string digits;
  for (char c : mantissa)
    if (c != '.') digits += c;
  std::string out;
  if (exponent >= -4 && exponent < 16) {
    if (exponent < 0) {
      out = "0." + std::string(static_cast<size_t>(-exponent - 1), '0') + digits;
    } else if (static_cast<int>(digits.size()) <= exponent + 1) {
      out = digits + std::string(static_cast<size_t>(exponent + 1 - static_cast<int>(digits.size())), '0') +
            ".0";
    } else {
      out = digits.substr(0, static_cast<size_t>(exponent + 1)) + "." +
            digits.substr(static_cast<size_t>(exponent + 1));
    }
  } else {
    out = digits.substr(0, 1);
    if (digits.size() > 1) out.append(".").append(digits, 1);
    out += fmt::format("e{}{:02d}", exponent < 0 ? '-' : '+', std::abs(exponent));
  }
  return negative ? "-" + out : out;
}

std::string to_string(const ParamValue& value) {
  return std::visit(
      [](const auto& v) -> std::string {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::monostate>) {
          return "None";
        } else if constexpr (std::is_same_v<T, bool>) {
          return v ? "True" : "False";
        } else if constexpr (std::is_same_v<T, int64_t>) {
          return std::to_string(v);
        } else if constexpr (std::is_same_v<T, double>) {
          return python_float_repr(v);
        } else {
          return v;
        }
      },
      value);
}

bool choice_equal(const ParamValue& a, const ParamValue& b) {
  auto na = numeric_of(a), nb = numeric_of(b);
  if (na && nb) return *na == *nb || (std::isnan(*na) && std::isnan(*nb));
  if (na || nb) return false;
  return a == b;
}

FloatDistribution make_float(double low, double high, bool log, std::optional<double> step,
                             std::optional<double>* adjusted_from) {
  if (log && step) throw std::invalid_argument("The parameter `step` is not supported when `log` is true.");
  if (!(low <= high))
    throw std::invalid_argument(
        fmt::format("The `low` value must be smaller than or equal to the `high` value (low={}, high={}).",
                    python_float_repr(low), python_float_repr(high)));
  if (log && low <= 0.0)
    throw std::invalid_argument(
        fmt::format("The `low` value must be larger than 0 for a log distribution (low={}, high={}).",
                    python_float_repr(low), python_float_repr(high)));
  if (step && !(*step > 0))
    throw std::invalid_argument(fmt::format("The `step` value must be non-zero positive value, but step={}.",
                                            python_float_repr(*step)));
  FloatDistribution d{low, high, log, step};
  if (step) {
    d.high = adjust_discrete_high(low, high, *step);
    if (adjusted_from && d.high != high) *adjusted_from = high;
  }
  return d;
}

IntDistribution make_int(int64_t low, int64_t high, bool log, int64_t step,
                         std::optional<int64_t>* adjusted_from) {
  if (log && step != 1)
    throw std::invalid_argument(
        "Samplers and other components in Optuna only accept step is 1 when `log` argument is True.");
  if (low > high)
    throw std::invalid_argument(fmt::format(
        "The `low` value must be smaller than or equal to the `high` value (low={}, high={}).", low, high));
  if (log && low < 1)
    throw std::invalid_argument(fmt::format(
        "The `low` value must be equal to or greater than 1 for a log distribution (low={}, high={}).", low,
        high));
  if (step <= 0)
    throw std::invalid_argument(
        fmt::format("The `step` value must be non-zero positive value, but step={}.", step));
  IntDistribution d{low, high, log, step};
  int64_t range = high - low;
  if (range % step != 0) {
    d.high = range / step * step + low;
    if (adjusted_from) *adjusted_from = high;
  }
  return d;
}

CategoricalDistribution make_categorical(std::vector<ParamValue> choices) {
  if (choices.empty()) throw std::invalid_argument("The `choices` must contain one or more elements.");
  return CategoricalDistribution{std::move(choices)};
}

double to_internal(const Distribution& distribution, const ParamValue& external) {
  if (auto c = std::get_if<CategoricalDistribution>(&distribution)) {
    for (size_t i = 0; i < c->choices.size(); ++i)
      if (choice_equal(external, c->choices[i])) return static_cast<double>(i);
    throw std::invalid_argument(fmt::format("'{}' is not one of the choices.", to_string(external)));
  }
  auto number = numeric_of(external);
  if (!number)
    throw std::invalid_argument(
        fmt::format("'{}' is not a valid type. float-castable value is expected.", to_string(external)));
  if (std::isnan(*number)) throw std::invalid_argument("`nan` is invalid value.");
  bool log = std::visit(
      [](const auto& d) {
        if constexpr (std::is_same_v<std::decay_t<decltype(d)>, CategoricalDistribution>)
          return false;
        else
          return d.log;
      },
      distribution);
  if (log && *number <= 0.0)
    throw std::invalid_argument(
        fmt::format("`{}` is invalid value for the case log=True.", to_string(external)));
  return *number;
}

ParamValue to_external(const Distribution& distribution, double internal) {
  if (std::holds_alternative<FloatDistribution>(distribution)) return internal;
  if (std::holds_alternative<IntDistribution>(distribution)) return static_cast<int64_t>(internal);
  const auto& choices = std::get<CategoricalDistribution>(distribution).choices;
  auto index = static_cast<size_t>(internal);
  if (internal < 0 || index >= choices.size())
    throw std::invalid_argument(fmt::format("categorical index {} is out of range", internal));
  return choices[index];
}

bool contains(const Distribution& distribution, double value) {
  if (auto f = std::get_if<FloatDistribution>(&distribution)) {
    if (!(f->low <= value && value <= f->high)) return false;
    if (!f->step) return true;
    double k = (value - f->low) / *f->step;
    return std::fabs(k - std::nearbyint(k)) < 1.0e-8;
  }
  if (auto i = std::get_if<IntDistribution>(&distribution)) {
    if (!(static_cast<double>(i->low) <= value && value <= static_cast<double>(i->high))) return false;
    return std::fmod(value - static_cast<double>(i->low), static_cast<double>(i->step)) == 0;
  }
  auto index = static_cast<int64_t>(value);
  return index >= 0 &&
         index < static_cast<int64_t>(std::get<CategoricalDistribution>(distribution).choices.size());
}

bool is_single(const Distribution& distribution) {
  if (auto f = std::get_if<FloatDistribution>(&distribution)) {
    if (f->low == f->high) return true;
    return f->step && adjust_discrete_high(f->low, f->high, *f->step) == f->low;
  }
  if (auto i = std::get_if<IntDistribution>(&distribution))
    return i->low == i->high || i->high - i->low < i->step;
  return std::get<CategoricalDistribution>(distribution).choices.size() == 1;
}

bool operator==(const Distribution& a, const Distribution& b) {
  if (a.index() != b.index()) return false;
  if (auto f = std::get_if<FloatDistribution>(&a)) {
    const auto& g = std::get<FloatDistribution>(b);
    return f->low == g.low && f->high == g.high && f->log == g.log && f->step == g.step;
  }
  if (auto i = std::get_if<IntDistribution>(&a)) {
    const auto& j = std::get<IntDistribution>(b);
    return i->low == j.low && i->high == j.high && i->log == j.log && i->step == j.step;
  }
  const auto& ca = std::get<CategoricalDistribution>(a).choices;
  const auto& cb = std::get<CategoricalDistribution>(b).choices;
  if (ca.size() != cb.size()) return false;
  for (size_t k = 0; k < ca.size(); ++k)
    if (!choice_equal(ca[k], cb[k])) return false;
  return true;
}

void check_compatible(const Distribution& stored, const Distribution& requested) {
  if (stored.index() != requested.index())
    throw std::invalid_argument("Cannot set different distribution kind to the same parameter name.");
  if (auto f = std::get_if<FloatDistribution>(&stored)) {
    if (f->log != std::get<FloatDistribution>(requested).log)
      throw std::invalid_argument("Cannot set different log configuration to the same parameter name.");
  } else if (auto i = std::get_if<IntDistribution>(&stored)) {
    if (i->log != std::get<IntDistribution>(requested).log)
      throw std::invalid_argument("Cannot set different log configuration to the same parameter name.");
  } else if (!(stored == requested)) {
    throw std::invalid_argument("CategoricalDistribution does not support dynamic value space.");
  }
}

std::string distribution_to_json(const Distribution& distribution) {
  if (auto f = std::get_if<FloatDistribution>(&distribution)) {
    return fmt::format(R"({{"name": "FloatDistribution", "attributes": {{"step": {}, "low": {}, "high": {}, )"
                       R"("log": {}}}}})",
                       f->step ? python_float_repr(*f->step) : "null", python_float_repr(f->low),
                       python_float_repr(f->high), f->log ? "true" : "false");
  }
  if (auto i = std::get_if<IntDistribution>(&distribution)) {
    return fmt::format(
        R"({{"name": "IntDistribution", "attributes": {{"log": {}, "step": {}, "low": {}, "high": {}}}}})",
        i->log ? "true" : "false", i->step, i->low, i->high);
  }
  std::string choices;
  for (const auto& choice : std::get<CategoricalDistribution>(distribution).choices) {
    if (!choices.empty()) choices += ", ";
    choices += choice_json(choice);
  }
  return R"({"name": "CategoricalDistribution", "attributes": {"choices": [)" + choices + "]}}";
}

Distribution json_to_distribution(const std::string& json_text) {
  json document;
  try {
    document = json::parse(json_text);
  } catch (const json::exception& e) {
    throw std::invalid_argument(std::string("distribution JSON does not parse: ") + e.what());
  }
  if (!document.is_object()) throw std::invalid_argument("distribution JSON must be an object");
  if (document.contains("name")) {
    std::string name = document["name"].get<std::string>();
    const json& a = document.contains("attributes") ? document["attributes"] : json::object();
    if (name == "CategoricalDistribution") {
      std::vector<ParamValue> choices;
      for (const auto& c : a.at("choices")) choices.push_back(choice_from_json(c));
      return make_categorical(std::move(choices));
    }
    if (name == "FloatDistribution")
      return make_float(number_field(a, "low"), number_field(a, "high"), bool_field(a, "log"),
                        optional_number(a, "step"));
    if (name == "UniformDistribution") return make_float(number_field(a, "low"), number_field(a, "high"));
    if (name == "LogUniformDistribution")
      return make_float(number_field(a, "low"), number_field(a, "high"), true);
    if (name == "DiscreteUniformDistribution")
      return make_float(number_field(a, "low"), number_field(a, "high"), false, number_field(a, "q"));
    if (name == "IntDistribution")
      return make_int(int_field(a, "low", 0), int_field(a, "high", 0), bool_field(a, "log"),
                      int_field(a, "step", 1));
    if (name == "IntUniformDistribution")
      return make_int(int_field(a, "low", 0), int_field(a, "high", 0), false, int_field(a, "step", 1));
    if (name == "IntLogUniformDistribution")
      return make_int(int_field(a, "low", 0), int_field(a, "high", 0), true, int_field(a, "step", 1));
    throw std::invalid_argument("Unknown distribution class: " + name);
  }
  std::string type = document.value("type", "");
  if (type == "categorical") {
    std::vector<ParamValue> choices;
    for (const auto& c : document.at("choices")) choices.push_back(choice_from_json(c));
    return make_categorical(std::move(choices));
  }
  if (type == "float")
    return make_float(number_field(document, "low"), number_field(document, "high"),
                      bool_field(document, "log"), optional_number(document, "step"));
  if (type == "int")
    return make_int(int_field(document, "low", 0), int_field(document, "high", 0),
                    bool_field(document, "log"), int_field(document, "step", 1));
  throw std::invalid_argument("Unknown distribution type: " + type);
}

}  // namespace xferval::tune
