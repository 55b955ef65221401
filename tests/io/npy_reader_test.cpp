#include <gtest/gtest.h>

#include "array_test_util.hpp"
#include "test_support.hpp"
#include "xferval/core/hash.hpp"

namespace xferval::testing {
namespace {

// Every dtype in both byte orders, C and Fortran order, 0-d, 1-d and 3-d, format versions 1-3.
const char* kWriteArrays = R"PY(
from numpy.lib import format as fmt
rng = np.random.default_rng(12345)
def values(t):
    dt = np.dtype(t)
    if dt.kind == 'b':
        return rng.integers(0, 2, 24).astype(bool)
    if dt.kind in 'iu':
        info = np.iinfo(dt)
        v = rng.integers(info.min, info.max, 24, dtype=dt, endpoint=True)
        v[:3] = [info.min, info.max, 0]
        return v
    info = np.finfo(dt)
    v = (rng.standard_normal(24) * 1000).astype(dt)
    v[:9] = [np.nan, np.inf, -np.inf, -0.0, info.max, info.tiny, info.smallest_subnormal, info.min, 1 / 3]
    return v
def save(name, a, version=None):
    with open(OUT + '/' + name + '.npy', 'wb') as f:
        fmt.write_array(f, a, version=version)
    dump(name, a)
for t in ['bool', 'int8', 'uint8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'uint64',
          'float16', 'float32', 'float64']:
    base = values(t)
    for order, tag in (('<', 'le'), ('>', 'be')):
        flat = base.astype(np.dtype(t).newbyteorder(order))
        save(f'{t}_{tag}_c', flat.reshape(2, 3, 4))
        save(f'{t}_{tag}_fortran', np.asfortranarray(flat.reshape(2, 3, 4)))
        save(f'{t}_{tag}_1d', flat)
        save(f'{t}_{tag}_0d', flat[5:6].reshape(()))
for major in (1, 2, 3):
    save(f'version_{major}', values('float64').reshape(4, 6), version=(major, 0))
save('empty', np.zeros((0, 3), dtype=np.int32))
)PY";

// An .npy file with the given header dict, padded the way numpy pads it (to 64 bytes).
std::string npy_bytes(const std::string& dict, const std::string& data, int major = 1) {
  size_t length_size = major == 1 ? 2 : 4;
  std::string header = dict;
  size_t unpadded = 8 + length_size + header.size() + 1;
  header.append((64 - unpadded % 64) % 64, ' ');
  header += '\n';
  std::string bytes = std::string("\x93NUMPY", 6) + static_cast<char>(major) + '\0';
  for (size_t i = 0; i < length_size; ++i) bytes += static_cast<char>((header.size() >> (8 * i)) & 0xff);
  return bytes + header + data;
}

TEST(NpyReader, EveryDtypeOrderAndVersionEqualsNumpy) {
  TempDir dir;
  std::vector<NumpyArray> arrays = parse_dumps(run_python(python_for(dir, kWriteArrays)));
  ASSERT_EQ(arrays.size(), 12u * 2 * 4 + 3 + 1);
  for (const NumpyArray& expected : arrays) {
    std::string path = (dir / (expected.name + ".npy")).string();
    if (expected.name.find("fortran") != std::string::npos) {
      ASSERT_NE(read_file(path).find("'fortran_order': True"), std::string::npos) << path;
    }
    auto source = open_npy(path);
    expect_matches_numpy(*source, expected);
  }
  EXPECT_EQ(read_file(dir / "version_2.npy")[6], '\x02');
  EXPECT_EQ(read_file(dir / "version_3.npy")[6], '\x03');
}

TEST(NpyReader, ParsesHandWrittenHeadersInAnyLayout) {
  TempDir dir;
  std::string data(
      "\x01\x00\x00\x00\xfe\xff\xff\xff\x03\x00\x00\x00\x04\x00\x00\x00\x05\x00\x00\x00\x06\x00\x00\x00", 24);
  const std::vector<std::string> dicts = {
      "{ 'shape' : ( 2 , 3 ) ,'fortran_order':False, \"descr\":'=i4' , }",
      "{'fortran_order': False, 'descr': '<i4', 'shape': (2, 3)}",
      "{'descr':'<i4','fortran_order':False,'shape':(2L,3L),}",
  };
  for (int major : {1, 2}) {
    for (const std::string& dict : dicts) {
      auto path = dir.write("hand.npy", npy_bytes(dict, data, major));
      auto source = open_npy(path.string());
      EXPECT_EQ(source->shape(), (std::vector<int64_t>{2, 3})) << dict;
      EXPECT_EQ(source->dtype(), "int32");
      expect_values(read_all(*source, 1), {1, -2, 3, 4, 5, 6}, dict);
    }
  }
}

TEST(NpyReader, ContentHashIsTheFilesXxh3) {
  TempDir dir;
  double values[] = {1.5, -2.0, 3.25};
  std::string bytes = npy_bytes("{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }",
                                std::string(reinterpret_cast<const char*>(values), sizeof values));
  auto source = open_npy(dir.write("a.npy", bytes).string());
  EXPECT_EQ(source->content_hash(), hash_bytes(bytes.data(), bytes.size()));
  bytes.back() ^= 1;
  EXPECT_NE(open_npy(dir.write("b.npy", bytes).string())->content_hash(), source->content_hash());
}

TEST(NpyReader, TruncatedDataNamesTheBytes) {
  TempDir dir;
  std::string bytes =
      npy_bytes("{'descr': '<f8', 'fortran_order': False, 'shape': (24,), }", std::string(192, '\0'));
  bytes.resize(bytes.size() - 5);
  std::string path = dir.write("cut.npy", bytes).string();
  expect_input_error(
      [&] { open_npy(path); }, path, "byte 128",
      {"header claims 24 elements (192 bytes of data from byte 128) but the file holds 187 bytes "
       "after the header"});
}

TEST(NpyReader, HeaderClaimingMoreDataThanTheFileHolds) {
  TempDir dir;
  std::string path =
      dir.write("big.npy", npy_bytes("{'descr': '<f8', 'fortran_order': False, 'shape': (1000000,), }",
                                     std::string(800, 'x')))
          .string();
  expect_input_error(
      [&] { open_npy(path); }, path, "byte 128",
      {"header claims 1000000 elements (8000000 bytes of data from byte 128) but the file holds 800 "
       "bytes after the header"});
}

TEST(NpyReader, ShapeWhoseByteCountOverflowsIsAnError) {
  TempDir dir;
  std::string path = dir.write("huge.npy", npy_bytes("{'descr': '<f8', 'fortran_order': False, 'shape': "
                                                     "(4294967296, 4294967296), }",
                                                     ""))
                         .string();
  expect_input_error([&] { open_npy(path); }, path, "byte 60",
                     {"shape (4294967296, 4294967296) is too large"});
}

TEST(NpyReader, ObjectArraysAreRejectedNamingTheDtype) {
  TempDir dir;
  run_python("import numpy as np\nnp.save(r'''" + (dir / "objects.npy").string() +
             "''', np.array([1, 'a', None], dtype=object), allow_pickle=True)\n");
  std::string path = (dir / "objects.npy").string();
  expect_input_error([&] { open_npy(path); }, path, "byte 20",
                     {"object arrays (dtype '|O')", "not supported"});
}

TEST(NpyReader, StringComplexAndStructuredDtypesAreRejected) {
  TempDir dir;
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"'<U5'", "string arrays (dtype '<U5')"},
      {"'<c16'", "complex arrays (dtype '<c16')"},
      {"'<M8[ns]'", "datetime and timedelta arrays (dtype '<M8[ns]')"},
      {"'<f16'", "dtype '<f16' is not supported"},
      {"[('a', '<i4'), ('b', '<f8')]", "structured arrays (dtype [('a', '<i4'), ('b', '<f8')])"},
  };
  for (const auto& [descr, message] : cases) {
    std::string path =
        dir.write("odd.npy",
                  npy_bytes("{'descr': " + descr + ", 'fortran_order': False, 'shape': (1,), }", ""))
            .string();
    expect_input_error([&] { open_npy(path); }, path, "byte 20", {message});
  }
}

