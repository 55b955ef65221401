#include "report/svg.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace xferval::svg {

namespace {

constexpr double kWidth = 900;
constexpr double kCharWidth = 6.4;  // of the 11px sans-serif labels, to size margins without a font
constexpr size_t kMaxLabelChars = 36;

std::string px(double value) { return fmt::format("{:.1f}", value); }

std::string shorten(const std::string& label, size_t limit = kMaxLabelChars) {
  if (label.size() <= limit) return label;
  size_t cut = limit - 3;
  while (cut > 0 && (static_cast<unsigned char>(label[cut]) & 0xC0) == 0x80) --cut;  // keep UTF-8 whole
  return label.substr(0, cut) + "...";
}

double label_width(const std::vector<std::string>& labels) {
  size_t longest = 4;
  for (const std::string& label : labels) longest = std::max(longest, std::min(label.size(), kMaxLabelChars));
  return longest * kCharWidth + 12;
}

std::string open_svg(double width, double height, const std::string& description) {
  return fmt::format(
      "<svg viewBox=\"0 0 {0} {1}\" width=\"{0}\" height=\"{1}\" "
      "role=\"img\" aria-label=\"{2}\" font-family=\"sans-serif\" font-size=\"11\" class=\"chart\">",
      px(width), px(height), escape(description));
}

std::string text(double x, double y, const std::string& content, const char* anchor = "start",
                 const std::string& extra = "") {
  return fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"{}\"{}>{}</text>", px(x), px(y), anchor,
                     extra.empty() ? "" : " " + extra, escape(content));
}

std::string line(double x1, double y1, double x2, double y2, const char* stroke, const char* extra = "") {
  return fmt::format("<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{}\"{}{}/>", px(x1), px(y1),
                     px(x2), px(y2), stroke, *extra ? " " : "", extra);
}

std::string title(const std::string& tooltip) {
  return tooltip.empty() ? "" : "<title>" + escape(tooltip) + "</title>";
}

// About `count` round tick values covering [low, high].
std::vector<double> nice_ticks(double low, double high, int count = 5) {
  if (!(high > low)) return {low};
  double raw = (high - low) / count;
  double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  double step = magnitude;
  for (double factor : {1.0, 2.0, 2.5, 5.0, 10.0}) {
    step = factor * magnitude;
    if (step >= raw) break;
  }
  std::vector<double> ticks;
  for (double tick = std::ceil(low / step - 1e-9) * step; tick <= high + step * 1e-9; tick += step) {
    ticks.push_back(std::fabs(tick) < step * 1e-9 ? 0.0 : tick);
  }
  return ticks;
}

// Maps [low, high] onto [start, end] pixels.
struct Scale {
  double low, high, start, end;
  double operator()(double value) const {
    if (high == low) return (start + end) / 2;
    return start + (value - low) / (high - low) * (end - start);
  }
};

std::string no_data(const std::string& what) {
  return open_svg(kWidth, 40, what) + text(10, 24, "no data to plot", "start", "fill=\"#666\"") + "</svg>";
}

std::string x_axis(const Scale& x, double y, const std::string& label, bool log_scale = false) {
  std::string out = line(x.start, y, x.end, y, "#444");
  for (double tick : nice_ticks(x.low, x.high)) {
    out += line(x(tick), y, x(tick), y + 4, "#444");
    out += text(x(tick), y + 15, compact_number(log_scale ? std::pow(10.0, tick) : tick), "middle");
  }
  if (!label.empty()) out += text((x.start + x.end) / 2, y + 30, label, "middle", "fill=\"#333\"");
  return out;
}

std::string y_axis(const Scale& y, double x, double right, const std::string& label) {
  std::string out = line(x, y.start, x, y.end, "#444");
  for (double tick : nice_ticks(y.low, y.high)) {
    out += line(x - 4, y(tick), x, y(tick), "#444");
    out += line(x, y(tick), right, y(tick), "#eee");
    out += text(x - 6, y(tick) + 4, compact_number(tick), "end");
  }
  if (!label.empty()) {
    double middle = (y.start + y.end) / 2;
    out += fmt::format(
        "<text x=\"14\" y=\"{0}\" text-anchor=\"middle\" transform=\"rotate(-90 14 {0})\" "
        "fill=\"#333\">{1}</text>",
        px(middle), escape(label));
  }
  return out;
}

