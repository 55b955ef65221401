#include "xferval/io/csv_segments.hpp"

#include <gtest/gtest.h>

#include <map>
#include <mutex>
#include <random>
#include <sstream>

#include "test_support.hpp"
#include "xferval/core/hash.hpp"
#include "xferval/io/csv.hpp"
#include "xferval/io/csv_scan.hpp"

namespace xferval {
namespace {

using testing::TempDir;

// Cells of every row, as text ("" for missing), so that segmented and sequential readings compare
// whole: numbers printed with all their bits, text as read.
using Rows = std::vector<std::vector<std::string>>;

std::string cell(const ColumnChunk& column, size_t r) {
  if (column.missing[r] != 0) return "";
  if (column.is_text) return "t:" + column.texts[r];
  std::ostringstream out;
  out.precision(17);
  out << "n:" << column.numbers[r];
  return out.str();
}

void append_rows(const TableChunk& chunk, Rows& rows) {
  for (size_t r = 0; r < chunk.rows; ++r) {
    std::vector<std::string> row;
    for (const ColumnChunk& column : chunk.columns) row.push_back(cell(column, r));
    rows.push_back(std::move(row));
  }
}

// Keeps each segment's rows apart (segments arrive concurrently) and counts the passes.
class CollectSegments final : public CsvSegmentConsumer {
 public:
  void begin_pass(size_t segments, const std::vector<bool>& text_columns) override {
    segments_.assign(segments, {});
    text_columns_ = text_columns;
    ++passes_;
    ended_ = 0;
  }
  void consume(size_t segment, const TableChunk& chunk) override { append_rows(chunk, segments_[segment]); }
  void end_segment(size_t) override {
    std::lock_guard lock(mutex_);
    ++ended_;
  }

  Rows rows() const {
    Rows all;
    for (const Rows& segment : segments_) all.insert(all.end(), segment.begin(), segment.end());
    return all;
  }
  size_t segments() const { return segments_.size(); }
  size_t passes() const { return passes_; }
  size_t ended() const { return ended_; }
  size_t non_empty_segments() const {
    size_t count = 0;
    for (const Rows& segment : segments_) count += segment.empty() ? 0 : 1;
    return count;
  }

