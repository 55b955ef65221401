// One fine-tuning epoch of xferval's LibTorch loop (src/model/fine_tune.cpp), timed: the C++ side
// of bench/train_epoch_vs_torch.py. Prints one JSON line with the seconds of each epoch.
//
// Usage: train_bench MODEL.pt CARD.json DATA.npz EPOCHS THREADS [BATCH] [LR]
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cstdlib>
#include <string>

#include "xferval/card/card.hpp"
#include "xferval/model/fine_tune.hpp"

int main(int argc, char** argv) {
  using namespace xferval;
  if (argc < 6) {
    fmt::print(stderr, "usage: train_bench MODEL.pt CARD.json DATA.npz EPOCHS THREADS [BATCH] [LR]\n");
    return 2;
  }
  const std::string model = argv[1], card_path = argv[2], data = argv[3];
  FineTuneConfig config;
  config.epochs = std::atoi(argv[4]);
  config.batch_size = argc > 6 ? std::atoi(argv[6]) : 64;
  config.learning_rate = argc > 7 ? std::atof(argv[7]) : 1e-3;
  config.optimizer = "adam";
  config.allow_cuda = false;
  set_training_threads(std::atoi(argv[5]));
  Card card = load_card(card_path);
  ProfileOptions options;
  options.label = "labels";
  options.npz_member = "images";
  ModelInputs inputs = assemble_model_inputs(data, options, card.input, "labels");
  std::vector<int> classes = label_indices(inputs.labels, card.output.labels);
  ModelOptions model_options;
  model_options.allow_cuda = false;
  FineTuner tuner(model, static_cast<int64_t>(card.output.labels.size()), false, config, model_options);
  FineTuneResult result = tuner.train(inputs, classes, stratified_split(classes, 0.0, 0));
  std::vector<double> seconds, losses;
  for (const EpochMetrics& epoch : result.epochs) {
    seconds.push_back(epoch.seconds);
    losses.push_back(epoch.train_loss);
  }
  fmt::print("{{\"samples\": {}, \"seconds\": [{}], \"loss\": [{}]}}\n", inputs.count,
             fmt::join(seconds, ", "), fmt::join(losses, ", "));
  return 0;
}
