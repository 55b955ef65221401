#pragma once
// A tiny parser for the Python literals in .npy headers: dicts, tuples, lists, strings,
// integers, True, False and None.
#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace xferval::io {

struct PyLiteral {
  enum class Kind { String, Integer, True, False, None, Tuple, List, Dict };
  Kind kind = Kind::None;
  std::string text;              // String: its contents; Integer: its digits (with any '-')
  std::vector<PyLiteral> items;  // Tuple and List: the items; Dict: key, value, key, value, ...
  size_t begin = 0;              // where the literal starts and ends in the parsed text
  size_t end = 0;
};

// Thrown for malformed text; `position` is the offending offset in the text.
class PyLiteralError : public std::runtime_error {
 public:
  PyLiteralError(size_t position, const std::string& message)
      : std::runtime_error(message), position(position) {}
  size_t position;
};

// Parses one literal that fills `text` (surrounding whitespace allowed).
PyLiteral parse_py_literal(std::string_view text);

// The value stored under `key` in a Dict literal, or nullptr.
const PyLiteral* dict_find(const PyLiteral& dict, std::string_view key);

}  // namespace xferval::io
