#include "io/py_literal.hpp"

#include <cctype>

namespace xferval::io {

namespace {

class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  PyLiteral parse_all() {
    PyLiteral value = parse_value();
    skip_space();
    if (at_ < text_.size()) fail("unexpected '" + std::string(1, text_[at_]) + "' after the value");
    return value;
  }

 private:
  [[noreturn]] void fail(const std::string& message) const { throw PyLiteralError(at_, message); }

  void skip_space() {
    while (at_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[at_]))) ++at_;
  }

  PyLiteral parse_value() {
    skip_space();
    if (at_ >= text_.size()) fail("the text ends where a value was expected");
    if (++depth_ > kMaxDepth) fail("nested too deeply");
    PyLiteral value;
    value.begin = at_;
    char c = text_[at_];
    if (c == '{') {
      value.kind = PyLiteral::Kind::Dict;
      parse_items(value, '}', true);
    } else if (c == '(') {
      value.kind = PyLiteral::Kind::Tuple;
      parse_items(value, ')', false);
    } else if (c == '[') {
      value.kind = PyLiteral::Kind::List;
      parse_items(value, ']', false);
    } else if (c == '\'' || c == '"') {
      value.kind = PyLiteral::Kind::String;
      value.text = parse_string();
    } else if (c == '-' || std::isdigit(static_cast<unsigned char>(c))) {
      value.kind = PyLiteral::Kind::Integer;
      value.text = parse_integer();
    } else {
      parse_name(value);
    }
    value.end = at_;
    --depth_;
    return value;
  }

  // After the opening bracket: items separated by commas, an optional trailing comma, the closer.
  void parse_items(PyLiteral& value, char closer, bool pairs) {
    ++at_;
    while (true) {
      skip_space();
      if (at_ < text_.size() && text_[at_] == closer) break;
      value.items.push_back(parse_value());
      if (pairs) {
        skip_space();
        if (at_ >= text_.size() || text_[at_] != ':') fail("expected ':' after a dict key");
        ++at_;
        value.items.push_back(parse_value());
      }
      skip_space();
      if (at_ < text_.size() && text_[at_] == ',') {
        ++at_;
        continue;
      }
      if (at_ < text_.size() && text_[at_] == closer) break;
      fail(std::string("expected ',' or '") + closer + "'");
    }
    ++at_;
  }

  std::string parse_string() {
    char quote = text_[at_++];
    std::string contents;
    while (at_ < text_.size() && text_[at_] != quote) {
      if (text_[at_] == '\\' && at_ + 1 < text_.size()) ++at_;
      contents += text_[at_++];
    }
    if (at_ >= text_.size()) fail("unterminated string");
    ++at_;
    return contents;
  }

  std::string parse_integer() {
    size_t start = at_;
    if (text_[at_] == '-') ++at_;
    size_t digits = at_;
    while (at_ < text_.size() && std::isdigit(static_cast<unsigned char>(text_[at_]))) ++at_;
    if (at_ == digits) fail("expected digits");
    std::string number(text_.substr(start, at_ - start));
    if (at_ < text_.size() && (text_[at_] == 'L' || text_[at_] == 'l')) ++at_;  // Python 2 long
    return number;
  }

  void parse_name(PyLiteral& value) {
    size_t start = at_;
    while (at_ < text_.size() && (std::isalnum(static_cast<unsigned char>(text_[at_])) || text_[at_] == '_'))
      ++at_;
    std::string_view name = text_.substr(start, at_ - start);
    if (name == "True") {
      value.kind = PyLiteral::Kind::True;
    } else if (name == "False") {
      value.kind = PyLiteral::Kind::False;
    } else if (name == "None") {
      value.kind = PyLiteral::Kind::None;
    } else {
      at_ = start;
      fail(name.empty() ? "unexpected '" + std::string(1, text_[at_]) + "'"
                        : "unexpected name '" + std::string(name) + "'");
    }
  }

  static constexpr int kMaxDepth = 32;
  std::string_view text_;
  size_t at_ = 0;
  int depth_ = 0;
};

}  // namespace

PyLiteral parse_py_literal(std::string_view text) { return Parser(text).parse_all(); }

const PyLiteral* dict_find(const PyLiteral& dict, std::string_view key) {
  for (size_t i = 0; i + 1 < dict.items.size(); i += 2) {
    if (dict.items[i].kind == PyLiteral::Kind::String && dict.items[i].text == key) return &dict.items[i + 1];
  }
  return nullptr;
}

}  // namespace xferval::io