std::string legend(const std::vector<std::pair<std::string, std::string>>& entries, double right, double y) {
  std::string out;
  double x = right;
  for (auto it = entries.rbegin(); it != entries.rend(); ++it) {
    x -= it->second.size() * kCharWidth + 26;
    out += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"10\" height=\"10\" fill=\"{}\"/>", px(x), px(y - 9),
                       escape(it->first));
    out += text(x + 14, y, it->second);
  }
  return out;
}

bool finite(double value) { return std::isfinite(value); }

}  // namespace

std::string escape(std::string_view input) {
  std::string out;
  out.reserve(input.size() + 16);
  for (size_t i = 0; i < input.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(input[i]);
    switch (c) {
      case '&':
        out += "&amp;";
        continue;
      case '<':
        out += "&lt;";
        continue;
      case '>':
        out += "&gt;";
        continue;
      case '"':
        out += "&quot;";
        continue;
      case '\'':
        out += "&#39;";
        continue;
      default:
        break;
    }
    if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7F) continue;
    if (c == 0xEF && i + 2 < input.size() && static_cast<unsigned char>(input[i + 1]) == 0xBF &&
        (static_cast<unsigned char>(input[i + 2]) == 0xBE ||
         static_cast<unsigned char>(input[i + 2]) == 0xBF)) {
      i += 2;
      continue;
    }
    out += static_cast<char>(c);
  }
  return out;
}

std::string compact_number(double value) {
  if (std::isnan(value)) return "n/a";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  if (value == 0) return "0";
  // Counts and row numbers read as integers, not as 200.0.
  if (value == std::trunc(value) && std::fabs(value) < 1e7) return fmt::format("{:.0f}", value);
  const double magnitude = std::fabs(value);
  if (magnitude >= 1e6 || magnitude < 1e-3) return fmt::format("{:.3g}", value);
  if (magnitude >= 100) return fmt::format("{:.1f}", value);
  return fmt::format("{:.4g}", value);
}

std::string horizontal_bars(const std::vector<Bar>& bars, const BarChartOptions& options) {
  if (bars.empty()) return no_data(options.axis_label);
  std::vector<std::string> labels;
  double longest = 0;
  for (const Bar& bar : bars) {
    labels.push_back(bar.label);
    if (finite(bar.length)) longest = std::max(longest, bar.length);
  }
  if (options.reference) longest = std::max(longest, *options.reference);
  const double axis_max = options.axis_max.value_or(longest > 0 ? longest * 1.05 : 1.0);
  const double row = 18, top = 22, left = label_width(labels), right = kWidth - 90;
  const double height = top + row * bars.size() + 42;
  const Scale x{0, axis_max, left, right};

  std::string out = open_svg(kWidth, height, options.axis_label);
  for (size_t i = 0; i < bars.size(); ++i) {
    const Bar& bar = bars[i];
    const double y = top + row * i;
    const double length = finite(bar.length) ? std::clamp(bar.length, 0.0, axis_max) : axis_max;
    out += "<g>" + title(bar.tooltip.empty() ? bar.label + ": " + bar.value_text : bar.tooltip);
    out += text(left - 6, y + 12.5, shorten(bar.label), "end");
    out += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\"/>", px(left),
                       px(y + 3), px(x(length) - left), px(row - 5), escape(bar.colour));
    if (!finite(bar.length) || bar.length > axis_max) {  // clipped: an arrow tip says "beyond the axis"
      out += fmt::format("<path d=\"M{} {} L{} {} L{} {} Z\" fill=\"{}\"/>", px(right), px(y + 1),
                         px(right + 8), px(y + row / 2), px(right), px(y + row - 1), escape(bar.colour));
    }
    out +=
        text(x(length) + (length >= axis_max ? 12 : 4), y + 12.5, bar.value_text, "start", "fill=\"#333\"");
    out += "</g>";
  }
  const double bottom = top + row * bars.size();
  out += x_axis(x, bottom + 2, options.axis_label);
  if (options.reference && *options.reference <= axis_max) {
    const double at = x(*options.reference);
    out += line(at, top - 6, at, bottom + 2, kFailColour, "stroke-width=\"1.5\" stroke-dasharray=\"5 3\"");
    out += text(at, top - 9, options.reference_label, "middle", fmt::format("fill=\"{}\"", kFailColour));
  }
  return out + "</svg>";
}

