#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <map>
#include <set>

#include "report/svg.hpp"
#include "xferval/report/render.hpp"

namespace xferval {

namespace {

using nlohmann::json;
using svg::compact_number;
using svg::escape;

// Drift bars beyond this many would make the page a wall of bars; the rest are counted.
constexpr size_t kMaxDriftBars = 60;
constexpr size_t kMaxLayerBars = 80;
// p-values this small are all "certain drift" for the chart; -log10 of it is the bar's length.
constexpr double kSmallestPValue = 1e-300;

// The system font stack: no font is fetched, and the page still reads like the platform.
constexpr const char* kStyle = R"css(
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;margin:0;
 color:#1d1d1f;background:#f6f7f9;line-height:1.45}
main{max-width:1100px;margin:0 auto;padding:24px}
section{background:#fff;border:1px solid #e1e4e8;border-radius:8px;padding:16px 20px;margin:16px 0}
h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:0 0 10px}h3{font-size:15px;margin:14px 0 6px}
.verdict{display:inline-block;font-size:40px;font-weight:800;letter-spacing:2px;padding:6px 26px;border-radius:8px;
 color:#fff;margin:8px 0}
.verdict.PASS{background:#2e7d32}.verdict.FAIL{background:#c62828}
.badge{display:inline-block;border-radius:12px;padding:1px 10px;margin:2px 4px 2px 0;font-size:13px;
 background:#eceff1}
.badge.error{background:#ffcdd2}.badge.warn{background:#ffe0b2}.badge.pass{background:#c8e6c9}
.muted{color:#666;font-size:13px}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{border-bottom:1px solid #eee;padding:4px 6px;text-align:left;vertical-align:top}
th{background:#fafbfc}td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
tr.fail-error td.outcome{color:#c62828;font-weight:700}tr.fail-warn td.outcome{color:#b26a00;font-weight:700}
tr.fail-info td.outcome{color:#455a64;font-weight:700}tr.skipped td{color:#888}tr.pass td.outcome{color:#2e7d32}
code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px;overflow-wrap:break-word}
svg.chart{max-width:100%;height:auto;display:block;margin:6px 0}
nav a{margin-right:12px;font-size:13px}
details summary{cursor:pointer;color:#555}
dl.figures{display:grid;grid-template-columns:max-content auto;gap:2px 16px;font-size:13px;margin:0}
dl.figures dt{color:#555}dl.figures dd{margin:0}
)css";

bool starts_with(const std::string& text, std::string_view prefix) { return text.rfind(prefix, 0) == 0; }

std::string outcome_class(const CheckResult& check) {
  if (check.outcome == Outcome::Fail) return "fail-" + std::string(to_string(check.severity));
  return std::string(to_string(check.outcome));
}

std::string severity_colour(const CheckResult& check) {
  if (check.outcome != Outcome::Fail) return svg::kPassColour;
  if (check.severity == Severity::Error) return svg::kFailColour;
  return check.severity == Severity::Warn ? svg::kWarnColour : svg::kNeutralColour;
}

double number_or_nan(const json& value) { return value.is_number() ? value.get<double>() : std::nan(""); }

std::vector<double> numbers(const json& array) {
  std::vector<double> out;
  if (!array.is_array()) return out;
  for (const json& item : array) out.push_back(number_or_nan(item));
  return out;
}

std::string scalar_text(const json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_number()) return compact_number(value.get<double>());
  return value.dump();
}

// The checks of one family (name prefix) as a compact table under the family's chart.
std::string checks_table(const std::vector<const CheckResult*>& checks, bool with_details) {
  if (checks.empty()) return "";
  std::string out =
      "<table class=\"checks\"><thead><tr><th>outcome</th><th>severity</th><th>check</th><th>feature</th>"
      "<th>metric</th><th>value</th><th>threshold</th><th>message</th></tr></thead><tbody>\n";
  for (const CheckResult* check : checks) {
    std::string message = escape(check->message);
    if (with_details && !check->details.empty()) {
      message +=
          "<details><summary>details</summary><code>" + escape(check->details.dump()) + "</code></details>";
    }
    out += fmt::format(
        "<tr class=\"{}\"><td "
        "class=\"outcome\">{}</td><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td>"
        "<td class=\"num\">{}</td><td class=\"num\">{} {}</td><td>{}</td></tr>\n",
        outcome_class(*check), to_string(check->outcome), to_string(check->severity), escape(check->name),
        escape(check->feature), escape(check->metric), compact_number(check->value),
        escape(std::string(to_string(check->fails_when))), compact_number(check->threshold), message);
  }
  return out + "</tbody></table>\n";
}

std::vector<const CheckResult*> checks_named(const Report& report, std::string_view prefix) {
  std::vector<const CheckResult*> out;
  for (const CheckResult* check : checks_in_reading_order(report)) {
    if (starts_with(check->name, prefix)) out.push_back(check);
  }
  return out;
}

std::string section(const std::string& id, const std::string& heading, const std::string& body) {
  return fmt::format("<section id=\"{}\">\n<h2>{}</h2>\n{}</section>\n", id, escape(heading), body);
}

// --- the verdict and the inputs -----------------------------------------------------------------

std::string verdict_section(const Report& report) {
  const std::string verdict = report.verdict();
  std::string body = fmt::format("<div class=\"verdict {0}\">{0}</div>\n<p>", verdict);
  body += fmt::format("<span class=\"badge\">{} checks</span>", report.checks.size());
  body += fmt::format("<span class=\"badge pass\">{} passed</span>", report.count(Outcome::Pass));
  body += fmt::format("<span class=\"badge error\">{} failed error</span>",
                      report.count(Outcome::Fail, Severity::Error));
  body += fmt::format("<span class=\"badge warn\">{} failed warn</span>",
                      report.count(Outcome::Fail, Severity::Warn));
  body +=
      fmt::format("<span class=\"badge\">{} failed info</span>", report.count(Outcome::Fail, Severity::Info));
  body += fmt::format("<span class=\"badge\">{} skipped</span></p>\n", report.count(Outcome::Skipped));
  body += verdict == "FAIL"
              ? "<p>An error-severity check failed: the model's assumptions do not hold for this input.</p>\n"
              : "<p>No error-severity check failed.</p>\n";
  std::vector<const CheckResult*> errors;
  for (const CheckResult* check : checks_in_reading_order(report)) {
    if (check->outcome == Outcome::Fail && check->severity == Severity::Error) errors.push_back(check);
  }
  if (!errors.empty()) {
    body += "<ul>\n";
    for (const CheckResult* check : errors) {
      body += fmt::format("<li><code>{}</code>{}: {}</li>\n", escape(check->name),
                          check->feature.empty() ? "" : " on <code>" + escape(check->feature) + "</code>",
                          escape(check->message));
    }
    body += "</ul>\n";
  }
  body += fmt::format("<p class=\"muted\">xferval {} report, created {}, xferval {}</p>\n",
                      escape(report.verb), escape(report.created), escape(report.xferval_version));
  return fmt::format("<section id=\"verdict\">\n<h1>xferval {} report</h1>\n{}</section>\n",
                     escape(report.verb), body);
}

std::string inputs_section(const Report& report) {
  std::string files =
      "<table><thead><tr><th>input</th><th>path</th><th>content "
      "hash</th><th>facts</th></tr></thead><tbody>\n";
  std::string settings;
  for (const auto& [role, value] : report.inputs.items()) {
    if (value.is_object()) {
      std::vector<std::string> facts;
      for (const auto& [key, member] : value.items()) {
        if (key != "path" && key != "content_hash") facts.push_back(key + " " + scalar_text(member));
      }
      files +=
          fmt::format("<tr><td>{}</td><td><code>{}</code></td><td><code>{}</code></td><td>{}</td></tr>\n",
                      escape(role), escape(value.contains("path") ? scalar_text(value["path"]) : ""),
                      escape(value.contains("content_hash") ? scalar_text(value["content_hash"]) : ""),
                      escape(fmt::format("{}", fmt::join(facts, ", "))));
    } else {
      settings += fmt::format("<dt>{}</dt><dd>{}</dd>", escape(role), escape(scalar_text(value)));
    }
  }
  files += "</tbody></table>\n";
  if (!settings.empty()) settings = "<h3>Settings</h3><dl class=\"figures\">" + settings + "</dl>\n";
  return section("inputs", "Inputs", files + settings);
}

// Rows, features and each section's scalar figures: what the checks looked at.
std::string overview_section(const Report& report) {
  std::string figures;
  for (const auto& [role, value] : report.inputs.items()) {
    if (value.is_object() && value.contains("rows")) {
      figures += fmt::format("<dt>{} rows</dt><dd>{}</dd>", escape(role), escape(scalar_text(value["rows"])));
    }
  }
  std::set<std::string> features;
  for (const CheckResult& check : report.checks) {
    if (!check.feature.empty()) features.insert(check.feature);
  }
  if (!features.empty()) {
    figures += fmt::format("<dt>features or tensors checked</dt><dd>{}</dd>", features.size());
  }
  for (const auto& [name, body] : report.sections.items()) {
    if (!body.is_object()) continue;
    for (const auto& [key, value] : body.items()) {
      if (value.is_array()) {
        figures += fmt::format("<dt>{}.{}</dt><dd>{} entries</dd>", escape(name), escape(key), value.size());
      } else if (!value.is_object() && !value.is_null()) {
        figures +=
            fmt::format("<dt>{}.{}</dt><dd>{}</dd>", escape(name), escape(key), escape(scalar_text(value)));
      }
    }
  }
  std::map<std::string, std::array<size_t, 3>> families;  // pass, fail, skipped
  for (const CheckResult& check : report.checks) {
    const std::string family = check.name.substr(0, check.name.find('.'));
    families[family][static_cast<size_t>(check.outcome)]++;
  }
  std::string table =
      "<table><thead><tr><th>family</th><th>checks</th><th>passed</th><th>failed</th><th>skipped</th></tr>"
      "</thead><tbody>\n";
  for (const auto& [family, counts] : families) {
    table += fmt::format(
        "<tr><td><code>{}</code></td><td class=\"num\">{}</td><td class=\"num\">{}</td>"
        "<td class=\"num\">{}</td><td class=\"num\">{}</td></tr>\n",
        escape(family), counts[0] + counts[1] + counts[2], counts[0], counts[1], counts[2]);
  }
  table += "</tbody></table>\n";
  return section("overview", "Data overview",
                 (figures.empty() ? "" : "<dl class=\"figures\">" + figures + "</dl>\n") +
                     "<h3>Checks by family</h3>" + table);
}

// --- per-feature drift --------------------------------------------------------------------------

// A p-value check fails below alpha; -log10 turns "smaller" into "longer" so that p-values and
// distances share one picture: each bar is the check's figure over its threshold's figure.
bool is_p_value(const CheckResult& check) {
  return check.fails_when == FailsWhen::Below && check.threshold > 0 && check.threshold < 1;
}

std::string drift_section(const Report& report) {
  struct Row {
    const CheckResult* check;
    double ratio;
  };
  std::vector<Row> rows;
  size_t unplotted = 0;
  for (const CheckResult& check : report.checks) {
    if (!starts_with(check.name, "drift.") || check.feature.empty()) continue;
    if (check.outcome == Outcome::Skipped || std::isnan(check.value) || !(check.threshold > 0)) {
      ++unplotted;
      continue;
    }
    const double ratio =
        is_p_value(check) ? -std::log10(std::max(check.value, kSmallestPValue)) / -std::log10(check.threshold)
                          : check.value / check.threshold;
    rows.push_back({&check, ratio});
  }
  const std::vector<const CheckResult*> dataset_checks = [&] {
    std::vector<const CheckResult*> out;
    for (const CheckResult* check : checks_named(report, "drift.")) {
      if (check->feature.empty()) out.push_back(check);
    }
    return out;
  }();
  if (rows.empty() && dataset_checks.empty()) return "";
  std::stable_sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) { return a.ratio > b.ratio; });
  std::vector<svg::Bar> bars;
  double longest = 0;
  for (size_t i = 0; i < rows.size() && i < kMaxDriftBars; ++i) {
    const CheckResult& check = *rows[i].check;
    const std::string test = check.name.substr(6);
    const std::string value_text =
        is_p_value(check)
            ? fmt::format("p {} (alpha {})", compact_number(check.value), compact_number(check.threshold))
            : fmt::format("{} (threshold {})", compact_number(check.value), compact_number(check.threshold));
    bars.push_back({check.feature + " · " + test, rows[i].ratio, value_text, severity_colour(check),
                    fmt::format("{} {}: {}; {}", check.name, check.feature, check.metric, check.message)});
    longest = std::max(longest, rows[i].ratio);
  }
  std::string body =
      "<p>Each bar is a feature's drift figure relative to its threshold: 1 is the threshold, longer is more "
      "drift. p-values are drawn as -log10(p) / -log10(alpha), distances as distance / threshold. Red: a "
      "failed "
      "error check, orange: a failed warning, green: passed.</p>\n";
  if (!bars.empty()) {
    body += svg::horizontal_bars(
        bars, {"drift relative to its threshold", 1.0, "threshold", std::clamp(longest * 1.05, 1.5, 10.0)});
  }
  if (rows.size() > kMaxDriftBars) {
    body +=
        fmt::format("<p class=\"muted\">{} more features with less drift are in the table of checks.</p>\n",
                    rows.size() - kMaxDriftBars);
  }
  if (unplotted > 0) {
    body +=
        fmt::format("<p class=\"muted\">{} drift checks were skipped or have no figure.</p>\n", unplotted);
  }
  body += checks_table(dataset_checks, true);
  return section("drift", "Per-feature drift against thresholds", body);
}

// --- the verb's sections ------------------------------------------------------------------------

std::string mahalanobis_section(const Report& report) {
  if (!report.sections.contains("mahalanobis")) return "";
  const json& mahalanobis = report.sections["mahalanobis"];
  std::string body;
  if (mahalanobis.is_object() && mahalanobis.contains("histogram")) {
    const json& histogram = mahalanobis["histogram"];
    const std::vector<double> edges = numbers(histogram.value("edges", json()));
    const double threshold = number_or_nan(histogram.value("threshold", json()));
    svg::HistogramSeries source{"held-out source", numbers(histogram.value("calibration", json())),
                                svg::kSourceColour};
    svg::HistogramSeries target{"target", numbers(histogram.value("target", json())), svg::kTargetColour};
    double source_rows = 0, target_rows = 0;
    for (double count : source.counts) source_rows += count;
    for (double count : target.counts) target_rows += count;
    source.name += fmt::format(" ({} rows)", compact_number(source_rows));
    target.name += fmt::format(" ({} rows)", compact_number(target_rows));
    body +=
        "<p>Squared Mahalanobis distances to the source's fitted Gaussian, of held-out source rows and of "
        "the "
        "target rows, each as a share of its own rows; the dashed line is the chi-square threshold.</p>\n";
    body += svg::histogram_pair(edges, source, target, threshold,
                                fmt::format("chi-square threshold {}", compact_number(threshold)),
                                "squared Mahalanobis distance");
  }
  body += checks_table(checks_named(report, "multivariate."), true);
  return section("mahalanobis", "Multivariate drift: Mahalanobis distances", body);
}

std::string ood_section(const Report& report) {
  if (!report.sections.contains("ood")) return "";
  const json& ood = report.sections["ood"];
  std::string body;
  const std::vector<double> deciles =
      ood.is_object() ? numbers(ood.value("target_scores_deciles", json())) : std::vector<double>{};
  const double threshold = ood.is_object() ? number_or_nan(ood.value("threshold", json())) : std::nan("");
  if (!deciles.empty()) {
    std::vector<std::string> labels, colours;
    for (size_t i = 0; i < deciles.size(); ++i) {
      const bool ends = deciles.size() == 11 && (i == 0 || i == 10);
      labels.push_back(deciles.size() == 11 ? (ends ? (i == 0 ? "min" : "max") : fmt::format("{}%", i * 10))
                                            : std::to_string(i));
      colours.push_back(deciles[i] > threshold ? svg::kTargetColour : svg::kSourceColour);
    }
    body +=
        "<p>Deciles of the target's out-of-distribution scores; the dashed line is the threshold taken from "
        "held-out source samples. Orange deciles lie above it.</p>\n";
    body += svg::columns(labels, deciles, colours,
                         {"decile of target samples", "OOD score",
                          std::isnan(threshold) ? std::nullopt : std::optional<double>(threshold),
                          fmt::format("threshold {}", compact_number(threshold))});
  }
  body += checks_table(checks_named(report, "ood."), true);
  return section("ood", "Out-of-distribution scores", body);
}

std::string transfer_section(const Report& report) {
  std::vector<svg::Dumbbell> rows;
  const std::vector<const CheckResult*> checks = checks_named(report, "transfer.");
  for (const CheckResult* check : checks) {
    const double score = number_or_nan(check->details.value("score", json()));
    const double control = number_or_nan(check->details.value("permuted_control", json()));
    if (std::isfinite(score) && std::isfinite(control)) {
      rows.push_back({check->name.substr(9), control, score, check->outcome != Outcome::Fail});
    }
  }
  if (checks.empty()) return "";
  std::string body =
      "<p>Each transferability score of the model's features for the target labels against the same score "
      "with "
      "the labels permuted (a control that no real structure can beat). A score that does not clear its "
      "control "
      "says the features carry nothing about these labels. Each row has its own scale.</p>\n";
  if (!rows.empty()) body += svg::dumbbells(rows, "permuted control", "score");
  body += checks_table(checks, true);
  return section("transfer", "Transferability against its control", body);
}

// sections.tune: {direction, trials: [{number, value, state, params: {name: value}}]}.
std::string tune_section(const Report& report) {
  if (!report.sections.contains("tune")) return "";
  const json& tune = report.sections["tune"];
  if (!tune.is_object() || !tune.contains("trials") || !tune["trials"].is_array()) return "";
  const bool maximize = tune.value("direction", std::string("minimize")) == "maximize";
  const std::string objective = tune.value("objective", std::string("objective"));
  const std::map<std::string, std::string> state_colours = {
      {"COMPLETE", svg::kSourceColour}, {"PRUNED", "#9e9e9e"}, {"FAIL", svg::kFailColour}};
  auto colour_of = [&](const std::string& state) {
    auto found = state_colours.find(state);
    return found == state_colours.end() ? std::string(svg::kNeutralColour) : found->second;
  };

  std::vector<svg::Point> history;
  std::vector<std::pair<double, double>> best_line;
  std::optional<double> best;
  std::map<std::string, std::vector<std::pair<json, double>>> by_parameter;
  for (const json& trial : tune["trials"]) {
    if (!trial.is_object()) continue;
    const double number = number_or_nan(trial.value("number", json()));
    const double value = number_or_nan(trial.value("value", json()));
    const std::string state = trial.value("state", std::string("COMPLETE"));
    if (!std::isfinite(value)) continue;
    std::string tooltip =
        fmt::format("trial {}: {} {} ({})", compact_number(number), objective, compact_number(value), state);
    if (trial.contains("params") && trial["params"].is_object()) {
      for (const auto& [name, parameter] : trial["params"].items()) {
        tooltip += fmt::format("\n{} = {}", name, scalar_text(parameter));
        if (state == "COMPLETE") by_parameter[name].push_back({parameter, value});
      }
    }
    history.push_back({number, value, colour_of(state), tooltip});
    if (state == "COMPLETE" && (!best || (maximize ? value > *best : value < *best))) best = value;
    if (best) best_line.push_back({number, *best});
  }
  std::string body =
      fmt::format("<p>{} trials; {} {}. The green staircase is the best value so far.</p>\n",
                  tune["trials"].size(), maximize ? "maximising" : "minimising", escape(objective));
  svg::ScatterOptions options{"trial", objective, false, {}, best_line, {}};
  for (const auto& [state, colour] : state_colours) options.legend.push_back({colour, state});
  body += "<h3>Search history</h3>\n" + svg::scatter(history, options);
  for (const auto& [name, samples] : by_parameter) {
    bool numeric = true, positive = true;
    double low = std::numeric_limits<double>::infinity(), high = -low;
    for (const auto& [parameter, value] : samples) {
      numeric = numeric && parameter.is_number();
      if (!parameter.is_number()) continue;
      const double x = parameter.get<double>();
      positive = positive && x > 0;
      low = std::min(low, x);
      high = std::max(high, x);
    }
    svg::ScatterOptions parameter_options{name, objective, numeric && positive && high >= 100 * low,
                                          {},   {},        {}};
    std::vector<svg::Point> points;
    for (const auto& [parameter, value] : samples) {
      double x;
      if (numeric) {
        x = parameter.get<double>();
      } else {
        const std::string category = scalar_text(parameter);
        auto found =
            std::find(parameter_options.categories.begin(), parameter_options.categories.end(), category);
        x = static_cast<double>(found - parameter_options.categories.begin());
        if (found == parameter_options.categories.end()) parameter_options.categories.push_back(category);
      }
      points.push_back(
          {x, value, svg::kSourceColour,
           fmt::format("{} = {}: {} {}", name, scalar_text(parameter), objective, compact_number(value))});
    }
    body += fmt::format("<h3>{} against {}</h3>\n", escape(name), escape(objective)) +
            svg::scatter(points, parameter_options);
  }
  return section("tune", "Hyperparameter search", body);
}

// Per-layer relative change: sections.verify.layers, or what `xferval verify` writes today,
// sections.params.layers; each item {layer, relative_change or relative_l2}.
std::string layers_section(const Report& report) {
  const json* layers = nullptr;
  for (const char* name : {"verify", "params"}) {
    if (report.sections.contains(name) && report.sections[name].is_object() &&
        report.sections[name].contains("layers") && report.sections[name]["layers"].is_array()) {
      layers = &report.sections[name]["layers"];
      break;
    }
  }
  if (!layers || layers->empty()) return "";
  std::optional<double> threshold;
  bool one_threshold = true;
  for (const CheckResult* check : checks_named(report, "params.relative_change")) {
    if (threshold && *threshold != check->threshold) one_threshold = false;
    threshold = check->threshold;
  }
  if (!one_threshold) threshold.reset();
  std::vector<svg::Bar> bars;
  for (const json& layer : *layers) {
    if (!layer.is_object() || bars.size() >= kMaxLayerBars) continue;
    const std::string name = layer.contains("layer")  ? scalar_text(layer["layer"])
                             : layer.contains("name") ? scalar_text(layer["name"])
                                                      : "?";
    double change = number_or_nan(layer.value("relative_change", json()));
    if (std::isnan(change)) change = number_or_nan(layer.value("relative_l2", json()));
    const bool above = threshold && change > *threshold;
    bars.push_back({name, change, compact_number(change), above ? svg::kWarnColour : svg::kPassColour,
                    fmt::format("{}: relative change {}", name, compact_number(change))});
  }
  std::string body =
      "<p>How far each layer moved from its base: ||W' - W|| / ||W|| over the layer's tensors. Near 1 means "
      "re-initialised.</p>\n";
  body += svg::horizontal_bars(
      bars, {"relative change", threshold,
             threshold ? fmt::format("threshold {}", compact_number(*threshold)) : "", std::nullopt});
  if (layers->size() > kMaxLayerBars) {
    body += fmt::format("<p class=\"muted\">The first {} of {} layers.</p>\n", kMaxLayerBars, layers->size());
  }
  return section("layers", "Per-layer parameter change", body);
}

// sections.evaluation.confusion_matrix: {labels: [...], matrix: [[count]]}, rows true, columns predicted.
std::string confusion_section(const Report& report) {
  if (!report.sections.contains("evaluation") || !report.sections["evaluation"].is_object()) return "";
  const json& evaluation = report.sections["evaluation"];
  if (!evaluation.contains("confusion_matrix") || !evaluation["confusion_matrix"].is_object()) return "";
  const json& confusion = evaluation["confusion_matrix"];
  std::vector<std::string> labels;
  for (const json& label : confusion.value("labels", json::array())) labels.push_back(scalar_text(label));
  std::vector<std::vector<double>> matrix;
  double diagonal = 0, total = 0;
  for (const json& row : confusion.value("matrix", json::array())) matrix.push_back(numbers(row));
  for (size_t i = 0; i < matrix.size(); ++i) {
    for (size_t j = 0; j < matrix[i].size(); ++j) {
      const double count = std::isfinite(matrix[i][j]) ? matrix[i][j] : 0;
      total += count;
      if (i == j) diagonal += count;
    }
  }
  std::string body =
      "<p>Rows are the true classes, columns the predicted ones; each cell is shaded by its share of the "
      "row.";
  if (total > 0)
    body += fmt::format(" Accuracy {:.4g} on {} samples.", diagonal / total, compact_number(total));
  body += "</p>\n" + svg::heatmap(labels, matrix, "true class", "predicted class");
  return section("confusion", "Confusion matrix", body);
}

std::string all_checks_section(const Report& report) {
  return section("checks", "All checks", checks_table(checks_in_reading_order(report), true));
}

// A section built from malformed data says so instead of losing the whole page.
template <typename Render>
std::string guarded(const char* what, Render render, const Report& report) {
  try {
    return render(report);
  } catch (const std::exception& error) {
    return section(std::string(what) + "-error", std::string("Could not draw ") + what,
                   "<p>" + escape(error.what()) + "</p>\n");
  }
}

}  // namespace

std::string render_html(const Report& report) {
  std::vector<std::pair<std::string, std::string>> parts = {
      {"inputs", guarded("inputs", inputs_section, report)},
      {"overview", guarded("overview", overview_section, report)},
      {"drift", guarded("drift", drift_section, report)},
      {"mahalanobis", guarded("mahalanobis", mahalanobis_section, report)},
      {"ood", guarded("ood", ood_section, report)},
      {"transfer", guarded("transfer", transfer_section, report)},
      {"tune", guarded("tune", tune_section, report)},
      {"layers", guarded("layers", layers_section, report)},
      {"confusion", guarded("confusion", confusion_section, report)},
      {"checks", all_checks_section(report)},
  };
  std::string navigation = "<nav>";
  for (const auto& [id, html] : parts) {
    if (!html.empty()) navigation += fmt::format("<a href=\"#{0}\">{0}</a>", id);
  }
  navigation += "</nav>\n";
  std::string out = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  out += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  out += fmt::format("<title>xferval {}: {}</title>\n", escape(report.verb), report.verdict());
  out += fmt::format("<style>{}</style>\n</head>\n<body>\n<main>\n", kStyle);
  out += verdict_section(report) + navigation;
  for (const auto& [id, html] : parts) out += html;
  out += "</main>\n</body>\n</html>\n";
  return out;
}

}  // namespace xferval
