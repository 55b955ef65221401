// Image folders: one sub-folder per class holding PNG and JPEG files, decoded by stb_image one
// sample at a time.
#include <stb/stb_image.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <optional>

#include "io/array_convert.hpp"
#include "xferval/core/error.hpp"
#include "xferval/core/hash.hpp"
#include "xferval/core/mapped_file.hpp"
#include "xferval/io/array.hpp"

namespace xferval {

namespace {

namespace fs = std::filesystem;

struct ImageFile {
  std::string path;      // as opened
  std::string relative;  // class/name, for messages and the content hash
};

bool hidden(const fs::path& entry) { return entry.filename().string().starts_with('.'); }

bool image_name(const fs::path& entry) {
  std::string extension = entry.extension().string();
  std::transform(extension.begin(), extension.end(), extension.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return extension == ".png" || extension == ".jpg" || extension == ".jpeg";
}

std::vector<fs::path> sorted_entries(const fs::path& folder) {
  std::vector<fs::path> entries;
  for (const fs::directory_entry& entry : fs::directory_iterator(folder)) {
    if (!hidden(entry.path())) entries.push_back(entry.path());
  }
  std::sort(entries.begin(), entries.end());
  return entries;
}

class ImageArray : public ArraySource {
 public:
  ImageArray(std::string folder, std::vector<ImageFile> images)
      : ArraySource(std::move(folder)), images_(std::move(images)) {
    const ImageFile& first = images_.front();
    int width = 0, height = 0, components = 0;
    if (stbi_info(first.path.c_str(), &width, &height, &components) == 0) throw decode_error(first);
    channels_ = components <= 2 ? 1 : 3;
    shape_ = {static_cast<int64_t>(images_.size()), height, width, channels_};
  }

  const std::vector<int64_t>& shape() const override { return shape_; }
  const std::string& dtype() const override { return dtype_; }

  size_t read(size_t max_samples, std::vector<double>& out) override {
    size_t count = std::min(max_samples, images_.size() - next_);
    for (size_t i = 0; i < count; ++i, ++next_) decode(images_[next_], out);
    return count;
  }

  void rewind() override { next_ = 0; }

  uint64_t content_hash() override {
    if (!hash_) {
      ContentHasher hasher;
      for (const ImageFile& image : images_) {
        MappedFile file(image.path);
        hasher.update(image.relative.c_str(), image.relative.size() + 1);  // with its '\0'
        uint64_t size = file.size();
        hasher.update(&size, sizeof size);
        if (size > 0) hasher.update(file.data(), file.size());
      }
      hash_ = hasher.digest();
    }
    return *hash_;
  }

 private:
  void decode(const ImageFile& image, std::vector<double>& out) const {
    int width = 0, height = 0, components = 0;
    unsigned char* pixels =
        stbi_load(image.path.c_str(), &width, &height, &components, static_cast<int>(channels_));
    if (pixels == nullptr) throw decode_error(image);
    if (width != shape_[2] || height != shape_[1]) {
      stbi_image_free(pixels);
      throw InputError(path_, "file " + image.relative,
                       "the image is " + size_text(width, height) + " but the first image, " +
                           images_.front().relative + ", is " + size_text(shape_[2], shape_[1]) +
                           "; all images must have one size");
    }
    io::append_as_double(
        {io::ElementKind::Unsigned, 1, false}, reinterpret_cast<const char*>(pixels),
        static_cast<size_t>(width) * static_cast<size_t>(height) * static_cast<size_t>(channels_), out);
    stbi_image_free(pixels);
  }

  InputError decode_error(const ImageFile& image) const {
    const char* reason = stbi_failure_reason();
    return InputError(
        path_, "file " + image.relative,
        std::string("cannot decode the image: ") + (reason != nullptr ? reason : "unknown error"));
  }

  static std::string size_text(int64_t width, int64_t height) {
    return std::to_string(width) + "x" + std::to_string(height) + " pixels (width x height)";
  }

  std::vector<ImageFile> images_;
  std::vector<int64_t> shape_;
  int64_t channels_ = 3;
  std::string dtype_ = "uint8";
  size_t next_ = 0;
  std::optional<uint64_t> hash_;
};

// Lists the class folders and their images; errors for anything that is not an image.
ImageFolder list_image_folder(const std::string& path, std::vector<ImageFile>& images) {
  ImageFolder folder;
  for (const fs::path& class_folder : sorted_entries(path)) {
    if (!fs::is_directory(class_folder)) continue;  // loose files beside the class folders
    std::string class_name = class_folder.filename().string();
    for (const fs::path& file : sorted_entries(class_folder)) {
      std::string relative = class_name + "/" + file.filename().string();
      if (fs::is_directory(file)) {
        throw InputError(path, "file " + relative,
                         "is a folder; images must sit directly in their class folder");
      }
      if (!image_name(file)) {
        throw InputError(path, "file " + relative,
                         "not a PNG or JPEG image (expected .png, .jpg or .jpeg; hidden files are skipped)");
      }
      if (fs::file_size(file) == 0) throw InputError(path, "file " + relative, "empty file (0 bytes)");
      images.push_back({file.string(), relative});
      folder.files.push_back(file.string());
      folder.labels.push_back(static_cast<int32_t>(folder.class_names.size()));
    }
    folder.class_names.push_back(class_name);
  }
  return folder;
}

}  // namespace

ImageFolder open_image_folder(const std::string& path) {
  std::error_code error;
  fs::file_status status = fs::status(path, error);
  if (!fs::exists(status)) throw InputError(path, "", "no such folder; check the path");
  if (!fs::is_directory(status)) {
    throw InputError(path, "", "is a file; expected a folder holding one sub-folder of images per class");
  }
  std::vector<ImageFile> images;
  ImageFolder folder;
  try {
    folder = list_image_folder(path, images);
  } catch (const fs::filesystem_error& failure) {
    std::string where =
        failure.path1().empty() ? "" : "file " + failure.path1().lexically_relative(path).string();
    throw InputError(path, where, std::string("cannot list the folder: ") + failure.code().message());
  }
  if (folder.class_names.empty()) {
    throw InputError(path, "", "no class sub-folders; expected one sub-folder of images per class");
  }
  if (images.empty()) throw InputError(path, "", "the class sub-folders hold no PNG or JPEG images");
  folder.images = std::make_unique<ImageArray>(path, std::move(images));
  return folder;
}

}  // namespace xferval
