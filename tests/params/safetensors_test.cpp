// The safetensors reader and writer: the 164-byte example of the reference (§7) byte for byte,
// every mutation of §8, sharded checkpoints, and every dtype decoded against NumPy.
#include "xferval/params/safetensors.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <sstream>

#include "test_support.hpp"
#include "xferval/core/error.hpp"

namespace xferval::params {
namespace {

using testing::TempDir;

const std::string kExampleJson =
    R"({"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
    R"("b":{"dtype":"BF16","shape":[2,1],"data_offsets":[8,12]}})";

std::string length_prefix(uint64_t n) {
  std::string bytes(8, '\0');
  for (int i = 0; i < 8; ++i) bytes[i] = static_cast<char>((n >> (8 * i)) & 0xFF);
  return bytes;
}

const std::string kExampleData("\x00\x00\x80\x3f\x00\x00\x20\xc0\x80\x3f\x00\x3f", 12);

// The file from a header text and the example's data, with N set to the header's length.
std::string file_with(const std::string& header, const std::string& data = kExampleData) {
  return length_prefix(header.size()) + header + data;
}

std::string example() { return file_with(kExampleJson + "  "); }

std::string replace(std::string text, const std::string& from, const std::string& to) {
  const size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return text.replace(at, from.size(), to);
}

// The InputError's where() and what() of opening the bytes as a file.
std::pair<std::string, std::string> reject(const std::string& bytes) {
  TempDir folder;
  const std::string path = folder.write("m.safetensors", bytes).string();
  try {
    SafetensorsFile file(path);
  } catch (const InputError& error) {
    EXPECT_EQ(error.file(), path);
    return {error.where(), error.what()};
  }
  ADD_FAILURE() << "accepted";
  return {};
}

std::vector<double> values_of(const TensorView& tensor) {
  std::vector<double> values;
  tensor.for_each_block(
      3, [&](const double* block, size_t count) { values.insert(values.end(), block, block + count); });
  return values;
}

TEST(Safetensors, ReadsTheReferenceExampleByteForByte) {
  const std::string bytes = example();
  ASSERT_EQ(bytes.size(), 164u);
  const unsigned char head[] = {0x90, 0, 0, 0, 0, 0, 0, 0, 0x7b, 0x22};
  EXPECT_EQ(0, std::memcmp(bytes.data(), head, sizeof head));
  TempDir folder;
  SafetensorsFile file(folder.write("example.safetensors", bytes).string());
  EXPECT_EQ(file.header_size(), 144u);
  ASSERT_EQ(file.tensors().size(), 2u);
  EXPECT_EQ(file.metadata().at("format"), "pt");
  const TensorView& a = *file.find("a");
  EXPECT_EQ(a.dtype, Dtype::F32);
  EXPECT_EQ(a.shape, std::vector<uint64_t>({2}));
  EXPECT_EQ(values_of(a), std::vector<double>({1.0, -2.5}));
  const TensorView& b = *file.find("b");
  EXPECT_EQ(b.dtype, Dtype::BF16);
  EXPECT_EQ(b.shape, std::vector<uint64_t>({2, 1}));
  EXPECT_EQ(b.bytes.size(), 4u);
  EXPECT_EQ(values_of(b), std::vector<double>({1.0, 0.5}));
}

TEST(Safetensors, WriterProducesTheReferenceExample) {
  std::vector<TensorData> tensors = {make_tensor("b", Dtype::BF16, {2, 1}, {1.0, 0.5}),
                                     make_tensor("a", Dtype::F32, {2}, {1.0, -2.5})};
  EXPECT_EQ(serialize_safetensors(tensors, {{"format", "pt"}}), example());
  TempDir folder;
  const auto path = folder / "w.safetensors";
  write_safetensors(path.string(), tensors, {{"format", "pt"}});
  EXPECT_EQ(testing::read_file(path), example());
  EXPECT_EQ(folder.entry_count(), 1u);  // no temporary left
}

TEST(Safetensors, AcceptsTheFourAcceptedVariants) {
  TempDir folder;
  SafetensorsFile padded(
      folder.write("p.safetensors", file_with(kExampleJson + std::string(10, ' '))).string());
  EXPECT_EQ(padded.tensors().size(), 2u);
  SafetensorsFile leading(folder.write("l.safetensors", file_with(" \n\t" + kExampleJson)).string());
  EXPECT_EQ(values_of(*leading.find("a")), std::vector<double>({1.0, -2.5}));
  const std::string with_empty =
      replace(kExampleJson, "}}", R"(},"c":{"dtype":"F32","shape":[2,0],"data_offsets":[12,12]}})");
  SafetensorsFile empty(folder.write("e.safetensors", file_with(with_empty)).string());
  ASSERT_NE(empty.find("c"), nullptr);
  EXPECT_EQ(empty.find("c")->element_count(), 0u);
}

TEST(Safetensors, RejectsEveryMutationOfTheReference) {
  struct Case {
    std::string bytes, where, needle;
  };
  const std::string whole = example();
  std::string invalid_utf8 = whole;
  invalid_utf8[8 + 20] = static_cast<char>(0xFF);
  std::string too_large = whole;
  std::memcpy(too_large.data(), length_prefix(100'000'001).data(), 8);
  std::string too_long = whole;
  std::memcpy(too_long.data(), length_prefix(200).data(), 8);
  const std::vector<Case> cases = {
      {whole.substr(0, 7), "byte 0", "HeaderTooSmall"},
      {too_large, "byte 0", "HeaderTooLarge"},
      {too_long, "byte 0", "InvalidHeaderLength"},
      {invalid_utf8, "byte 28", "InvalidHeader"},
      {file_with(replace(kExampleJson, "}}", "}")), "byte", "InvalidHeaderDeserialization"},
      {file_with(replace(kExampleJson, "BF16", "F12")), "tensor 'b'", "unknown dtype \"F12\""},
      {file_with(replace(kExampleJson, "\"pt\"", "3")), "__metadata__ \"format\"", "not a string"},
      {file_with(replace(kExampleJson, "[8,12]", "[10,14]"), kExampleData + "xx"), "tensor 'b'",
       "InvalidOffset"},
      {file_with(replace(kExampleJson, "[8,12]", "[6,10]")), "tensor 'b'", "overlaps"},
      {file_with(replace(kExampleJson, "\"shape\":[2]", "\"shape\":[3]")), "tensor 'a'", "TensorInvalidInfo"},
      {file_with(replace(kExampleJson, "}}", R"(},"c":{"dtype":"F4","shape":[3],"data_offsets":[12,12]}})")),
       "tensor 'c'", "MisalignedSlice"},
      {file_with(replace(kExampleJson, "}}",
                         R"(},"c":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[12,12]}})")),
       "tensor 'c'", "ValidationOverflow"},
      {whole + "x", "byte 164", "MetadataIncompleteBuffer"},
      {file_with(replace(kExampleJson, "\"b\":", "\"a\":")), "tensor 'a'", "twice"},
      {file_with(replace(kExampleJson, "[2]", "[281474976710656]")), "tensor 'a'", "48-bit"},
      {whole.substr(0, 160), "byte 164", "truncated"},
  };
  for (const Case& test : cases) {
    auto [where, what] = reject(test.bytes);
    EXPECT_NE(where.find(test.where), std::string::npos) << where << " | " << what;
    EXPECT_NE(what.find(test.needle), std::string::npos) << what;
  }
}

TEST(Safetensors, ReadsShardedCheckpointsAndRejectsBadIndexes) {
  TempDir folder;
  folder.write("s1.safetensors", serialize_safetensors({make_tensor("x", Dtype::F32, {2}, {1, 2})}));
  folder.write("s2.safetensors", serialize_safetensors({make_tensor("y", Dtype::F64, {1}, {3})}));
  const auto index = folder.write(
      "model.safetensors.index.json",
      R"({"metadata":{"total_size":16},"weight_map":{"x":"s1.safetensors","y":"s2.safetensors"}})");
  auto set = open_parameters(folder.path().string());
  ASSERT_EQ(set->tensors().size(), 2u);
  EXPECT_EQ(values_of(*set->find("y")), std::vector<double>({3}));
  EXPECT_EQ(set->origin(), index.string());

  auto error_of = [&](const std::string& text) -> std::string {
    const auto path = folder.write("bad.index.json", text);
    try {
      open_parameters(path.string());
    } catch (const InputError& error) {
      return error.what();
    }
    return "accepted";
  };
  EXPECT_NE(error_of(R"({"weight_map":{"x":"s1.safetensors","y":"s3.safetensors"}})")
                .find("shard 's3.safetensors' does not exist"),
            std::string::npos);
  EXPECT_NE(
      error_of(R"({"weight_map":{"x":"s1.safetensors","y":"s1.safetensors"}})").find("not in its shard"),
      std::string::npos);
  EXPECT_NE(error_of(R"({"weight_map":{"y":"s2.safetensors","z":"s1.safetensors"}})").find("tensor 'x'"),
            std::string::npos);
}

// Every byte pattern of the 8-bit floats, every F16 and a spread of BF16 values, decoded by NumPy
// (float16 natively, BF16 shifted into float32, F8 by a decode table built in NumPy).
TEST(Safetensors, DecodesEveryDtypeLikeNumPy) {
  TempDir folder;
  const std::string path = (folder / "all.safetensors").string();
  const std::string output = testing::run_python(R"PY(
import json, struct, numpy as np
rng = np.random.default_rng(7)
def f8_table(e, m, bias, kind):
    out = []
    for b in range(256):
        s = -1.0 if b >> (e + m) else 1.0
        ex = (b >> m) & ((1 << e) - 1); ma = b & ((1 << m) - 1)
        if kind == "fnuz" and b == 0x80: out.append(np.nan); continue
        if kind == "ieee" and ex == (1 << e) - 1: out.append(s * np.inf if ma == 0 else np.nan); continue
        if kind == "fn" and ex == (1 << e) - 1 and ma == (1 << m) - 1: out.append(np.nan); continue
        v = (ma / 2**m) * 2.0**(1 - bias) if ex == 0 else (1 + ma / 2**m) * 2.0**(ex - bias)
        out.append(s * v)
    return np.array(out)
tables = {"F8_E5M2": f8_table(5, 2, 15, "ieee"), "F8_E4M3": f8_table(4, 3, 7, "fn"),
          "F8_E4M3FNUZ": f8_table(4, 3, 8, "fnuz"), "F8_E5M2FNUZ": f8_table(5, 2, 16, "fnuz"),
          "F8_E8M0": np.array([np.nan if b == 255 else 2.0**(b - 127) for b in range(256)])}
arrays = {}
for name in tables: arrays[name] = (np.arange(256, dtype=np.uint8), tables[name])
h = np.arange(65536, dtype=np.uint16)
arrays["F16"] = (h, h.view(np.float16).astype(np.float64))
bf = rng.integers(0, 65536, 5000, dtype=np.uint32).astype(np.uint16)
arrays["BF16"] = (bf, (bf.astype(np.uint32) << 16).view(np.float32).astype(np.float64))
for dt, np_dt in [("I8", np.int8), ("U8", np.uint8), ("I16", np.int16), ("U16", np.uint16), ("I32", np.int32),
                  ("U32", np.uint32), ("I64", np.int64), ("U64", np.uint64), ("F32", np.float32), ("F64", np.float64)]:
    info = np.iinfo(np_dt) if np.issubdtype(np_dt, np.integer) else None
    a = (rng.integers(info.min, info.max, 1000, dtype=np_dt, endpoint=True) if info is not None
         else rng.standard_normal(1000).astype(np_dt) * 1e3)
    arrays[dt] = (a, a.astype(np.float64))
b = rng.integers(0, 2, 100).astype(np.uint8)
arrays["BOOL"] = (b, b.astype(np.float64))
c = (rng.standard_normal(20) + 1j * rng.standard_normal(20)).astype(np.complex64)
arrays["C64"] = (c, c.view(np.float32).astype(np.float64))
header, blobs, offset = {}, [], 0
for name, (raw, _) in arrays.items():
    data = raw.astype(raw.dtype.newbyteorder("<")).tobytes()
    header["t_" + name] = {"dtype": name, "shape": [raw.size], "data_offsets": [offset, offset + len(data)]}
    blobs.append(data); offset += len(data)
text = json.dumps(header, separators=(",", ":")).encode()
text += b" " * ((8 - len(text) % 8) % 8)
open(")PY" + path + R"PY(", "wb").write(struct.pack("<Q", len(text)) + text + b"".join(blobs))
for name, (_, values) in arrays.items():
    print(name, " ".join(repr(float(v)) for v in values))
)PY");
  SafetensorsFile file(path);
  std::istringstream lines(output);
  std::string line;
  size_t dtypes = 0;
  while (std::getline(lines, line)) {
    std::istringstream fields(line);
    std::string name;
    fields >> name;
    std::vector<double> expected;
    for (std::string token; fields >> token;) expected.push_back(std::strtod(token.c_str(), nullptr));
    const TensorView* tensor = file.find("t_" + name);
    ASSERT_NE(tensor, nullptr) << name;
    EXPECT_EQ(std::string(to_string(tensor->dtype)), name);
    const std::vector<double> actual = values_of(*tensor);
    ASSERT_EQ(actual.size(), expected.size()) << name;
    for (size_t i = 0; i < actual.size(); ++i) {
      if (std::isnan(expected[i])) {
        EXPECT_TRUE(std::isnan(actual[i])) << name << " " << i;
      } else {
        ASSERT_EQ(actual[i], expected[i]) << name << " value " << i;
      }
    }
    ++dtypes;
  }
  EXPECT_EQ(dtypes, 19u);
}

TEST(Safetensors, DecodesPackedFourBitFloats) {
  // E2M1 nibbles, value 0 in the low nibble: 0x21 -> 0.5 then 1.0; 0xF7 -> 6.0 then -6.0.
  const std::string data("\x21\xF7", 2);
  const std::string header = R"({"q":{"dtype":"F4","shape":[4],"data_offsets":[0,2]}})";
  TempDir folder;
  SafetensorsFile file(folder.write("q.safetensors", file_with(header, data)).string());
  EXPECT_EQ(values_of(*file.find("q")), std::vector<double>({0.5, 1.0, 6.0, -6.0}));
}

TEST(Safetensors, WriterRoundTripsHalfAndBfloatAndIntegers) {
  const std::vector<double> values = {0.1, -3.75, 65504, 1e-8, 0};
  for (Dtype dtype : {Dtype::F16, Dtype::BF16, Dtype::F32, Dtype::F64, Dtype::I32}) {
    TempDir folder;
    const std::string path = (folder / "r.safetensors").string();
    write_safetensors(path, {make_tensor("t", dtype, {5}, values)});
    SafetensorsFile file(path);
    const std::vector<double> back = values_of(*file.find("t"));
    for (size_t i = 0; i < values.size(); ++i) {
      const double tolerance = dtype == Dtype::I32    ? 1.0
                               : dtype == Dtype::BF16 ? 1e-2
                               : dtype == Dtype::F16  ? 1e-3
                                                      : 1e-7;
      EXPECT_NEAR(back[i], values[i], tolerance * std::max(1.0, std::fabs(values[i]))) << to_string(dtype);
    }
  }
}

}  // namespace
}  // namespace xferval::params
