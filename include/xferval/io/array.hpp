#pragma once
// N-dimensional numeric arrays read sample by sample (the first axis is the sample axis):
// NumPy .npy and .npz, IDX (the MNIST family, raw or gzipped) and image folders.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace xferval {

class ArraySource {
 public:
  virtual ~ArraySource() = default;
  // Full shape; shape()[0] is the number of samples. A 0-d array reads as shape {1}.
  virtual const std::vector<int64_t>& shape() const = 0;
  // NumPy-style element type name: "bool", "int8".."int64", "uint8".."uint64",
  // "float16", "float32", "float64".
  virtual const std::string& dtype() const = 0;
  // Appends up to max_samples samples to out (C order, converted to double) and returns how
  // many were read; 0 at the end. Throws InputError when the data turns out truncated or corrupt.
  virtual size_t read(size_t max_samples, std::vector<double>& out) = 0;
  virtual void rewind() = 0;
  // xxh3-64 of the bytes the array came from (the whole file, or the npz member's bytes).
  virtual uint64_t content_hash() = 0;
  const std::string& path() const { return path_; }

 protected:
  explicit ArraySource(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

// .npy: format versions 1.0, 2.0 and 3.0; little or big endian; C or Fortran order.
// Errors: truncated data, a header claiming more data than the file holds, object or
// structured dtypes, a bad magic string or header, each naming the file and the byte.
std::unique_ptr<ArraySource> open_npy(const std::string& path);

// Names of the arrays in an .npz (zip) archive, without the ".npy" suffix, in archive order.
std::vector<std::string> npz_members(const std::string& path);
// One member of an .npz archive (stored or deflated). Error when the file is not a zip or the
// member does not exist (the message lists the members that do).
std::unique_ptr<ArraySource> open_npz_member(const std::string& path, const std::string& member);

// IDX files: magic 0x00 0x00 TYPE NDIM, big-endian dimension sizes, then data of type
// 0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64. Gzipped when the
// file starts with the gzip magic. Errors: wrong magic, unknown type, wrong size.
std::unique_ptr<ArraySource> open_idx(const std::string& path);

// An image folder: one sub-folder per class (sorted by name), PNG and JPEG files inside
// (sorted by name). Samples have shape {H, W, C} with C = 1 for grey and 3 for colour
// (all images are converted to the channel count of the first image); values 0..255.
// Errors: an image whose size differs from the first (naming both), a zero-byte or corrupt
// image, a file that is not an image, a folder without class sub-folders.
struct ImageFolder {
  std::unique_ptr<ArraySource> images;
  std::vector<std::string> class_names;  // sub-folder names, sorted
  std::vector<int32_t> labels;           // per sample, an index into class_names
  std::vector<std::string> files;        // per sample, the path of the image
};
ImageFolder open_image_folder(const std::string& path);

}  // namespace xferval
