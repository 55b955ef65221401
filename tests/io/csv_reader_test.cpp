#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <random>
#include <sstream>

#include "test_support.hpp"
#include "xferval/core/error.hpp"
#include "xferval/core/hash.hpp"
#include "xferval/io/csv.hpp"

namespace xferval {
namespace {

using testing::TempDir;

// Every row of a file, column by column, with the token facts of all chunks combined.
struct Column {
  bool is_text = false;
  std::vector<double> numbers;
  std::vector<std::string> texts;
  std::vector<uint8_t> missing;
  bool all_integral = true;
  bool saw_bool_literal = false;
  bool saw_number = false;
};

struct Table {
  std::vector<std::string> names;
  std::vector<Column> columns;
  size_t rows = 0;
  std::vector<uint64_t> first_rows;  // of every chunk
  std::vector<size_t> chunk_rows;
};

// Reads the whole file; a column that conflicts becomes a text column and reading starts over.
Table read_all(CsvReader& reader) {
  while (true) {
    Table table;
    table.names = reader.column_names();
    table.columns.resize(table.names.size());
    TableChunk chunk;
    try {
      while (reader.next(chunk)) {
        table.first_rows.push_back(chunk.first_row);
        table.chunk_rows.push_back(chunk.rows);
        EXPECT_EQ(chunk.columns.size(), table.names.size());
        for (size_t c = 0; c < chunk.columns.size(); ++c) {
          const ColumnChunk& from = chunk.columns[c];
          Column& to = table.columns[c];
          to.is_text = from.is_text;
          EXPECT_EQ(from.missing.size(), chunk.rows);
          to.missing.insert(to.missing.end(), from.missing.begin(), from.missing.end());
          if (from.is_text) {
            EXPECT_EQ(from.texts.size(), chunk.rows);
            to.texts.insert(to.texts.end(), from.texts.begin(), from.texts.end());
          } else {
            EXPECT_EQ(from.numbers.size(), chunk.rows);
            to.numbers.insert(to.numbers.end(), from.numbers.begin(), from.numbers.end());
          }
          to.all_integral = to.all_integral && from.all_integral;
          to.saw_bool_literal = to.saw_bool_literal || from.saw_bool_literal;
          to.saw_number = to.saw_number || from.saw_number;
        }
        table.rows += chunk.rows;
      }
      return table;
    } catch (const ColumnKindConflict& conflict) {
      EXPECT_FALSE(reader.is_text_column(conflict.column));
      reader.set_text_column(conflict.column);
      reader.rewind();
    }
  }
}

Table read_csv(const TempDir& dir, const std::string& text, CsvOptions options = {}) {
  CsvReader reader(dir.write("t.csv", text).string(), options);
  return read_all(reader);
}

// what() of the InputError that reading the file throws, or "" when it reads fine.
std::string error_of(const TempDir& dir, const std::string& text, CsvOptions options = {}) {
  try {
    read_csv(dir, text, options);
  } catch (const InputError& error) {
    return error.what();
  }
  return "";
}

bool is_missing_nan(const Column& column, size_t r) {
  return column.missing[r] == 1 && std::isnan(column.numbers[r]);
}

TEST(CsvReader, ReadsHeaderAndNumbers) {
  TempDir dir;
  Table table = read_csv(dir, " a , b ,c\n1,2.5,-3\n4,5e2,+6\n");
  EXPECT_EQ(table.names, (std::vector<std::string>{"a", "b", "c"}));
  ASSERT_EQ(table.rows, 2u);
  EXPECT_EQ(table.columns[0].numbers, (std::vector<double>{1, 4}));
  EXPECT_EQ(table.columns[1].numbers, (std::vector<double>{2.5, 500}));
  EXPECT_EQ(table.columns[2].numbers, (std::vector<double>{-3, 6}));
  for (const Column& column : table.columns) {
    EXPECT_FALSE(column.is_text);
    EXPECT_EQ(column.missing, (std::vector<uint8_t>{0, 0}));
  }
}

TEST(CsvReader, SpacesAroundNumbersAreTrimmed) {
  TempDir dir;
  Table table = read_csv(dir, "a,b\n 1 ,\t2\n");
  EXPECT_EQ(table.columns[0].numbers, (std::vector<double>{1}));
  EXPECT_EQ(table.columns[1].numbers, (std::vector<double>{2}));
}

TEST(CsvReader, QuotedFieldsHoldDelimitersQuotesAndNewlines) {
  TempDir dir;
  Table table = read_csv(dir,
                         "id,\"note, with comma\",n\n"
                         "1,\"a,b\",\"7\"\n"
                         "2,\"say \"\"hi\"\"\",8\n"
                         "3,\"two\nlines\",9\n"
                         "4,\"crlf\r\ninside\",10\n"
                         "5,plain \"mid\" quote,11\n"
                         "6,\"\",12\n");
  EXPECT_EQ(table.names[1], "note, with comma");
  ASSERT_EQ(table.rows, 6u);
  ASSERT_TRUE(table.columns[1].is_text);
  EXPECT_EQ(table.columns[1].texts, (std::vector<std::string>{"a,b", "say \"hi\"", "two\nlines",
                                                              "crlf\r\ninside", "plain \"mid\" quote", ""}));
  EXPECT_EQ(table.columns[1].missing, (std::vector<uint8_t>{0, 0, 0, 0, 0, 1}));
  EXPECT_FALSE(table.columns[2].is_text);
  EXPECT_EQ(table.columns[2].numbers, (std::vector<double>{7, 8, 9, 10, 11, 12}));
}

TEST(CsvReader, CrlfLineEnds) {
  TempDir dir;
  Table table = read_csv(dir, "a,b\r\n1,x\r\n2,\"y\"\r\n3,\r\n4,z");
  ASSERT_EQ(table.rows, 4u);
  EXPECT_EQ(table.columns[0].numbers, (std::vector<double>{1, 2, 3, 4}));
  EXPECT_EQ(table.columns[1].texts, (std::vector<std::string>{"x", "y", "", "z"}));
  EXPECT_EQ(table.columns[1].missing, (std::vector<uint8_t>{0, 0, 1, 0}));
  EXPECT_EQ(table.names[1], "b");
}

TEST(CsvReader, FinalLineWithoutNewlineAndTrailingBlankLines) {
  TempDir dir;
  EXPECT_EQ(read_csv(dir, "a,b\n1,2\n3,4").rows, 2u);
  EXPECT_EQ(read_csv(dir, "a,b\n1,2\n3,4\n").rows, 2u);
  EXPECT_EQ(read_csv(dir, "a,b\n1,2\n3,4\n\n").rows, 2u);
  EXPECT_EQ(read_csv(dir, "a,b\r\n1,2\r\n3,4\r\n\r\n\r\n").rows, 2u);
  EXPECT_EQ(read_csv(dir, "a\n1\n\n").rows, 1u) << "a trailing empty line is not a row";
}

TEST(CsvReader, BlankLineInTheMiddleOfOneColumnIsMissing) {
  TempDir dir;
  Table table = read_csv(dir, "a\n1\n\n3\n");
  ASSERT_EQ(table.rows, 3u);
  EXPECT_EQ(table.columns[0].numbers[0], 1);
  EXPECT_TRUE(is_missing_nan(table.columns[0], 1));
  EXPECT_EQ(table.columns[0].numbers[2], 3);
}

TEST(CsvReader, Utf8ByteOrderMarkIsSkipped) {
  TempDir dir;
  Table table = read_csv(dir, "\xEF\xBB\xBFx,y\n1,2\n");
  EXPECT_EQ(table.names, (std::vector<std::string>{"x", "y"}));
  EXPECT_EQ(table.columns[0].numbers, (std::vector<double>{1}));
}

TEST(CsvReader, CustomDelimiters) {
  TempDir dir;
  CsvOptions semicolon;
  semicolon.delimiter = ';';
  Table table = read_csv(dir, "a;b\n1,5;\"x;y\"\n2;z\n", semicolon);
  EXPECT_EQ(table.names, (std::vector<std::string>{"a", "b"}));
  ASSERT_TRUE(table.columns[0].is_text) << "1,5 is not a number";
  EXPECT_EQ(table.columns[0].texts, (std::vector<std::string>{"1,5", "2"}));
  EXPECT_EQ(table.columns[1].texts, (std::vector<std::string>{"x;y", "z"}));

  CsvOptions tab;
  tab.delimiter = '\t';
  table = read_csv(dir, "a\tb c\n1\t2\n3\t4\n", tab);
  EXPECT_EQ(table.names, (std::vector<std::string>{"a", "b c"}));
  EXPECT_EQ(table.columns[1].numbers, (std::vector<double>{2, 4}));
}

TEST(CsvReader, DefaultMissingMarkers) {
  TempDir dir;
  Table table = read_csv(dir, "a,b\n,x\nNA,\n N/A ,NA\nnan,\"NA\"\nNaN,null\n-nan,y\nnull,None\n1,z\n");
  ASSERT_EQ(table.rows, 8u);
  const Column& a = table.columns[0];
  EXPECT_FALSE(a.is_text);
  for (size_t r = 0; r < 7; ++r) EXPECT_TRUE(is_missing_nan(a, r)) << "row " << r;
  EXPECT_EQ(a.numbers[7], 1);
  EXPECT_EQ(a.missing[7], 0);
  const Column& b = table.columns[1];
  ASSERT_TRUE(b.is_text);
  EXPECT_EQ(b.missing, (std::vector<uint8_t>{0, 1, 1, 1, 1, 0, 1, 0}));
  EXPECT_EQ(b.texts, (std::vector<std::string>{"x", "", "", "", "", "y", "", "z"}));
}

TEST(CsvReader, CustomMissingMarkers) {
  TempDir dir;
  CsvOptions options;
  options.missing_markers = {"?", "-999"};
  Table table = read_csv(dir, "a,b\n?,NA\n-999,1\n-999.5,2\n", options);
  const Column& a = table.columns[0];
  EXPECT_FALSE(a.is_text);
  EXPECT_TRUE(is_missing_nan(a, 0));
  EXPECT_TRUE(is_missing_nan(a, 1)) << "a marker spelled like a number is missing";
  EXPECT_EQ(a.numbers[2], -999.5);
  EXPECT_EQ(a.missing[2], 0);
  const Column& b = table.columns[1];
  ASSERT_TRUE(b.is_text) << "NA is not a marker in this list";
  EXPECT_EQ(b.texts[0], "NA");
  EXPECT_EQ(b.missing[0], 0);
}

TEST(CsvReader, TypeFacts) {
  TempDir dir;
  Table table = read_csv(dir,
                         "int,frac,expo,flag,inf,plus\n"
                         "1,1.0,1,true,inf,+1\n"
                         "-2,2,2e3,False,-inf,+2.5\n"
                         "3,3,3,TRUE,Infinity,3\n");
  const auto& c = table.columns;
  EXPECT_TRUE(c[0].all_integral);
  EXPECT_TRUE(c[0].saw_number);
  EXPECT_FALSE(c[0].saw_bool_literal);
  EXPECT_EQ(c[0].numbers, (std::vector<double>{1, -2, 3}));
  EXPECT_FALSE(c[1].all_integral);
  EXPECT_FALSE(c[2].all_integral);
  EXPECT_EQ(c[2].numbers[1], 2000);
  EXPECT_TRUE(c[3].saw_bool_literal);
  EXPECT_FALSE(c[3].saw_number);
  EXPECT_FALSE(c[3].is_text);
  EXPECT_EQ(c[3].numbers, (std::vector<double>{1, 0, 1}));
  const double inf = std::numeric_limits<double>::infinity();
  EXPECT_EQ(c[4].numbers, (std::vector<double>{inf, -inf, inf}));
  EXPECT_FALSE(c[4].all_integral);
  EXPECT_EQ(c[5].numbers, (std::vector<double>{1, 2.5, 3}));
  EXPECT_FALSE(c[5].all_integral);
}

TEST(CsvReader, NotQuiteNumbersMakeTextColumns) {
  TempDir dir;
  Table table = read_csv(dir, "a,b,c,d,e\n1,2,3,4,5\n1e,++2,3x,-,0x10\n");
  for (const Column& column : table.columns) EXPECT_TRUE(column.is_text);
  EXPECT_EQ(table.columns[0].texts, (std::vector<std::string>{"1", "1e"}));
}

TEST(CsvReader, TextTokenThrowsConflictThenTextColumnReadsAfterRewind) {
  TempDir dir;
  CsvReader reader(dir.write("t.csv", "a,b\n1,2\n3,x y\n5,\"6\"\n").string());
  TableChunk chunk;
  try {
    reader.next(chunk);
    FAIL() << "expected ColumnKindConflict";
  } catch (const ColumnKindConflict& conflict) {
    EXPECT_EQ(conflict.column, 1u);
    EXPECT_EQ(conflict.row, 1u);
  }
  reader.set_text_column(1);
  EXPECT_TRUE(reader.is_text_column(1));
  EXPECT_FALSE(reader.is_text_column(0));
  reader.rewind();
  ASSERT_TRUE(reader.next(chunk));
  EXPECT_EQ(chunk.first_row, 0u);
  ASSERT_EQ(chunk.rows, 3u);
  EXPECT_TRUE(chunk.columns[1].is_text);
  EXPECT_EQ(chunk.columns[1].texts, (std::vector<std::string>{"2", "x y", "6"}));
  EXPECT_EQ(chunk.columns[0].numbers, (std::vector<double>{1, 3, 5}));
  EXPECT_FALSE(reader.next(chunk));
}

TEST(CsvReader, NumbersThenBoolLiteralsConflictAcrossChunks) {
  TempDir dir;
  CsvOptions options;
  options.chunk_rows = 1;
  CsvReader reader(dir.write("t.csv", "a,b\n1,true\n2,false\ntrue,true\n").string(), options);
  TableChunk chunk;
  ASSERT_TRUE(reader.next(chunk));
  ASSERT_TRUE(reader.next(chunk));
  try {
    reader.next(chunk);
    FAIL() << "expected ColumnKindConflict";
  } catch (const ColumnKindConflict& conflict) {
    EXPECT_EQ(conflict.column, 0u);
    EXPECT_EQ(conflict.row, 2u);
  }
  reader.set_text_column(0);
  reader.rewind();
  Table table = read_all(reader);
  ASSERT_EQ(table.rows, 3u);
  EXPECT_EQ(table.columns[0].texts, (std::vector<std::string>{"1", "2", "true"}));
  EXPECT_TRUE(table.columns[1].saw_bool_literal);
  EXPECT_EQ(table.columns[1].numbers, (std::vector<double>{1, 0, 1}));

  // Bool literals first, then a number.
  Table other = read_csv(dir, "a\nTrue\n0\n", options);
  EXPECT_TRUE(other.columns[0].is_text);
}

TEST(CsvReader, RewindReadsTheSameRowsAgain) {
  TempDir dir;
  CsvOptions options;
  options.chunk_rows = 1;
  // Column b: a number, then a text token; after it becomes text, column a reads again from the
  // start, and its numbers of the first pass are not held against it.
  CsvReader reader(dir.write("t.csv", "a,b\n1,1\n2,x\n").string(), options);
  Table table = read_all(reader);
  EXPECT_FALSE(table.columns[0].is_text);
  EXPECT_TRUE(table.columns[1].is_text);
  reader.rewind();
  Table again = read_all(reader);
  EXPECT_EQ(again.columns[0].numbers, (std::vector<double>{1, 2}));
}

TEST(CsvReader, TextAroundQuotesIsKeptAsWritten) {
  TempDir dir;
  Table table = read_csv(dir, "a,b\n\"ab\"cd,1\n  \"x y\"  ,2\n\"q\",\"\"\r\n");
  ASSERT_EQ(table.rows, 3u);
  EXPECT_EQ(table.columns[0].texts, (std::vector<std::string>{"abcd", "x y", "q"}));
  EXPECT_EQ(table.columns[1].numbers[1], 2);
  EXPECT_TRUE(is_missing_nan(table.columns[1], 2)) << "a quoted empty cell is missing";
}

TEST(CsvReader, RecordsLongerThanTheIndexWindow) {
  TempDir dir;
  std::string big(100000, 'x');
  big[500] = ',';  // inside quotes, not a delimiter
  std::string text = "id,blob,n\n";
  for (int i = 0; i < 3; ++i) {
    text += std::to_string(i) + ",\"" + big + "\",";
    text += std::to_string(i * 10);
    text += "\n";
  }
  text += "3," + std::string(70000, 'y') + ",30\n";
  Table table = read_csv(dir, text);
  ASSERT_EQ(table.rows, 4u);
  EXPECT_EQ(table.columns[0].numbers, (std::vector<double>{0, 1, 2, 3}));
  EXPECT_EQ(table.columns[1].texts[2], big);
  EXPECT_EQ(table.columns[1].texts[3], std::string(70000, 'y'));
  EXPECT_EQ(table.columns[2].numbers, (std::vector<double>{0, 10, 20, 30}));
}

TEST(CsvReader, BlankLinesBeforeTheHeaderAreSkippedButCounted) {
  TempDir dir;
  Table table = read_csv(dir, "\n\r\na,b\n1,2\n");
  EXPECT_EQ(table.names, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(table.rows, 1u);
  std::string error = error_of(dir, "\na,b\n1,2,3\n");
  EXPECT_NE(error.find(": line 3: has 3 fields"), std::string::npos) << error;
}

TEST(CsvReader, DelimiterCannotBeAQuoteOrALineEnd) {
  TempDir dir;
  auto path = dir.write("t.csv", "a\n1\n").string();
  for (char delimiter : {'"', '\n', '\r'}) {
    CsvOptions options;
    options.delimiter = delimiter;
    EXPECT_THROW(CsvReader(path, options), UsageError);
  }
}

TEST(CsvReader, ChunksAcrossBoundariesGiveTheSameValues) {
  TempDir dir;
  const std::string text =
      "a,b,c\n1,x,true\n2.5,\"multi\nline\",false\n,z,\n-4,\"q\"\"q\",TRUE\n5e-1,w,false\n";
  Table whole = read_csv(dir, text);
  CsvOptions small;
  small.chunk_rows = 2;
  Table chunked = read_csv(dir, text, small);
  ASSERT_EQ(whole.rows, 5u);
  ASSERT_EQ(chunked.rows, 5u);
  EXPECT_EQ(chunked.first_rows, (std::vector<uint64_t>{0, 2, 4}));
  EXPECT_EQ(chunked.chunk_rows, (std::vector<size_t>{2, 2, 1}));
  EXPECT_EQ(whole.first_rows, (std::vector<uint64_t>{0}));
  for (size_t c = 0; c < 3; ++c) {
    const Column& w = whole.columns[c];
    const Column& k = chunked.columns[c];
    EXPECT_EQ(w.is_text, k.is_text);
    EXPECT_EQ(w.texts, k.texts);
    EXPECT_EQ(w.missing, k.missing);
    ASSERT_EQ(w.numbers.size(), k.numbers.size());
    for (size_t r = 0; r < w.numbers.size(); ++r) {
      EXPECT_EQ(std::memcmp(&w.numbers[r], &k.numbers[r], sizeof(double)), 0) << c << "," << r;
    }
    EXPECT_EQ(w.all_integral, k.all_integral);
    EXPECT_EQ(w.saw_bool_literal, k.saw_bool_literal);
  }
  EXPECT_EQ(whole.columns[1].texts[1], "multi\nline");
  EXPECT_EQ(whole.columns[1].texts[3], "q\"q");
  EXPECT_EQ(whole.columns[0].numbers[4], 0.5);
}

TEST(CsvReader, ManyRowsGrowTheChunkStorage) {
  TempDir dir;
  auto label = [](int i) { return std::string(1, 's') += std::to_string(i % 7); };
  std::string text = "i,s\n";
  for (int i = 0; i < 5000; ++i) text += std::to_string(i) + "," + label(i) + "\n";
  CsvOptions options;
  options.chunk_rows = 3000;
  Table table = read_csv(dir, text, options);
  ASSERT_EQ(table.rows, 5000u);
  EXPECT_EQ(table.chunk_rows, (std::vector<size_t>{3000, 2000}));
  for (int i = 0; i < 5000; ++i) {
    ASSERT_EQ(table.columns[0].numbers[static_cast<size_t>(i)], i);
    ASSERT_EQ(table.columns[1].texts[static_cast<size_t>(i)], label(i));
  }
}

// Nothing is read past the end of the mapping: files that end exactly on a page boundary.
TEST(CsvReader, FilesEndingOnAPageBoundary) {
  TempDir dir;
  for (const std::string ending : {"", "\n", "\r\n", "x", "\"q\"", "1.5"}) {
    std::string text = "a,b\n";
    while (text.size() + 16 < 8192) text += "1.25,-3\n";
    std::string last = "7,";
    last += ending;
    while (text.size() + last.size() < 8192) last.insert(0, 1, '0');
    text += last;
    ASSERT_EQ(text.size(), 8192u);
    Table table = read_csv(dir, text);
    EXPECT_GT(table.rows, 100u) << ending;
    EXPECT_EQ(table.columns[0].numbers.back(), 7) << ending;
  }
}

TEST(CsvReader, HeaderOnlyReadsZeroRows) {
  TempDir dir;
  for (const char* text : {"a,b\n", "a,b", "a,b\r\n", "a,b\n\n"}) {
    CsvReader reader(dir.write("t.csv", text).string());
    TableChunk chunk;
    EXPECT_FALSE(reader.next(chunk)) << text;
    EXPECT_EQ(chunk.rows, 0u);
    EXPECT_EQ(reader.column_names(), (std::vector<std::string>{"a", "b"}));
  }
}

TEST(CsvReader, QuotedHeaderNames) {
  TempDir dir;
  Table table = read_csv(dir, "\"x, y\", \"say \"\"z\"\"\" ,w\n1,2,3\n");
  EXPECT_EQ(table.names, (std::vector<std::string>{"x, y", "say \"z\"", "w"}));
}

TEST(CsvReader, RaggedRowNamesItsLine) {
  TempDir dir;
  std::string error = error_of(dir, "a,b,c\n1,2,3\n4,5\n");
  EXPECT_NE(error.find("t.csv: line 3: has 2 fields, the header has 3"), std::string::npos) << error;
  error = error_of(dir, "a,b\n1,2\n3,4\n5,6,7,8\n");
  EXPECT_NE(error.find(": line 4: has 4 fields, the header has 2"), std::string::npos) << error;
}

TEST(CsvReader, BlankLineInTheMiddleIsARaggedRow) {
  TempDir dir;
  std::string error = error_of(dir, "a,b\n1,2\n\n3,4\n");
  EXPECT_NE(error.find(": line 3: has 1 field, the header has 2"), std::string::npos) << error;
}

TEST(CsvReader, LinesCountPhysicalLinesInsideQuotes) {
  TempDir dir;
  std::string error = error_of(dir, "a,b\n\"x\ny\nz\",1\n\"p\r\nq\",2\n1,2,3\n");
  EXPECT_NE(error.find(": line 7: has 3 fields"), std::string::npos) << error;
}

TEST(CsvReader, UnterminatedQuoteNamesWhereItOpened) {
  TempDir dir;
  std::string error = error_of(dir, "a,b\n1,2\n3,\"open\n4,5\n");
  EXPECT_NE(error.find("t.csv: line 3, column 2: quote opened here is never closed"), std::string::npos)
      << error;
  error = error_of(dir, "a,\"b\n1,2\n");
  EXPECT_NE(error.find(": line 1, column 2: quote opened here is never closed"), std::string::npos) << error;
}

TEST(CsvReader, EmptyFiles) {
  TempDir dir;
  for (const char* text : {"", "\xEF\xBB\xBF", " \n\r\n\t\n"}) {
    try {
      CsvReader reader(dir.write("t.csv", text).string());
      ADD_FAILURE() << "no error for " << testing::shell_quote(text);
    } catch (const InputError& error) {
      EXPECT_NE(std::string(error.what()).find("t.csv: the file is empty; expected a header row"),
                std::string::npos)
          << error.what();
    }
  }
}

TEST(CsvReader, DuplicateColumnNamesNameBothColumns) {
  TempDir dir;
  std::string error = error_of(dir, "a,b,a\n1,2,3\n");
  EXPECT_NE(error.find(": line 1: duplicate column name 'a' (columns 1 and 3)"), std::string::npos) << error;
}

TEST(CsvReader, InvalidUtf8InATextColumn) {
  TempDir dir;
  //                         offsets: "a,b\n" is 0..3, "1,ok\n" 4..8, "2,x" 9..11, then 0xFF at 12
  std::string error = error_of(dir, "a,b\n1,ok\n2,x\xFFy\n");
  EXPECT_NE(error.find("t.csv: line 3, column 2: invalid UTF-8 in column 'b' at byte offset 12"),
            std::string::npos)
      << error;
  // Overlong encodings and surrogates are invalid too; valid multi-byte text is fine.
  EXPECT_NE(error_of(dir, "a\n\xC0\xAF\n").find("line 2, column 1"), std::string::npos);
  EXPECT_NE(error_of(dir, "a\n\xED\xA0\x80\n").find("line 2, column 1"), std::string::npos);
  EXPECT_NE(error_of(dir, "a\nok\n\xE2\x82\n").find("line 3, column 1"), std::string::npos);
  error = error_of(dir, "a\n\"x\xFF\"\n");
  EXPECT_NE(error.find(": line 2, column 1: invalid UTF-8 in column 'a' at byte offset 4"), std::string::npos)
      << error;
  Table table = read_csv(dir, "a\n\xC3\xA9t\xC3\xA9\n\xF0\x9F\x98\x80\n\"\xE2\x82\xAC\"\n");
  EXPECT_EQ(table.columns[0].texts,
            (std::vector<std::string>{"\xC3\xA9t\xC3\xA9", "\xF0\x9F\x98\x80", "\xE2\x82\xAC"}));
}

TEST(CsvReader, InvalidUtf8InTheHeader) {
  TempDir dir;
  std::string error = error_of(dir, "a,b\xFE,c\n1,2,3\n");
  EXPECT_NE(error.find("t.csv: line 1, column 2: invalid UTF-8"), std::string::npos) << error;
  EXPECT_NE(error.find("byte offset 3"), std::string::npos) << error;
}

TEST(CsvReader, MissingPathIsAnInputError) {
  TempDir dir;
  EXPECT_THROW(CsvReader((dir / "nope.csv").string()), InputError);
  EXPECT_THROW(CsvReader(dir.path().string()), InputError);
}

TEST(CsvReader, ProgressAndContentHash) {
  TempDir dir;
  const std::string text = "a,b\n1,2\n3,4\n5,6\n";
  CsvOptions options;
  options.chunk_rows = 1;
  CsvReader reader(dir.write("t.csv", text).string(), options);
  EXPECT_EQ(reader.bytes_total(), text.size());
  TableChunk chunk;
  ASSERT_TRUE(reader.next(chunk));
  EXPECT_EQ(reader.bytes_consumed(), 8u);
  while (reader.next(chunk)) {
  }
  EXPECT_EQ(reader.bytes_consumed(), text.size());
  EXPECT_EQ(reader.content_hash(), hash_bytes(text.data(), text.size()));
  reader.rewind();
  EXPECT_EQ(reader.bytes_consumed(), 4u);
  // The hash does not depend on how far reading got.
  CsvReader fresh(dir.write("t.csv", text).string());
  EXPECT_EQ(fresh.content_hash(), hash_bytes(text.data(), text.size()));
}

// The fast paths for plain decimals give the bits of a correctly rounded strtod.
TEST(CsvReader, PlainDecimalsMatchStrtodBitForBit) {
  std::mt19937 random(20261128);
  auto digits = [&](int count) {
    std::string text;
    for (int i = 0; i < count; ++i) text += static_cast<char>('0' + random() % 10);
    return text;
  };
  std::vector<std::string> tokens = {"0",
                                     "-0",
                                     "0.0",
                                     "-0.0",
                                     ".5",
                                     "-.5",
                                     "5.",
                                     "007",
                                     "123456789012345",
                                     "9007199254740993",
                                     "0.1",
                                     "0.3",
                                     "1.7976931348623157",
                                     "99999999.9999999"};
  for (int i = 0; i < 20000; ++i) {
    std::string token;
    int sign = static_cast<int>(random() % 4);
    if (sign == 0) token += '-';
    if (sign == 1 && random() % 4 == 0) token += '+';
    std::string before = digits(static_cast<int>(random() % 11));
    std::string after = random() % 4 == 0 ? "" : digits(static_cast<int>(random() % 11));
    if (before.empty() && after.empty()) before.push_back('1');
    token += before;
    if (!after.empty() || random() % 8 == 0) token.append(1, '.').append(after);
    if (random() % 16 == 0) token.append(1, 'e').append(std::to_string(static_cast<int>(random() % 40) - 20));
    tokens.push_back(token);
  }
  std::string text = "x\n";
  for (const std::string& token : tokens) text += token + "\n";
  TempDir dir;
  Table table = read_csv(dir, text);
  ASSERT_FALSE(table.columns[0].is_text);
  ASSERT_EQ(table.rows, tokens.size());
  for (size_t r = 0; r < tokens.size(); ++r) {
    double expected = std::strtod(tokens[r].c_str(), nullptr);
    ASSERT_EQ(std::memcmp(&expected, &table.columns[0].numbers[r], sizeof(double)), 0)
        << tokens[r] << ": strtod " << expected << ", xferval " << table.columns[0].numbers[r];
  }
}

// Every number of three real datasets is bit-identical to pandas' round-trip parse.
TEST(CsvReader, NumbersMatchPandasBitForBit) {
  const std::vector<std::string> files = {"data/iris.csv", "data/wine.csv", "data/breast_cancer.csv"};
  std::string code =
      "import pandas as pd\n"
      "for path in [";
  for (const std::string& file : files)
    code.append(1, '\'').append(testing::source_path(file).string()).append("',");
  code +=
      "]:\n"
      "    frame = pd.read_csv(path, float_precision='round_trip')\n"
      "    for name in frame.columns:\n"
      "        column = frame[name]\n"
      "        kind = 'number' if column.dtype.kind in 'iuf' else 'text'\n"
      "        print('column', path, name, kind, len(column))\n"
      "        if kind == 'number':\n"
      "            for value in column:\n"
      "                print(repr(float(value)))\n";
  std::istringstream out(testing::run_python(code));

  std::map<std::string, Table> tables;
  for (const std::string& file : files) {
    CsvReader reader(testing::source_path(file).string());
    tables[testing::source_path(file).string()] = read_all(reader);
  }
  size_t compared = 0;
  std::string word, path, name, kind;
  size_t rows = 0;
  while (out >> word >> path >> name >> kind >> rows) {
    ASSERT_EQ(word, "column");
    const Table& table = tables.at(path);
    auto found = std::find(table.names.begin(), table.names.end(), name);
    ASSERT_NE(found, table.names.end()) << name;
    const Column& column = table.columns[static_cast<size_t>(found - table.names.begin())];
    ASSERT_EQ(table.rows, rows);
    ASSERT_EQ(column.is_text, kind == "text") << path << " " << name;
    if (kind == "text") continue;
    for (size_t r = 0; r < rows; ++r) {
      std::string repr;
      out >> repr;
      double expected = std::strtod(repr.c_str(), nullptr);
      ASSERT_EQ(column.missing[r], 0);
      ASSERT_EQ(std::memcmp(&expected, &column.numbers[r], sizeof(double)), 0)
          << path << " " << name << " row " << r << ": pandas " << repr << ", xferval " << column.numbers[r];
      ++compared;
    }
  }
  EXPECT_GT(compared, 150u * 4 + 178u * 13 + 569u * 30 - 1) << "every numeric cell was compared";
}

// ---- the vector path: eight plain records at a time (AVX-512 CPUs; elsewhere both are scalar) ----

// Tables equal cell for cell (numbers bit for bit), with the same facts and chunks.
void expect_same_tables(const Table& a, const Table& b) {
  ASSERT_EQ(a.names, b.names);
  ASSERT_EQ(a.rows, b.rows);
  EXPECT_EQ(a.first_rows, b.first_rows);
  EXPECT_EQ(a.chunk_rows, b.chunk_rows);
  for (size_t c = 0; c < a.columns.size(); ++c) {
    const Column& x = a.columns[c];
    const Column& y = b.columns[c];
    ASSERT_EQ(x.is_text, y.is_text) << "column " << c;
    EXPECT_EQ(x.all_integral, y.all_integral) << "column " << c;
    EXPECT_EQ(x.saw_bool_literal, y.saw_bool_literal) << "column " << c;
    EXPECT_EQ(x.saw_number, y.saw_number) << "column " << c;
    ASSERT_EQ(x.missing, y.missing) << "column " << c;
    ASSERT_EQ(x.texts, y.texts) << "column " << c;
    ASSERT_EQ(x.numbers.size(), y.numbers.size());
    for (size_t r = 0; r < x.numbers.size(); ++r) {
      ASSERT_EQ(std::memcmp(&x.numbers[r], &y.numbers[r], sizeof(double)), 0)
          << "column " << c << ", row " << r << ": " << x.numbers[r] << " vs " << y.numbers[r];
    }
  }
}

Table read_with(const TempDir& dir, const std::string& text, bool vector_parsing, size_t chunk_rows = 8192) {
  CsvOptions options;
  options.vector_parsing = vector_parsing;
  options.chunk_rows = chunk_rows;
  return read_csv(dir, text, options);
}

// A token of every kind a numeric cell can hold, short plain decimals most often.
std::string any_number_token(std::mt19937& random) {
  static const std::vector<std::string> others = {
      "",   "NA",  " 3.5", "4 ", "+4",   "1e5", "-2.5E-3",  "inf",      "-inf",      "nan",
      ".5", "-.5", "5.",   "-0", "-0.0", "007", "12345678", "-9999999", "0.00123457"};
  if (random() % 5 == 0) return others[random() % others.size()];
  std::string token = random() % 3 == 0 ? "-" : "";
  const int digits = 1 + static_cast<int>(random() % 8);
  const int point = static_cast<int>(random() % (digits + 2)) - 1;  // -1 or past the end: none
  for (int i = 0; i < digits; ++i) {
    if (i == point) token += '.';
    token += static_cast<char>('0' + random() % 10);
  }
  return token;
}

TEST(CsvReader, VectorAndScalarPathsReadTheSameCellsAndFacts) {
  // With text columns (every block finished record by record) and without (only the fields the
  // vector path leaves), CRLF on some lines, one quoted field, chunks of 8192 and of 13 rows.
  std::mt19937 random(7);
  std::string mixed = "a,b,label,flag,c\n";
  std::string numeric = "a,b,c\n";
  for (int r = 0; r < 40000; ++r) {
    const std::string a = any_number_token(random);
    const std::string b = std::to_string(random() % 1000) + "." + std::to_string(random() % 1000);
    const std::string c = any_number_token(random);
    const std::string line_end = r % 7 == 0 ? "\r\n" : "\n";
    const std::string label = r == 20000 ? "\"quoted, with a comma\"" : "item" + std::to_string(random() % 9);
    mixed += a + ',' + b + ',' + label + ',' + (random() % 2 ? "true," : "false,") + c + line_end;
    numeric += a + ',' + b + ',' + c + line_end;
  }
  TempDir dir;
  for (const std::string* text : {&mixed, &numeric}) {
    for (size_t chunk_rows : {size_t{8192}, size_t{13}}) {
      const Table scalar = read_with(dir, *text, false, chunk_rows);
      const Table vector = read_with(dir, *text, true, chunk_rows);
      expect_same_tables(vector, scalar);
      EXPECT_FALSE(vector.columns[0].is_text);
    }
  }
}

TEST(CsvReader, VectorPathFindsTheSameFirstConflictAndErrors) {
  // Numbers, then a boolean literal in a late row: the column becomes text on both paths.
  std::string conflict = "x,y\n";
  for (int r = 0; r < 5000; ++r) conflict += std::to_string(r) + ".5," + (r == 4321 ? "true" : "1.25") + "\n";
  TempDir dir;
  expect_same_tables(read_with(dir, conflict, true), read_with(dir, conflict, false));
  // Invalid UTF-8 in a text column inside a plain block: the same line and column named.
  std::string bad = "name,x\n";
  for (int r = 0; r < 100; ++r)
    bad += (r == 45 ? std::string("b\xff") : "ok") + "," + std::to_string(r) + "\n";
  const std::string vector_error = [&] {
    CsvOptions options;
    options.vector_parsing = true;
    return error_of(dir, bad, options);
  }();
  CsvOptions scalar_options;
  scalar_options.vector_parsing = false;
  EXPECT_EQ(vector_error, error_of(dir, bad, scalar_options));
  EXPECT_NE(vector_error.find("line 47, column 1"), std::string::npos) << vector_error;
}

TEST(CsvReader, VectorPathShortDecimalsMatchStrtodBitForBit) {
  // Eight columns of short plain decimals of every length and point position, read eight records
  // at a time, each compared with strtod.
  std::mt19937 random(11);
  std::vector<std::string> tokens;
  std::string text = "c0,c1,c2,c3,c4,c5,c6,c7\n";
  for (int r = 0; r < 20000; ++r) {
    for (int c = 0; c < 8; ++c) {
      std::string token = random() % 2 ? "-" : "";
      const int digits = 1 + (r + c) % 8;
      const int point = static_cast<int>(random() % (digits + 1));  // digits: none
      for (int i = 0; i < digits; ++i) {
        if (i == point && i > 0) token += '.';
        token += static_cast<char>('0' + random() % 10);
      }
      tokens.push_back(token);
      text += token + (c == 7 ? "\n" : ",");
    }
  }
  TempDir dir;
  const Table table = read_with(dir, text, true);
  ASSERT_EQ(table.rows, 20000u);
  for (size_t i = 0; i < tokens.size(); ++i) {
    const double expected = std::strtod(tokens[i].c_str(), nullptr);
    const double read = table.columns[i % 8].numbers[i / 8];
    ASSERT_EQ(std::memcmp(&expected, &read, sizeof(double)), 0)
        << tokens[i] << ": strtod " << expected << ", read " << read;
  }
}

}  // namespace
}  // namespace xferval
