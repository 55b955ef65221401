#include <gtest/gtest.h>

#include "array_test_util.hpp"
#include "test_support.hpp"
#include "xferval/core/hash.hpp"

namespace xferval::testing {
namespace {

// The same five arrays stored (savez) and deflated (savez_compressed); a.npy as np.save writes it.
const char* kWriteArchives = R"PY(
rng = np.random.default_rng(99)
arrays = dict(
    a=rng.standard_normal((5, 3)),
    b=np.arange(-7, 8, dtype='>i2'),
    c=rng.integers(0, 256, (4, 2, 3), dtype=np.uint8),
    d=np.array(2.5, dtype=np.float16),
    e=np.asfortranarray(rng.standard_normal((3, 4)).astype(np.float32)),
)
np.savez(OUT + '/plain.npz', **arrays)
np.savez_compressed(OUT + '/packed.npz', **arrays)
np.save(OUT + '/a.npy', arrays['a'])
for name, a in arrays.items():
    dump(name, a)
)PY";

class NpzReader : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    arrays_ = parse_dumps(run_python(python_for(*dir_, kWriteArchives)));
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  static std::string path(const std::string& name) { return (*dir_ / name).string(); }

  static TempDir* dir_;
  static std::vector<NumpyArray> arrays_;
};
TempDir* NpzReader::dir_ = nullptr;
std::vector<NumpyArray> NpzReader::arrays_;

TEST_F(NpzReader, ListsMembersInArchiveOrderWithoutSuffix) {
  const std::vector<std::string> names = {"a", "b", "c", "d", "e"};
  EXPECT_EQ(npz_members(path("plain.npz")), names);
  EXPECT_EQ(npz_members(path("packed.npz")), names);
}

TEST_F(NpzReader, StoredMembersEqualNumpy) {
  ASSERT_EQ(arrays_.size(), 5u);
  for (const NumpyArray& expected : arrays_) {
    auto source = open_npz_member(path("plain.npz"), expected.name);
    expect_matches_numpy(*source, expected);
  }
}

TEST_F(NpzReader, DeflatedMembersEqualNumpy) {
  ASSERT_EQ(arrays_.size(), 5u);
  for (const NumpyArray& expected : arrays_) {
    auto source = open_npz_member(path("packed.npz"), expected.name);
    expect_matches_numpy(*source, expected);
  }
}

TEST_F(NpzReader, MemberMayBeNamedWithItsSuffix) {
  auto source = open_npz_member(path("packed.npz"), "b.npy");
  EXPECT_EQ(source->shape(), std::vector<int64_t>{15});
  EXPECT_EQ(source->dtype(), "int16");
}

TEST_F(NpzReader, ContentHashIsTheMembersBytes) {
  // A stored member's bytes are the .npy file numpy writes for the same array.
  std::string npy = read_file(path("a.npy"));
  EXPECT_EQ(open_npz_member(path("plain.npz"), "a")->content_hash(), hash_bytes(npy.data(), npy.size()));
  EXPECT_NE(open_npz_member(path("packed.npz"), "a")->content_hash(), hash_bytes(npy.data(), npy.size()));
  EXPECT_NE(open_npz_member(path("plain.npz"), "b")->content_hash(),
            open_npz_member(path("plain.npz"), "a")->content_hash());
}

