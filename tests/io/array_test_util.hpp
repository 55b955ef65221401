#pragma once
// Shared by the array reader tests: NumPy's view of an array (printed by a Python snippet),
// reading a source whole, exact comparison and checks of InputError messages.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include "test_support.hpp"
#include "xferval/core/error.hpp"
#include "xferval/io/array.hpp"

namespace xferval::testing {

// Python: dump(name, a) prints "name|dtype|shape|values", every value as repr(float(x)).
inline const char* kPythonDump = R"PY(
import numpy as np
def dump(name, a):
    a = np.asarray(a)
    flat = np.ascontiguousarray(a).reshape(-1)
    print(name + '|' + a.dtype.name + '|' + ','.join(str(d) for d in a.shape) + '|' +
          ' '.join(repr(float(x)) for x in flat))
)PY";

// A Python snippet with dump() defined and OUT set to the folder's path.
inline std::string python_for(const TempDir& dir, const std::string& body) {
  return std::string(kPythonDump) + "OUT = r'''" + dir.path().string() + "'''\n" + body;
}

struct NumpyArray {
  std::string name;
  std::string dtype;
  std::vector<int64_t> shape;  // {1} for a 0-d array, as the readers report it
  std::vector<double> values;
};

inline std::vector<NumpyArray> parse_dumps(const std::string& output) {
  std::vector<NumpyArray> arrays;
  std::istringstream lines(output);
  std::string line;
  while (std::getline(lines, line)) {
    std::vector<std::string> fields;
    std::istringstream parts(line);
    for (std::string field; std::getline(parts, field, '|');) fields.push_back(field);
    if (fields.size() < 3) continue;
    fields.resize(4);
    NumpyArray array{fields[0], fields[1], {}, {}};
    std::istringstream dims(fields[2]);
    for (std::string dim; std::getline(dims, dim, ',');) array.shape.push_back(std::stoll(dim));
    if (array.shape.empty()) array.shape = {1};
    std::istringstream values(fields[3]);
    for (std::string value; values >> value;) array.values.push_back(std::strtod(value.c_str(), nullptr));
    arrays.push_back(std::move(array));
  }
  return arrays;
}

// Reads every sample, `chunk` samples per call.
inline std::vector<double> read_all(ArraySource& source, size_t chunk) {
  std::vector<double> values;
  while (source.read(chunk, values) > 0) {
  }
  return values;
}

// Bit-exact equality, except that any NaN equals any NaN.
inline bool same_value(double a, double b) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
  return a == b && std::signbit(a) == std::signbit(b);
}

inline void expect_values(const std::vector<double>& actual, const std::vector<double>& expected,
                          const std::string& label) {
  ASSERT_EQ(actual.size(), expected.size()) << label;
  size_t mismatches = 0;
  for (size_t i = 0; i < actual.size(); ++i) {
    if (!same_value(actual[i], expected[i]) && ++mismatches <= 5) {
      ADD_FAILURE() << label << ": element " << i << " is " << actual[i] << ", numpy says " << expected[i];
    }
  }
  EXPECT_EQ(mismatches, 0u) << label;
}

// Shape, dtype and every value, read in small chunks, then again after rewind() in one call.
inline void expect_matches_numpy(ArraySource& source, const NumpyArray& expected) {
  EXPECT_EQ(source.shape(), expected.shape) << expected.name;
  EXPECT_EQ(source.dtype(), expected.dtype) << expected.name;
  expect_values(read_all(source, 2), expected.values, expected.name);
  source.rewind();
  expect_values(read_all(source, 1000000), expected.values, expected.name + " (after rewind)");
}

// Runs `action`, which must throw an InputError naming `file` at `where`, with every part in what().
template <typename Action>
void expect_input_error(Action&& action, const std::string& file, const std::string& where,
                        const std::vector<std::string>& parts) {
  try {
    action();
    ADD_FAILURE() << "no InputError; expected one at " << where;
  } catch (const InputError& error) {
    EXPECT_EQ(error.file(), file);
    EXPECT_EQ(error.where(), where) << error.what();
    std::string what = error.what();
    EXPECT_EQ(what.rfind(file + ": ", 0), 0u) << what;
    for (const std::string& part : parts)
      EXPECT_NE(what.find(part), std::string::npos) << what << "\nlacks: " << part;
  }
}

}  // namespace xferval::testing
