#pragma once
// Optuna 3.1's parameter distributions (FloatDistribution, IntDistribution,
// CategoricalDistribution): validation, the internal representation that storage and samplers use,
// and the exact JSON text of `optuna.distributions.distribution_to_json`, so that a study written
// here reads back in Optuna and the reverse.
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace xferval::tune {

// An external parameter value: null, bool, int, float or string (Optuna's CategoricalChoiceType).
using ParamValue = std::variant<std::monostate, bool, int64_t, double, std::string>;

std::string to_string(const ParamValue& value);
// Optuna's `_categorical_choice_equal`: 1 == 1.0 == True, like Python's ==.
bool choice_equal(const ParamValue& a, const ParamValue& b);

struct FloatDistribution {
  double low = 0;
  double high = 0;
  bool log = false;
  std::optional<double> step;
};

struct IntDistribution {
  int64_t low = 0;
  int64_t high = 0;
  bool log = false;
  int64_t step = 1;
};

struct CategoricalDistribution {
  std::vector<ParamValue> choices;
};

using Distribution = std::variant<FloatDistribution, IntDistribution, CategoricalDistribution>;

// Validated constructors with Optuna's rules. They throw std::invalid_argument with Optuna's
// message; a range that the step does not divide is snapped down (Optuna warns; `adjusted_from`
// receives the original high so the caller can warn too).
FloatDistribution make_float(double low, double high, bool log = false, std::optional<double> step = {},
                             std::optional<double>* adjusted_from = nullptr);
IntDistribution make_int(int64_t low, int64_t high, bool log = false, int64_t step = 1,
                         std::optional<int64_t>* adjusted_from = nullptr);
CategoricalDistribution make_categorical(std::vector<ParamValue> choices);

// Internal representation: the float itself, the int as a double, the categorical index.
double to_internal(const Distribution& distribution, const ParamValue& external);
ParamValue to_external(const Distribution& distribution, double internal);
bool contains(const Distribution& distribution, double internal);
bool is_single(const Distribution& distribution);

// Same class, same log flag, identical choices (Optuna's check_distribution_compatibility).
// Throws std::invalid_argument with Optuna's message otherwise.
void check_compatible(const Distribution& stored, const Distribution& requested);
bool operator==(const Distribution& a, const Distribution& b);

// Byte-identical to Python's json.dumps({"name": ..., "attributes": dist.__dict__}).
std::string distribution_to_json(const Distribution& distribution);
// Accepts the current names, the legacy ones (UniformDistribution, LogUniformDistribution, ...)
// and the abbreviated form {"type": "float", ...}. Throws std::invalid_argument.
Distribution json_to_distribution(const std::string& json_text);

// Python's repr(float): shortest round trip, "1e-05", "0.1", "5.0", "1e+16", "inf", "nan".
std::string python_float_repr(double value);

}  // namespace xferval::tune