 private:
  std::vector<Rows> segments_;
  std::vector<bool> text_columns_;
  size_t passes_ = 0;
  size_t ended_ = 0;  // in this pass
  std::mutex mutex_;
};

Rows read_sequentially(const std::string& path, std::vector<bool>& text_columns) {
  CsvReader reader(path);
  Rows rows;
  scan_csv(
      reader, [&](const std::vector<bool>&) { rows.clear(); },
      [&](const TableChunk& chunk) { append_rows(chunk, rows); });
  text_columns.clear();
  for (size_t c = 0; c < reader.column_names().size(); ++c) text_columns.push_back(reader.is_text_column(c));
  return rows;
}

// A mixed table: numbers in several notations, missing markers, integers, text.
std::string mixed_csv(size_t rows, uint32_t seed) {
  std::mt19937 random(seed);
  std::normal_distribution<double> normal(10.0, 3.0);
  std::ostringstream out;
  out << "x,count,name,score\r\n";
  for (size_t r = 0; r < rows; ++r) {
    out << normal(random) << ',' << (random() % 50) << ",item" << (random() % 7) << ',';
    if (r % 37 == 0) {
      out << "NA";
    } else if (r % 41 == 0) {
      out << "1e-3";
    } else {
      out << (random() % 1000) / 8.0;
    }
    out << (r % 3 == 0 ? "\r\n" : "\n");
  }
  return out.str();
}

// Reads the file in 4 KB segments on 2 threads, expecting the rows and column kinds of the
// sequential reader, where column `text_column` is text; returns the passes the segments took.
size_t expect_segments_read_as_sequential(const std::string& path, size_t text_column) {
  std::vector<bool> sequential_text;
  const Rows expected = read_sequentially(path, sequential_text);
  EXPECT_TRUE(sequential_text.at(text_column));
  CsvReader reader(path);
  CollectSegments consumer;
  const CsvSegmentScan scan = scan_csv_segments(reader, {}, consumer, 4096, 2);
  EXPECT_TRUE(scan.done);
  EXPECT_EQ(scan.text_columns, sequential_text);
  EXPECT_EQ(consumer.rows(), expected);
  return consumer.passes();
}

TEST(CsvSegments, SameRowsAsTheSequentialReaderInSegmentOrder) {
  TempDir dir;
  const std::string path = dir.write("mixed.csv", mixed_csv(3000, 7)).string();
  std::vector<bool> sequential_text;
  const Rows expected = read_sequentially(path, sequential_text);

  for (unsigned threads : {1u, 2u, 5u}) {
    CsvReader reader(path);
    CollectSegments consumer;
    const CsvSegmentScan scan = scan_csv_segments(reader, {}, consumer, 4096, threads);
    ASSERT_TRUE(scan.done) << threads << " threads";
    EXPECT_GT(consumer.non_empty_segments(), 10u);
    EXPECT_EQ(consumer.rows(), expected) << threads << " threads";
    EXPECT_EQ(scan.text_columns, sequential_text);
    EXPECT_EQ(reader.content_hash(), CsvReader(path).content_hash());
    EXPECT_EQ(consumer.ended(), consumer.segments());
  }
}

TEST(CsvSegments, SmallFilesAreNotSplit) {
  TempDir dir;
  const std::string path = dir.write("small.csv", mixed_csv(100, 1)).string();
  CsvReader reader(path);
  CollectSegments consumer;
  EXPECT_FALSE(scan_csv_segments(reader, {}, consumer).done);
  EXPECT_EQ(consumer.passes(), 0u);
}

TEST(CsvSegments, TextFoundLateInOneSegmentMakesATextColumnEverywhere) {
  TempDir dir;
  std::string text = mixed_csv(3000, 3);
  const size_t late = text.rfind("\n", text.size() - 2);  // the last row's count becomes a word
  const size_t comma = text.find(',', late + 1);
  text.replace(comma + 1, text.find(',', comma + 1) - comma - 1, "many");
  const std::string path = dir.write("late.csv", text).string();
  // Read again for `name` (text from the first row), then for `count`.
  EXPECT_EQ(expect_segments_read_as_sequential(path, 1), 3u);
}

TEST(CsvSegments, NumbersInOneSegmentAndBooleansInAnotherMakeText) {
  TempDir dir;
  std::ostringstream out;
  out << "flag,value\n";
  for (int r = 0; r < 4000; ++r) out << (r < 2000 ? "true" : "1") << ',' << r << '\n';
  const std::string path = dir.write("flags.csv", out.str()).string();
  expect_segments_read_as_sequential(path, 0);
}

TEST(CsvSegments, AQuotedLineBreakAcrossABoundaryLeavesTheFileToTheSequentialReader) {
  TempDir dir;
  std::ostringstream out;
  out << "id,note\n";
  // Each note spans many lines, so some segment boundary falls inside one.
  for (int r = 0; r < 300; ++r) {
    out << r << ",\"line one\n";
    for (int l = 0; l < 20; ++l) out << "more, text " << l << "\n";
    out << "end\"\n";
  }
  const std::string path = dir.write("quoted.csv", out.str()).string();
  CsvReader reader(path);
  CollectSegments consumer;
  EXPECT_FALSE(scan_csv_segments(reader, {}, consumer, 4096, 2).done);
}

TEST(CsvSegments, ABadRowLeavesTheFileToTheSequentialReader) {
  TempDir dir;
  std::string text = mixed_csv(3000, 5);
  text.insert(text.size() / 2, "\n1,2\n");  // a ragged row mid-file
  const std::string path = dir.write("ragged.csv", text).string();
  CsvReader reader(path);
  CollectSegments consumer;
  EXPECT_FALSE(scan_csv_segments(reader, {}, consumer, 4096, 2).done);
}

}  // namespace
}  // namespace xferval
