#pragma once
// Parameters of a TorchScript model as a ParameterSet, so `verify` compares .pt files exactly as
// it compares safetensors files; and a model's parameters written as safetensors.
#include <memory>
#include <string>

#include "xferval/params/parameter_set.hpp"

namespace xferval {

bool is_torchscript_path(const std::string& path);  // .pt, .pth, .ts, .torchscript

// A TorchScript model's parameters and buffers, or any safetensors form open_parameters reads.
std::unique_ptr<params::ParameterSet> open_model_or_parameters(const std::string& path);

// `xferval export --safetensors`: the model's parameters and buffers, metadata naming the source.
void export_safetensors(const std::string& model_path, const std::string& output_path);

}  // namespace xferval
