#pragma once
// Charts for the HTML report, drawn as inline SVG so the page needs no script, font or network.
// Every function returns one closed <svg> element; every text it is given is escaped here. The
// elements carry no xmlns: the HTML parser puts them in the SVG namespace, and the page then holds
// no URL at all.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace xferval::svg {

// Colours shared with the page's CSS, so a chart and its table agree.
inline constexpr const char* kFailColour = "#c62828";
inline constexpr const char* kWarnColour = "#e08a00";
inline constexpr const char* kPassColour = "#2e7d32";
inline constexpr const char* kNeutralColour = "#607d8b";
inline constexpr const char* kSourceColour = "#1f77b4";
inline constexpr const char* kTargetColour = "#ff7f0e";

// XML escaping for text and attribute values: & < > " ' become entities, control characters
// other than tab, newline and carriage return are dropped (XML 1.0 cannot carry them), and so are
// the non-characters U+FFFE and U+FFFF.
std::string escape(std::string_view text);
// A number in few characters ("n/a" for NaN, "inf" for infinity): 0.004975, 1.5e-170, 456.9.
std::string compact_number(double value);

// Horizontal bars, one row each, against an optional reference line (a threshold).
struct Bar {
  std::string label;
  double length = 0;       // drawn length; clipped to the axis maximum
  std::string value_text;  // shown at the end of the bar
  std::string colour;      // fill
  std::string tooltip;     // <title>
};
struct BarChartOptions {
  std::string axis_label;
  std::optional<double> reference;  // vertical line, e.g. the threshold
  std::string reference_label;
  std::optional<double> axis_max;  // clip longer bars (they get an arrow tip)
};
std::string horizontal_bars(const std::vector<Bar>& bars, const BarChartOptions& options);

// Vertical columns (e.g. quantiles) with an optional horizontal reference line.
struct ColumnChartOptions {
  std::string x_label;
  std::string y_label;
  std::optional<double> reference;
  std::string reference_label;
};
std::string columns(const std::vector<std::string>& labels, const std::vector<double>& values,
                    const std::vector<std::string>& colours, const ColumnChartOptions& options);

// Two histograms on shared bin edges, each drawn as shares of its own total (the two samples
// differ in size), with an optional threshold line.
struct HistogramSeries {
  std::string name;
  std::vector<double> counts;  // one per bin: edges.size() - 1
  std::string colour;
};
std::string histogram_pair(const std::vector<double>& edges, const HistogramSeries& first,
                           const HistogramSeries& second, std::optional<double> threshold,
                           const std::string& threshold_label, const std::string& x_label);

// Points; x is numeric unless categories are given (then x is a category index).
struct Point {
  double x = 0;
  double y = 0;
  std::string colour;
  std::string tooltip;
};
struct ScatterOptions {
  std::string x_label;
  std::string y_label;
  bool log_x = false;
  std::vector<std::string> categories;                      // non-empty: categorical x axis
  std::vector<std::pair<double, double>> step_line;         // e.g. best value so far
  std::vector<std::pair<std::string, std::string>> legend;  // (colour, text)
};
std::string scatter(const std::vector<Point>& points, const ScatterOptions& options);

// One row per pair of figures on the row's own scale, e.g. a transferability score against its
// permuted-label control; figures of different metrics are not comparable, so no shared axis.
struct Dumbbell {
  std::string label;
  double control = 0;
  double score = 0;
  bool score_wins = true;  // colours the score dot
};
std::string dumbbells(const std::vector<Dumbbell>& rows, const std::string& control_name,
                      const std::string& score_name);

// A matrix of counts (rows: true class, columns: predicted), each cell shaded by its share of the
// row so that classes of different sizes read alike.
std::string heatmap(const std::vector<std::string>& labels, const std::vector<std::vector<double>>& matrix,
                    const std::string& row_title, const std::string& column_title);

}  // namespace xferval::svg
