// The example of docs/tune.md, compiled and run, and checked to be the text the docs show.
#include <gtest/gtest.h>

#include <cmath>

#include "test_support.hpp"
#include "xferval/tune/study.hpp"

namespace {

// BEGIN docs/tune.md example
double train_one_epoch(double lr, int64_t batch_size, const std::string& optimizer, int64_t epoch);

void tune_learning_rate(const std::string& storage_url) {
  using namespace xferval::tune;
  TpeOptions tpe;
  tpe.seed = 42;
  auto study = Study::create_or_load(storage_url, "fine-tune", StudyDirection::Minimize,
                                     std::make_unique<TpeSampler>(tpe), std::make_unique<MedianPruner>());
  SearchSpace space = parse_search_space(R"(
[params.lr]
type = "float"
low = 1e-5
high = 1e-1
log = true
[params.batch_size]
type = "int"
low = 16
high = 256
log = true
[params.optimizer]
type = "categorical"
choices = ["sgd", "adam", "adamw"]
)",
                                         "space.toml");
  // --trials 40: the budget is the study's, shared by every worker on the same file.
  while (auto trial = study.ask_within_budget(40, &space)) {
    auto params = trial->params();
    double lr = std::get<double>(params["lr"]);
    int64_t batch_size = std::get<int64_t>(params["batch_size"]);
    std::string optimizer = std::get<std::string>(params["optimizer"]);
    double loss = 0;
    bool pruned = false;
    for (int64_t epoch = 0; epoch < 10 && !pruned; ++epoch) {
      loss = train_one_epoch(lr, batch_size, optimizer, epoch);
      trial->report(loss, epoch);
      pruned = trial->should_prune();
    }
    if (pruned)
      study.tell(*trial, TrialState::Pruned);
    else
      study.tell(*trial, loss);
  }
  FrozenTrial best = study.best_trial();
  std::printf("best loss %.4f at lr=%s (trial %lld)\n", *best.value, to_string(best.param("lr")).c_str(),
              static_cast<long long>(best.number));
}
// END docs/tune.md example

double train_one_epoch(double lr, int64_t batch_size, const std::string& optimizer, int64_t epoch) {
  double distance = std::log10(lr) + 3;  // best near lr = 1e-3
  return distance * distance + 0.001 * static_cast<double>(batch_size) + (optimizer == "adamw" ? 0 : 0.5) +
         1.0 / static_cast<double>(epoch + 1);
}

TEST(DocsExample, RunsAndMatchesTheDocs) {
  xferval::testing::TempDir dir;
  tune_learning_rate("sqlite:///" + (dir / "study.db").string());
  std::string source =
      xferval::testing::read_file(xferval::testing::source_path("tests/tune/docs_example_test.cpp"));
  auto begin = source.find("// BEGIN docs/tune.md example\n");
  auto end = source.find("// END docs/tune.md example");
  ASSERT_NE(begin, std::string::npos);
  std::string example = source.substr(begin + 30, end - begin - 30);
  std::string docs = xferval::testing::read_file(xferval::testing::source_path("docs/tune.md"));
  EXPECT_NE(docs.find(example), std::string::npos)
      << "docs/tune.md must show the example of this test verbatim";
}

}  // namespace
