#include "io/npy_header.hpp"

#include <algorithm>
#include <bit>
#include <cctype>
#include <charconv>
#include <cstring>

#include "io/byte_order.hpp"
#include "io/py_literal.hpp"
#include "xferval/core/error.hpp"

namespace xferval::io {

namespace {

constexpr std::string_view kMagic("\x93NUMPY", 6);
constexpr uint64_t kMaxHeaderLength = uint64_t{1} << 20;
constexpr const char* kSupported = "supported: bool, int8..int64, uint8..uint64, float16, float32, float64";

std::string hex_bytes(std::string_view bytes) {
  static const char* digits = "0123456789abcdef";
  std::string text;
  for (unsigned char c : bytes) {
    if (!text.empty()) text += ' ';
    text += digits[c >> 4];
    text += digits[c & 15];
  }
  return text;
}

// Reads the header dict's fields; `fail(offset, message)` reports at an offset in the dict text.
class DictReader {
 public:
  DictReader(const std::string& text, const std::string& file, const ByteStream& stream, uint64_t start)
      : text_(text), file_(file), stream_(stream), start_(start) {}

  [[noreturn]] void fail(size_t offset, const std::string& message) const {
    throw InputError(file_, stream_.where(start_ + offset), message);
  }

  NpyHeader read() const {
    PyLiteral dict;
    try {
      dict = parse_py_literal(text_);
    } catch (const PyLiteralError& error) {
      fail(error.position, std::string("malformed .npy header: ") + error.what() + " in " + quoted_text());
    }
    if (dict.kind != PyLiteral::Kind::Dict)
      fail(dict.begin, "malformed .npy header: not a dict: " + quoted_text());
    NpyHeader header;
    header.layout.type = element_type(field(dict, "descr"));
    header.layout.fortran_order = fortran_order(field(dict, "fortran_order"));
    header.layout.shape = shape(field(dict, "shape"));
    auto bytes = array_bytes(header.layout.shape, static_cast<size_t>(header.layout.type.size));
    if (!bytes)
      fail(field(dict, "shape").begin, "shape " + shape_text(header.layout.shape) + " is too large");
    header.data_bytes = *bytes;
    header.element_count = *bytes / static_cast<uint64_t>(header.layout.type.size);
    if (header.layout.shape.empty()) header.layout.shape = {1};
    return header;
  }

 private:
  std::string quoted_text() const {
    std::string shown = text_.size() > 200 ? text_.substr(0, 200) + "..." : text_;
    while (!shown.empty() && std::isspace(static_cast<unsigned char>(shown.back()))) shown.pop_back();
    return "\"" + shown + "\"";
  }

  const PyLiteral& field(const PyLiteral& dict, const char* key) const {
    const PyLiteral* value = dict_find(dict, key);
    if (value == nullptr)
      fail(0, std::string("malformed .npy header: no '") + key + "' key in " + quoted_text());
    return *value;
  }

  ElementType element_type(const PyLiteral& descr) const {
    std::string source = text_.substr(descr.begin, descr.end - descr.begin);
    if (descr.kind != PyLiteral::Kind::String) {
      fail(descr.begin, "structured arrays (dtype " + source +
                            ") are not supported; save each field as its own " + "numeric array (" +
                            kSupported + ")");
    }
    const std::string& code = descr.text;
    size_t at = (!code.empty() && std::strchr("<>|=", code[0]) != nullptr) ? 1 : 0;
    char kind = at < code.size() ? code[at] : '?';
    std::string_view digits = std::string_view(code).substr(std::min(at + 1, code.size()));
    int size = 0;
    auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), size);
    bool sized = error == std::errc() && end == digits.data() + digits.size();
    ElementType type;
    type.size = size;
    char order = at == 1 ? code[0] : '|';
    type.big_endian = order == '>' || (order == '=' && std::endian::native == std::endian::big);
    if (kind == 'b' && size == 1) {
      type.kind = ElementKind::Bool;
    } else if ((kind == 'i' || kind == 'u') && (size == 1 || size == 2 || size == 4 || size == 8)) {
      type.kind = kind == 'i' ? ElementKind::Signed : ElementKind::Unsigned;
    } else if (kind == 'f' && (size == 2 || size == 4 || size == 8)) {
      type.kind = ElementKind::Float;
    } else {
      fail(descr.begin, unsupported(kind, code));
    }
    if (!sized) fail(descr.begin, unsupported(kind, code));
    return type;
  }