TEST_F(NpzReader, LargeDeflatedMemberStreamsInChunks) {
  TempDir dir;
  std::string output = run_python(python_for(dir, R"PY(
a = np.random.default_rng(5).integers(-1000, 1000, (40000, 64)).astype(np.int32)
np.savez_compressed(OUT + '/big.npz', x=a)
w = (np.arange(a.size, dtype=np.int64) % 1009) + 1
print(int(a.sum()), int((a.reshape(-1).astype(np.int64) * w).sum()))
)PY"));
  std::istringstream expected(output);
  int64_t sum = 0, weighted = 0;
  expected >> sum >> weighted;
  auto source = open_npz_member((dir / "big.npz").string(), "x");
  ASSERT_EQ(source->shape(), (std::vector<int64_t>{40000, 64}));
  int64_t got_sum = 0, got_weighted = 0, index = 0;
  std::vector<double> chunk;
  while (source->read(3000, chunk) > 0) {
    for (double value : chunk) {
      got_sum += static_cast<int64_t>(value);
      got_weighted += static_cast<int64_t>(value) * (index++ % 1009 + 1);
    }
    chunk.clear();
  }
  EXPECT_EQ(index, 40000 * 64);
  EXPECT_EQ(got_sum, sum);
  EXPECT_EQ(got_weighted, weighted);
}

TEST_F(NpzReader, ReadsZip64Directories) {
  // Central directory with zip64 extra fields and zip64 end records, as large archives have.
  TempDir dir;
  std::string output = run_python(python_for(dir, R"PY(
import struct, zlib, io
members = []
for name, a in [('p', np.arange(6, dtype='<i8').reshape(2, 3)), ('q', np.array([0.5, -1.25]))]:
    buffer = io.BytesIO()
    np.save(buffer, a)
    members.append((name + '.npy', buffer.getvalue()))
    dump(name, a)
out = bytearray()
central = bytearray()
for name, data in members:
    nb = name.encode()
    crc = zlib.crc32(data)
    offset = len(out)
    local_extra = struct.pack('<HHQQ', 1, 16, len(data), len(data))
    out += struct.pack('<IHHHHHIIIHH', 0x04034b50, 45, 0, 0, 0, 0, crc, 0xffffffff, 0xffffffff, len(nb),
                       len(local_extra)) + nb + local_extra + data
    extra = struct.pack('<HHQQQ', 1, 24, len(data), len(data), offset)
    central += struct.pack('<IHHHHHHIIIHHHHHII', 0x02014b50, 45, 45, 0, 0, 0, 0, crc, 0xffffffff, 0xffffffff,
                           len(nb), len(extra), 0, 0, 0, 0, 0xffffffff) + nb + extra
directory_offset = len(out)
out += central
end64 = len(out)
out += struct.pack('<IQHHIIQQQQ', 0x06064b50, 44, 45, 45, 0, 0, 2, 2, len(central), directory_offset)
out += struct.pack('<IIQI', 0x07064b50, 0, end64, 1)
out += struct.pack('<IHHHHIIH', 0x06054b50, 0, 0, 0xffff, 0xffff, 0xffffffff, 0xffffffff, 0)
open(OUT + '/zip64.npz', 'wb').write(out)
assert np.load(OUT + '/zip64.npz')['q'][1] == -1.25
)PY"));
  std::vector<NumpyArray> arrays = parse_dumps(output);
  ASSERT_EQ(arrays.size(), 2u);
  std::string archive = (dir / "zip64.npz").string();
  EXPECT_EQ(npz_members(archive), (std::vector<std::string>{"p", "q"}));
  for (const NumpyArray& expected : arrays)
    expect_matches_numpy(*open_npz_member(archive, expected.name), expected);
}

TEST_F(NpzReader, CrcMismatchIsReportedAtTheEndOfTheRead) {
  TempDir dir;
  run_python(python_for(dir, R"PY(
import zipfile, struct
source = ')PY" + path("plain.npz") +
                                 R"PY('
info = zipfile.ZipFile(source).getinfo('a.npy')
data = bytearray(open(source, 'rb').read())
start = info.header_offset
names, extra = struct.unpack('<HH', data[start + 26:start + 30])
last = start + 30 + names + extra + info.compress_size - 1
data[last] ^= 0x01
open(OUT + '/corrupt.npz', 'wb').write(data)
)PY"));
  std::string archive = (dir / "corrupt.npz").string();
  auto source = open_npz_member(archive, "a");
  std::vector<double> values;
  EXPECT_EQ(source->read(2, values), 2u);  // the damage is in the last sample
  expect_input_error([&] { source->read(10, values); }, archive, "member a.npy",
                     {"CRC-32 mismatch", "the archive is corrupt"});
}

TEST_F(NpzReader, TextFileIsNotAZip) {
  TempDir dir;
  std::string text = dir.write("notes.npz", "these are notes, not arrays\n").string();
  const std::string message =
      "not a zip archive (no end-of-central-directory record); expected an .npz written by numpy.savez";
  expect_input_error([&] { npz_members(text); }, text, "byte 0", {message});
  expect_input_error([&] { open_npz_member(text, "a"); }, text, "byte 0", {message});
}

TEST_F(NpzReader, MissingMemberListsTheMembers) {
  std::string archive = path("packed.npz");
  expect_input_error([&] { open_npz_member(archive, "zz"); }, archive, "member zz",
                     {"no such array in the archive; it holds: a, b, c, d, e"});
}

TEST_F(NpzReader, MissingFileIsAnInputError) {
  expect_input_error([] { npz_members("/nonexistent/a.npz"); }, "/nonexistent/a.npz", "", {"no such file"});
}

}  // namespace
}  // namespace xferval::testing