std::string columns(const std::vector<std::string>& labels, const std::vector<double>& values,
                    const std::vector<std::string>& colours, const ColumnChartOptions& options) {
  if (values.empty()) return no_data(options.y_label);
  double low = 0, high = 0;
  for (double value : values) {
    if (!finite(value)) continue;
    low = std::min(low, value);
    high = std::max(high, value);
  }
  if (options.reference && finite(*options.reference)) high = std::max(high, *options.reference);
  if (high <= low) high = low + 1;
  high += (high - low) * 0.08;
  const double left = 64, right = kWidth - 20, top = 24, bottom = 240;
  const Scale y{low, high, bottom, top};
  const double slot = (right - left) / values.size();

  std::string out = open_svg(kWidth, bottom + 44, options.y_label);
  out += y_axis(y, left, right, options.y_label);
  for (size_t i = 0; i < values.size(); ++i) {
    const double value = finite(values[i]) ? values[i] : 0;
    const double x = left + slot * i + slot * 0.15;
    const double y0 = y(0), y1 = y(value);
    const std::string label = i < labels.size() ? labels[i] : std::to_string(i);
    out += "<g>" + title(label + ": " + compact_number(values[i]));
    out += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\"/>", px(x),
                       px(std::min(y0, y1)), px(slot * 0.7), px(std::fabs(y0 - y1)),
                       escape(i < colours.size() ? colours[i] : kNeutralColour));
    out += text(x + slot * 0.35, bottom + 15, shorten(label, 12), "middle");
    out += "</g>";
  }
  out += line(left, y(0), right, y(0), "#444");
  if (!options.x_label.empty()) out += text((left + right) / 2, bottom + 34, options.x_label, "middle");
  if (options.reference && finite(*options.reference)) {
    const double at = y(*options.reference);
    out += line(left, at, right, at, kFailColour, "stroke-width=\"1.5\" stroke-dasharray=\"5 3\"");
    out += text(right, at - 4, options.reference_label, "end", fmt::format("fill=\"{}\"", kFailColour));
  }
  return out + "</svg>";
}

std::string histogram_pair(const std::vector<double>& edges, const HistogramSeries& first,
                           const HistogramSeries& second, std::optional<double> threshold,
                           const std::string& threshold_label, const std::string& x_label) {
  const size_t bins = edges.size() >= 2 ? edges.size() - 1 : 0;
  if (bins == 0 || first.counts.size() != bins || second.counts.size() != bins) return no_data(x_label);
  auto shares = [](const std::vector<double>& counts) {
    double total = 0;
    for (double count : counts) total += count;
    std::vector<double> out;
    for (double count : counts) out.push_back(total > 0 ? count / total : 0);
    return out;
  };
  const std::vector<double> a = shares(first.counts), b = shares(second.counts);
  double peak = 0;
  for (size_t i = 0; i < bins; ++i) peak = std::max({peak, a[i], b[i]});
  if (peak <= 0) peak = 1;
  const double left = 64, right = kWidth - 20, top = 30, bottom = 250;
  const Scale x{edges.front(), edges.back(), left, right};
  const Scale y{0, peak * 1.08, bottom, top};

  std::string out = open_svg(kWidth, bottom + 44, x_label);
  out += y_axis(y, left, right, "share of rows");
  for (const auto& [series, values] : {std::pair{&first, &a}, std::pair{&second, &b}}) {
    out += fmt::format("<g fill=\"{}\" fill-opacity=\"0.55\">", escape(series->colour));
    for (size_t i = 0; i < bins; ++i) {
      if ((*values)[i] <= 0) continue;
      out += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\">{}</rect>", px(x(edges[i])),
                         px(y((*values)[i])), px(std::max(0.5, x(edges[i + 1]) - x(edges[i]) - 0.5)),
                         px(bottom - y((*values)[i])),
                         title(fmt::format("{}: [{}, {}): {} rows ({:.1f}%)", series->name,
                                           compact_number(edges[i]), compact_number(edges[i + 1]),
                                           compact_number(series->counts[i]), 100 * (*values)[i])));
    }
    out += "</g>";
  }
  out += x_axis(x, bottom, x_label);
  if (threshold && finite(*threshold)) {
    const double at = x(std::clamp(*threshold, edges.front(), edges.back()));
    out += line(at, top - 8, at, bottom, kFailColour, "stroke-width=\"1.5\" stroke-dasharray=\"5 3\"");
    out += text(at + 4, top - 12, threshold_label, "start", fmt::format("fill=\"{}\"", kFailColour));
  }
  out += legend({{first.colour, first.name}, {second.colour, second.name}}, right, 14);
  return out + "</svg>";
}

