// The Markdown rendering of a real report (the tabular covariate-shift example) against a reviewed
// snapshot. When a change to the rendering is intended, review the new output and regenerate:
//   build/xferval report tests/report/fixtures/tabular_shifted.report.json
//       --md tests/report/fixtures/tabular_shifted.report.md   (one command line)
#include <gtest/gtest.h>

#include "test_support.hpp"
#include "xferval/report/render.hpp"
#include "xferval/report/report.hpp"

namespace xferval {
namespace {

TEST(MarkdownSnapshot, TabularShiftedReportMatchesTheReviewedSnapshot) {
  Report report = load_report(testing::source_path("tests/report/fixtures/tabular_shifted.report.json").string());
  std::string expected = testing::read_file(testing::source_path("tests/report/fixtures/tabular_shifted.report.md"));
  std::string actual = render_markdown(report);
  ASSERT_EQ(actual.size(), expected.size());
  EXPECT_EQ(actual, expected);
}

}  // namespace
}  // namespace xferval
