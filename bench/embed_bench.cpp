// Embedding extraction through a TorchScript model: the Fashion-MNIST training images (60,000 x
// 28 x 28) assembled as the card says and run in batches of 256. Prints seconds and a checksum.
//
// Usage: embed_bench MODEL.pt IMAGES-idx3-ubyte.gz MEAN STD
#include <fmt/format.h>

#include <chrono>
#include <cstdlib>

#include "xferval/model/model_inputs.hpp"
#include "xferval/model/torch_model.hpp"

int main(int argc, char** argv) {
  if (argc != 5) {
    fmt::print(stderr, "usage: embed_bench MODEL.pt IMAGES-idx3-ubyte.gz MEAN STD\n");
    return 2;
  }
  xferval::InputSpec spec;
  spec.kind = "tensor";
  xferval::TensorSpec tensor;
  tensor.sample_shape = {28, 28};
  tensor.channel_mean = {std::atof(argv[3])};
  tensor.channel_std = {std::atof(argv[4])};
  spec.tensor = tensor;
  auto start = std::chrono::steady_clock::now();
  xferval::ModelInputs inputs = xferval::assemble_model_inputs(argv[2], {}, spec, "");
  auto read = std::chrono::steady_clock::now();
  xferval::TorchModel model(argv[1]);
  xferval::ModelOutputs outputs = model.run(inputs.values, inputs.count, inputs.sample_shape);
  auto done = std::chrono::steady_clock::now();
  fmt::print("read {:.3f} s\nembed {:.3f} s\nsamples {}\nchecksum {:.6f} {:.6f}\n",
             std::chrono::duration<double>(read - start).count(), std::chrono::duration<double>(done - read).count(),
             inputs.count, outputs.embeddings.sum(), outputs.logits.sum());
  return 0;
}
