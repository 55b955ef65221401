#include <fmt/format.h>

#include "commands.hpp"
#include "xferval/core/error.hpp"
#include "xferval/evaluate/model_parameters.hpp"

namespace xferval::cli {

namespace {

struct ExportArguments {
  std::string model;
  std::string safetensors;
};

int run_export(const ExportArguments& args) {
  if (args.safetensors.empty()) throw UsageError("export needs --safetensors OUT.safetensors");
  export_safetensors(args.model, args.safetensors);
  fmt::print("{}: parameters and buffers written to {}\n", args.model, args.safetensors);
  return 0;
}

}  // namespace

void add_export_command(CLI::App& root, Runner& run) {
  auto args = std::make_shared<ExportArguments>();
  CLI::App* command = root.add_subcommand("export", "Write a TorchScript model's parameters as safetensors");
  command->add_option("model", args->model, "TorchScript model file")->required();
  command->add_option("--safetensors", args->safetensors, "Output .safetensors file")->required();
  command->footer(
      "Examples:\n"
      "  xferval export examples/models/fmnist_cnn_0-4.pt --safetensors fmnist_cnn_0-4.safetensors\n"
      "  xferval verify --base fmnist_cnn_0-4.safetensors --tuned tuned.safetensors");
  command->callback([args, &run]() { run = [args]() { return run_export(*args); }; });
}

}  // namespace xferval::cli