std::string scatter(const std::vector<Point>& points, const ScatterOptions& options) {
  std::vector<Point> shown;
  for (const Point& point : points) {
    if (finite(point.x) && finite(point.y) && (!options.log_x || point.x > 0)) shown.push_back(point);
  }
  if (shown.empty()) return no_data(options.y_label);
  auto to_x = [&](double value) { return options.log_x ? std::log10(value) : value; };
  double x_low = std::numeric_limits<double>::infinity(), x_high = -x_low, y_low = x_low, y_high = -x_low;
  for (const Point& point : shown) {
    x_low = std::min(x_low, to_x(point.x));
    x_high = std::max(x_high, to_x(point.x));
    y_low = std::min(y_low, point.y);
    y_high = std::max(y_high, point.y);
  }
  const bool categorical = !options.categories.empty();
  if (categorical) {
    x_low = -0.5;
    x_high = options.categories.size() - 0.5;
  }
  const double x_pad = x_high > x_low ? (x_high - x_low) * 0.04 : 1;
  const double y_pad = y_high > y_low ? (y_high - y_low) * 0.06 : std::max(1.0, std::fabs(y_low) * 0.1);
  if (!categorical) x_low -= x_pad, x_high += x_pad;
  const double left = 70, right = kWidth - 20, top = 28, bottom = 250;
  const Scale x{x_low, x_high, left, right};
  const Scale y{y_low - y_pad, y_high + y_pad, bottom, top};

  std::string out = open_svg(kWidth, bottom + 44, options.y_label + " against " + options.x_label);
  out += y_axis(y, left, right, options.y_label);
  if (categorical) {
    out += line(left, bottom, right, bottom, "#444");
    for (size_t i = 0; i < options.categories.size(); ++i) {
      out += text(x(static_cast<double>(i)), bottom + 15, shorten(options.categories[i], 18), "middle");
    }
    out += text((left + right) / 2, bottom + 34, options.x_label, "middle", "fill=\"#333\"");
  } else {
    out += x_axis(x, bottom, options.x_label + (options.log_x ? " (log scale)" : ""), options.log_x);
  }
  if (options.step_line.size() >= 2) {  // a staircase: the best value holds until a trial improves it
    std::string path;
    for (const auto& [step_x, step_y] : options.step_line) {
      if (!finite(step_x) || !finite(step_y) || (options.log_x && step_x <= 0)) continue;
      path += path.empty() ? fmt::format("M{} {}", px(x(to_x(step_x))), px(y(step_y)))
                           : fmt::format(" H{} V{}", px(x(to_x(step_x))), px(y(step_y)));
    }
    out +=
        fmt::format("<path d=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"1.5\"/>", path, kPassColour);
  }
  for (const Point& point : shown) {
    out += fmt::format("<circle cx=\"{}\" cy=\"{}\" r=\"4\" fill=\"{}\" fill-opacity=\"0.8\">{}</circle>",
                       px(x(to_x(point.x))), px(y(point.y)), escape(point.colour), title(point.tooltip));
  }
  if (!options.legend.empty()) out += legend(options.legend, right, 14);
  return out + "</svg>";
}