  static std::string unsupported(char kind, const std::string& code) {
    std::string what;
    switch (kind) {
      case 'O':
        what = "object arrays (dtype '" + code + "') hold Python objects, not numbers, and are not supported";
        break;
      case 'S':
      case 'a':
      case 'U':
        what = "string arrays (dtype '" + code + "') are not supported";
        break;
      case 'c':
        what = "complex arrays (dtype '" + code + "') are not supported";
        break;
      case 'M':
      case 'm':
        what = "datetime and timedelta arrays (dtype '" + code + "') are not supported";
        break;
      case 'V':
        what = "raw-bytes arrays (dtype '" + code + "') are not supported";
        break;
      default:
        what = "dtype '" + code + "' is not supported";
    }
    return what + "; " + kSupported;
  }

  bool fortran_order(const PyLiteral& value) const {
    if (value.kind == PyLiteral::Kind::True) return true;
    if (value.kind == PyLiteral::Kind::False) return false;
    fail(value.begin, "malformed .npy header: 'fortran_order' must be True or False in " + quoted_text());
  }

  std::vector<int64_t> shape(const PyLiteral& value) const {
    if (value.kind != PyLiteral::Kind::Tuple && value.kind != PyLiteral::Kind::List) {
      fail(value.begin, "malformed .npy header: 'shape' must be a tuple of integers in " + quoted_text());
    }
    std::vector<int64_t> dims;
    for (const PyLiteral& item : value.items) {
      int64_t dim = -1;
      if (item.kind == PyLiteral::Kind::Integer) {
        std::from_chars(item.text.data(), item.text.data() + item.text.size(), dim);
      }
      if (dim < 0) {
        fail(item.begin, "malformed .npy header: the shape holds '" +
                             text_.substr(item.begin, item.end - item.begin) +
                             "', expected a non-negative integer");
      }
      dims.push_back(dim);
    }
    return dims;
  }

  const std::string& text_;
  const std::string& file_;
  const ByteStream& stream_;
  uint64_t start_;
};

}  // namespace

NpyHeader read_npy_header(ByteStream& stream, const std::string& file) {
  auto fail = [&](uint64_t position, const std::string& message) {
    throw InputError(file, stream.where(position), message);
  };
  std::string preamble = read_string(stream, 8);
  if (preamble.empty()) fail(0, "empty file (0 bytes); expected an .npy file");
  size_t compared = std::min<size_t>(preamble.size(), kMagic.size());
  if (preamble.compare(0, compared, kMagic.substr(0, compared)) != 0) {
    std::string hint = preamble.rfind("PK", 0) == 0 ? " (this is a zip archive: an .npz?)" : "";
    fail(0, "not an .npy file: it starts with bytes " + hex_bytes(preamble.substr(0, 6)) +
                ", expected the magic string \\x93NUMPY" + hint);
  }
  if (preamble.size() < 8) {
    fail(preamble.size(), "truncated header: the file ends at byte " + std::to_string(preamble.size()) +
                              ", inside the preamble (magic string and version)");
  }
  int major = static_cast<unsigned char>(preamble[6]);
  int minor = static_cast<unsigned char>(preamble[7]);
  if (major < 1 || major > 3 || minor != 0) {
    fail(6, "unsupported .npy format version " + std::to_string(major) + "." + std::to_string(minor) +
                "; supported: 1.0, 2.0, 3.0");
  }
  size_t length_size = major == 1 ? 2 : 4;
  std::string length_bytes = read_string(stream, length_size);
  if (length_bytes.size() < length_size) {
    uint64_t end = 8 + length_bytes.size();
    fail(end,
         "truncated header: the file ends at byte " + std::to_string(end) + ", inside the header length");
  }
  uint64_t length =
      major == 1 ? load_le<uint16_t>(length_bytes.data()) : load_le<uint32_t>(length_bytes.data());
  uint64_t start = 8 + length_size;
  if (length > kMaxHeaderLength) {
    fail(8, "the header length says " + std::to_string(length) +
                " bytes, more than the 1 MiB any .npy header needs; " + "the file is corrupt");
  }
  std::string text = read_string(stream, static_cast<size_t>(length));
  if (text.size() < length) {
    uint64_t end = start + text.size();
    fail(end, "truncated header: the header length says " + std::to_string(length) + " bytes from byte " +
                  std::to_string(start) + " but the file ends at byte " + std::to_string(end));
  }
  NpyHeader header = DictReader(text, file, stream, start).read();
  header.layout.data_offset = start + length;
  return header;
}

std::string npy_size_mismatch(const NpyHeader& header, uint64_t available, const std::string& container) {
  return "header claims " + std::to_string(header.element_count) + " elements (" +
         std::to_string(header.data_bytes) + " bytes of data from byte " +
         std::to_string(header.layout.data_offset) + ") but the " + container + " holds " +
         std::to_string(available) + " bytes after the header";
}

}  // namespace xferval::io
