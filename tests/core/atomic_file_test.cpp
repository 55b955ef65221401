#include "xferval/core/atomic_file.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "test_support.hpp"
#include "xferval/core/error.hpp"
#include "xferval/core/hash.hpp"
#include "xferval/core/mapped_file.hpp"

namespace xferval {
namespace {

using testing::TempDir;

TEST(AtomicFile, CommitPutsTheWholeContentInPlace) {
  TempDir dir;
  write_file_atomically(dir / "a.json", "{\"x\": 1}\n");
  EXPECT_EQ(testing::read_file(dir / "a.json"), "{\"x\": 1}\n");
  EXPECT_EQ(dir.entry_count(), 1u);
}

TEST(AtomicFile, WithoutCommitNothingIsLeftAndTheOldFileSurvives) {
  TempDir dir;
  write_file_atomically(dir / "a.json", "old");
  {
    AtomicFile file(dir / "a.json");
    file.write("new, half written");
  }
  EXPECT_EQ(testing::read_file(dir / "a.json"), "old");
  EXPECT_EQ(dir.entry_count(), 1u);
}

TEST(AtomicFile, MissingFolderIsAnInputErrorNamingThePath) {
  TempDir dir;
  try {
    AtomicFile file(dir / "no" / "such" / "a.json");
    FAIL() << "expected an error";
  } catch (const InputError& error) {
    EXPECT_NE(std::string(error.what()).find("a.json"), std::string::npos) << error.what();
  }
}

TEST(MappedFile, ErrorsNameThePathAndTheReason) {
  TempDir dir;
  try {
    MappedFile file((dir / "missing.csv").string());
    FAIL();
  } catch (const InputError& error) {
    EXPECT_NE(std::string(error.what()).find("missing.csv: cannot open: no such file"), std::string::npos)
        << error.what();
  }
  EXPECT_THROW(MappedFile(dir.path().string()), InputError);
}

TEST(Hash, FileHashMatchesTheStreamingDigestAndNumbersHashByValue) {
  TempDir dir;
  auto path = dir.write("bytes.bin", std::string(100000, 'x'));
  std::string data(100000, 'x');
  EXPECT_EQ(hash_file(path.string()), fmt::format("xxh3:{:016x}", hash_bytes(data.data(), data.size())));
  EXPECT_EQ(hash_number(0.0), hash_number(-0.0));
  EXPECT_NE(hash_number(1.0), hash_number(2.0));
}

}  // namespace
}  // namespace xferval