std::string dumbbells(const std::vector<Dumbbell>& rows, const std::string& control_name,
                      const std::string& score_name) {
  if (rows.empty()) return no_data(score_name);
  std::vector<std::string> labels;
  for (const Dumbbell& row : rows) labels.push_back(row.label);
  const double left = label_width(labels), right = kWidth - 130, top = 30, height = 38;
  std::string out = open_svg(kWidth, top + height * rows.size() + 8, score_name + " against " + control_name);
  out += legend({{kNeutralColour, control_name}, {kPassColour, score_name}}, right, 14);
  for (size_t i = 0; i < rows.size(); ++i) {
    const Dumbbell& row = rows[i];
    const double middle = top + height * i + 24;
    double low = std::min(row.control, row.score), high = std::max(row.control, row.score);
    const double pad = high > low ? (high - low) * 0.25 : std::max(1.0, std::fabs(high) * 0.25);
    const Scale x{low - pad, high + pad, left + 10, right};
    const char* colour = row.score_wins ? kPassColour : kFailColour;
    out += "<g>" + title(fmt::format("{}: {} {}, {} {}", row.label, score_name, compact_number(row.score),
                                     control_name, compact_number(row.control)));
    out += text(left - 6, middle + 4, shorten(row.label), "end");
    out += line(left + 10, middle, right, middle, "#ddd");
    out += line(x(row.control), middle, x(row.score), middle, "#999", "stroke-width=\"3\"");
    out += fmt::format("<circle cx=\"{}\" cy=\"{}\" r=\"6\" fill=\"{}\"/>", px(x(row.control)), px(middle),
                       kNeutralColour);
    out += fmt::format("<circle cx=\"{}\" cy=\"{}\" r=\"6\" fill=\"{}\"/>", px(x(row.score)), px(middle),
                       colour);
    out += text(x(row.control), middle - 9, compact_number(row.control), "middle", "fill=\"#555\"");
    out += text(x(row.score), middle - 9, compact_number(row.score), "middle",
                fmt::format("fill=\"{}\"", colour));
    out += text(kWidth - 6, middle + 4, "margin " + compact_number(row.score - row.control), "end",
                fmt::format("fill=\"{}\"", colour));
    out += "</g>";
  }
  return out + "</svg>";
}

std::string heatmap(const std::vector<std::string>& labels, const std::vector<std::vector<double>>& matrix,
                    const std::string& row_title, const std::string& column_title) {
  const size_t n = matrix.size();
  if (n == 0 || labels.size() != n) return no_data(row_title);
  for (const auto& row : matrix) {
    if (row.size() != n) return no_data(row_title);
  }
  const double cell = std::clamp(560.0 / n, 6.0, 44.0);
  const double left = label_width(labels) + 24, top = 44;
  const double width = std::max(left + cell * n + 20, 320.0), height = top + cell * n + 20;
  std::string out = open_svg(width, height, row_title + " by " + column_title);
  out += text(left + cell * n / 2, 14, column_title, "middle", "fill=\"#333\"");
  out += fmt::format(
      "<text x=\"12\" y=\"{0}\" text-anchor=\"middle\" transform=\"rotate(-90 12 {0})\" "
      "fill=\"#333\">{1}</text>",
      px(top + cell * n / 2), escape(row_title));
  const bool show_labels = cell >= 14;
  for (size_t i = 0; i < n; ++i) {
    if (show_labels) {
      out += text(left - 4, top + cell * i + cell / 2 + 4, shorten(labels[i], 20), "end");
      out += text(left + cell * i + cell / 2, top - 6, shorten(labels[i], static_cast<size_t>(cell / 6.5)),
                  "middle");
    }
    double total = 0;
    for (double count : matrix[i]) total += finite(count) ? count : 0;
    for (size_t j = 0; j < n; ++j) {
      const double count = finite(matrix[i][j]) ? matrix[i][j] : 0;
      const double share = total > 0 ? count / total : 0;
      // White to the source blue (31, 119, 180) by share.
      const int red = static_cast<int>(255 - share * (255 - 31)),
                green = static_cast<int>(255 - share * (255 - 119)),
                blue = static_cast<int>(255 - share * (255 - 180));
      out += fmt::format(
          "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"rgb({},{},{})\" stroke=\"#fff\">{}"
          "</rect>",
          px(left + cell * j), px(top + cell * i), px(cell), px(cell), red, green, blue,
          title(fmt::format("{} {}, {} {}: {} ({:.1f}% of the row)", row_title, labels[i], column_title,
                            labels[j], compact_number(count), 100 * share)));
      if (cell >= 22) {
        out += text(left + cell * j + cell / 2, top + cell * i + cell / 2 + 4, compact_number(count),
                    "middle", share > 0.5 ? "fill=\"#fff\"" : "fill=\"#222\"");
      }
    }
  }
  return out + "</svg>";
}

}  // namespace xferval::svg
