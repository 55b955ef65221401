#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <iostream>

#include "array_test_util.hpp"
#include "test_support.hpp"
#include "xferval/core/hash.hpp"

namespace xferval::testing {
namespace {

const std::string kFashion = "/usr/share/datasets/fashion-mnist/";

// Sum, position-weighted sum and a few values, from numpy reading the file with gzip + frombuffer.
struct Reference {
  std::vector<int64_t> shape;
  uint64_t sum = 0;
  uint64_t weighted = 0;
  std::vector<std::pair<size_t, int>> samples;  // flat index, value
};

Reference numpy_reference(const std::string& file, int header, const std::string& shape) {
  std::string output = run_python(
      "import gzip, numpy as np\n"
      "a = np.frombuffer(gzip.open('" +
      file + "').read(), np.uint8, offset=" + std::to_string(header) + ").reshape(" + shape +
      ")\n"
      "f = a.reshape(-1).astype(np.uint64)\n"
      "w = np.arange(f.size, dtype=np.uint64) % 1009 + 1\n"
      "print(' '.join(str(d) for d in a.shape))\n"
      "print(int(f.sum()), int((f * w).sum()))\n"
      "for i in [0, 406, 1000, 9679, f.size // 2, f.size // 3 + 17, f.size - 1]:\n"
      "    print(i, int(f[i]))\n");
  std::istringstream lines(output);
  std::string line;
  Reference reference;
  std::getline(lines, line);
  std::istringstream dims(line);
  for (int64_t dim; dims >> dim;) reference.shape.push_back(dim);
  lines >> reference.sum >> reference.weighted;
  size_t index;
  int value;
  while (lines >> index >> value) reference.samples.push_back({index, value});
  std::sort(reference.samples.begin(), reference.samples.end());
  return reference;
}

void expect_matches(const std::string& file, int header, const std::string& shape) {
  Reference reference = numpy_reference(file, header, shape);
  auto source = open_idx(file);
  EXPECT_EQ(source->shape(), reference.shape);
  EXPECT_EQ(source->dtype(), "uint8");
  uint64_t sum = 0, weighted = 0, index = 0;
  std::vector<double> chunk;
  std::vector<std::pair<size_t, int>> seen;
  auto start = std::chrono::steady_clock::now();
  while (source->read(1000, chunk) > 0) {
    for (double value : chunk) {
      auto byte = static_cast<uint64_t>(value);
      sum += byte;
      weighted += byte * (index % 1009 + 1);
      for (const auto& [at, expected] : reference.samples) {
        if (at == index) seen.push_back({at, static_cast<int>(value)});
      }
      ++index;
    }
    chunk.clear();
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cout << "  " << file << ": " << index << " values checked in " << seconds << " s\n";
  EXPECT_EQ(sum, reference.sum);
  EXPECT_EQ(weighted, reference.weighted);
  EXPECT_EQ(seen, reference.samples);
}

double time_plain_read(const std::string& file) {
  auto start = std::chrono::steady_clock::now();
  auto source = open_idx(file);
  std::vector<double> chunk;
  while (source->read(1000, chunk) > 0) chunk.clear();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

TEST(IdxReader, FashionMnistTrainingSetEqualsNumpy) {
  ASSERT_TRUE(std::filesystem::exists(kFashion + "train-images-idx3-ubyte.gz"))
      << "install dataset-fashion-mnist (scripts/setup.sh does)";
  expect_matches(kFashion + "train-images-idx3-ubyte.gz", 16, "60000, 28, 28");
  expect_matches(kFashion + "train-labels-idx1-ubyte.gz", 8, "60000");
  double seconds = time_plain_read(kFashion + "train-images-idx3-ubyte.gz");
  std::cout << "  reading the 47 MB of training images took " << seconds << " s\n";
  ::testing::Test::RecordProperty("fashion_mnist_train_images_read_ms", static_cast<int>(seconds * 1000));
}

TEST(IdxReader, FashionMnistTestSetEqualsNumpy) {
  ASSERT_TRUE(std::filesystem::exists(kFashion + "t10k-images-idx3-ubyte.gz"))
      << "install dataset-fashion-mnist (scripts/setup.sh does)";
  expect_matches(kFashion + "t10k-images-idx3-ubyte.gz", 16, "10000, 28, 28");
  expect_matches(kFashion + "t10k-labels-idx1-ubyte.gz", 8, "10000");
}

TEST(IdxReader, FashionMnistContentHashIsTheGzipFilesXxh3) {
  ASSERT_TRUE(std::filesystem::exists(kFashion + "t10k-labels-idx1-ubyte.gz"))
      << "install dataset-fashion-mnist (scripts/setup.sh does)";
  std::string file = kFashion + "t10k-labels-idx1-ubyte.gz";
  std::string bytes = read_file(file);
  EXPECT_EQ(open_idx(file)->content_hash(), hash_bytes(bytes.data(), bytes.size()));
}

// Each IDX type, raw, gzipped, and gzipped as two concatenated gzip members.
const char* kWriteIdx = R"PY(
import gzip, struct
rng = np.random.default_rng(21)
types = {'uint8': (0x08, '>u1'), 'int8': (0x09, '>i1'), 'int16': (0x0B, '>i2'), 'int32': (0x0C, '>i4'),
         'float32': (0x0D, '>f4'), 'float64': (0x0E, '>f8')}
for name, (code, dt) in types.items():
    t = np.dtype(dt)
    if t.kind == 'f':
        a = (rng.standard_normal((3, 2, 4)) * 100).astype(t)
        a.reshape(-1)[:4] = [np.inf, -0.0, np.finfo(t).max, np.finfo(t).tiny]
    else:
        info = np.iinfo(t)
        a = rng.integers(info.min, info.max, (3, 2, 4), endpoint=True).astype(t)
        a.reshape(-1)[:2] = [info.min, info.max]
    raw = bytes([0, 0, code, a.ndim]) + b''.join(struct.pack('>I', d) for d in a.shape) + a.tobytes()
    open(f'{OUT}/{name}.idx', 'wb').write(raw)
    open(f'{OUT}/{name}.idx.gz', 'wb').write(gzip.compress(raw))
    open(f'{OUT}/{name}.two.gz', 'wb').write(gzip.compress(raw[:30]) + gzip.compress(raw[30:]))
    dump(name, a)
)PY";

TEST(IdxReader, EveryTypeRawAndGzippedEqualsNumpy) {
  TempDir dir;
  std::vector<NumpyArray> arrays = parse_dumps(run_python(python_for(dir, kWriteIdx)));
  ASSERT_EQ(arrays.size(), 6u);
  for (const NumpyArray& expected : arrays) {
    for (const std::string suffix : {".idx", ".idx.gz", ".two.gz"}) {
      auto source = open_idx((dir / (expected.name + suffix)).string());
      NumpyArray labelled = expected;
      labelled.name += suffix;
      expect_matches_numpy(*source, labelled);
    }
  }
}

// An IDX header for uint8 data of the given dims.
std::string idx_header(std::vector<uint32_t> dims, unsigned char type = 0x08) {
  std::string bytes = {'\0', '\0', static_cast<char>(type), static_cast<char>(dims.size())};
  for (uint32_t dim : dims) {
    for (int shift : {24, 16, 8, 0}) bytes += static_cast<char>((dim >> shift) & 0xff);
  }
  return bytes;
}

std::string gzip(const TempDir& dir, const std::string& name, const std::string& bytes) {
  std::string raw = dir.write(name + ".raw", bytes).string();
  run_python("import gzip\nopen(r'''" + (dir / name).string() + "''', 'wb').write(gzip.compress(open(r'''" +
             raw + "''', 'rb').read()))\n");
  return (dir / name).string();
}

TEST(IdxReader, WrongMagicAndUnknownTypeNameTheByte) {
  TempDir dir;
  std::string magic = dir.write("magic.idx", "\x01\x02\x08\x01" + std::string(8, '\0')).string();
  expect_input_error([&] { open_idx(magic); }, magic, "byte 0",
                     {"not an IDX file: the magic number must start with two zero bytes"});
  std::string type = dir.write("type.idx", idx_header({2}, 0x0A) + "ab").string();
  expect_input_error([&] { open_idx(type); }, type, "byte 2", {"unknown IDX type code 0x0A"});
  std::string cut = dir.write("cut.idx", idx_header({2, 3}).substr(0, 9)).string();
  expect_input_error([&] { open_idx(cut); }, cut, "byte 9", {"truncated header"});
}

TEST(IdxReader, RawFileTooShortOrTooLong) {
  TempDir dir;
  std::string shorter = dir.write("short.idx", idx_header({10}) + std::string(7, 'x')).string();
  expect_input_error([&] { open_idx(shorter); }, shorter, "byte 8",
                     {"holds 7 bytes of data, dims say 10 (shape (10,) of uint8)"});
  std::string longer = dir.write("long.idx", idx_header({10}) + std::string(12, 'x')).string();
  expect_input_error([&] { open_idx(longer); }, longer, "byte 8", {"holds 12 bytes of data, dims say 10"});
}

TEST(IdxReader, GzippedFileTooShortOrTooLong) {
  TempDir dir;
  std::string shorter = gzip(dir, "short.idx.gz", idx_header({5, 2}) + std::string(7, 'x'));
  auto source = open_idx(shorter);
  expect_input_error([&] { read_all(*source, 1); }, shorter, "byte 19 of the decompressed data",
                     {"holds 7 bytes of data, dims say 10 (shape (5, 2) of uint8)"});
  std::string longer = gzip(dir, "long.idx.gz", idx_header({5, 2}) + std::string(13, 'x'));
  source = open_idx(longer);
  expect_input_error([&] { read_all(*source, 1); }, longer, "byte 22 of the decompressed data",
                     {"holds 13 bytes of data, dims say 10"});
}

TEST(IdxReader, TruncatedGzipStreamIsAnError) {
  TempDir dir;
  std::string whole = read_file(gzip(dir, "whole.idx.gz", idx_header({100}) + std::string(100, 'x')));
  std::string cut = dir.write("cut.idx.gz", whole.substr(0, whole.size() - 12)).string();
  expect_input_error(
      [&] {
        auto source = open_idx(cut);
        read_all(*source, 10);
      },
      cut, "byte " + std::to_string(whole.size() - 12), {"compressed data ends early", "truncated"});
}

}  // namespace
}  // namespace xferval::testing