TEST(NpyReader, BadMagicTruncatedHeaderAndUnknownVersion) {
  TempDir dir;
  std::string text = dir.write("notes.npy", "hello, this is text\n").string();
  expect_input_error([&] { open_npy(text); }, text, "byte 0",
                     {"not an .npy file", "68 65 6c 6c 6f 2c", "\\x93NUMPY"});

  std::string whole =
      npy_bytes("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }", std::string(8, '\0'));
  std::string cut = dir.write("cut.npy", whole.substr(0, 40)).string();
  expect_input_error(
      [&] { open_npy(cut); }, cut, "byte 40",
      {"truncated header: the header length says 118 bytes from byte 10 but the file ends at byte 40"});

  std::string empty = dir.write("empty.npy", "").string();
  expect_input_error([&] { open_npy(empty); }, empty, "byte 0", {"empty file (0 bytes)"});

  std::string tiny = dir.write("tiny.npy", whole.substr(0, 7)).string();
  expect_input_error([&] { open_npy(tiny); }, tiny, "byte 7", {"truncated header"});

  std::string future = whole;
  future[6] = '\x04';
  std::string version = dir.write("future.npy", future).string();
  expect_input_error([&] { open_npy(version); }, version, "byte 6", {"unsupported .npy format version 4.0"});

  std::string malformed =
      dir.write("bad.npy", npy_bytes("{'descr': '<f8', 'fortran_order': Maybe, 'shape': (1,)}", "")).string();
  expect_input_error([&] { open_npy(malformed); }, malformed, "byte 44",
                     {"malformed .npy header: unexpected name 'Maybe'"});
}

TEST(NpyReader, MissingFileIsAnInputError) {
  expect_input_error([] { open_npy("/nonexistent/arrays.npy"); }, "/nonexistent/arrays.npy", "",
                     {"no such file"});
}

}  // namespace
}  // namespace xferval::testing
