#include "io/streamed_array.hpp"

#include <algorithm>
#include <limits>
#include <optional>

#include "xferval/core/error.hpp"
#include "xferval/core/hash.hpp"

namespace xferval::io {

namespace {

constexpr size_t kChunkBytes = size_t{1} << 22;  // bytes converted per step

class StreamedArray : public ArraySource {
 public:
  StreamedArray(std::string path, std::shared_ptr<const MappedFile> file, std::string_view hashed_bytes,
                std::unique_ptr<ByteStream> stream, ArrayLayout layout)
      : ArraySource(std::move(path)),
        file_(std::move(file)),
        hashed_(hashed_bytes),
        stream_(std::move(stream)),
        layout_(std::move(layout)),
        dtype_(layout_.type.name()) {
    samples_ = static_cast<uint64_t>(layout_.shape[0]);
    sample_elements_ = 1;
    for (size_t axis = 1; axis < layout_.shape.size(); ++axis) {
      sample_elements_ *= static_cast<uint64_t>(layout_.shape[axis]);
    }
    sample_bytes_ = sample_elements_ * static_cast<uint64_t>(layout_.type.size);
    data_bytes_ = samples_ * sample_bytes_;
    rewind();
  }

  const std::vector<int64_t>& shape() const override { return layout_.shape; }
  const std::string& dtype() const override { return dtype_; }

  size_t read(size_t max_samples, std::vector<double>& out) override {
    size_t count = static_cast<size_t>(std::min<uint64_t>(max_samples, samples_ - next_sample_));
    size_t per_step = sample_bytes_ == 0
                          ? std::max<size_t>(count, 1)
                          : std::max<size_t>(1, kChunkBytes / static_cast<size_t>(sample_bytes_));
    for (size_t done = 0; done < count;) {
      size_t step = std::min(count - done, per_step);
      size_t want = step * static_cast<size_t>(sample_bytes_);
      std::string_view bytes = fetch(want);
      if (bytes.size() < want) throw size_error(stream_->position(), data_read());
      append_as_double(layout_.type, bytes.data(), step * static_cast<size_t>(sample_elements_), out);
      done += step;
    }
    next_sample_ += count;
    if (next_sample_ == samples_ && !finished_) finish();
    return count;
  }

  void rewind() override {
    if (!c_order_) {
      stream_->rewind();
      skip(*stream_, layout_.data_offset);
    }
    next_sample_ = 0;
    c_order_position_ = 0;
    finished_ = false;
  }

  uint64_t content_hash() override {
    if (!hash_) hash_ = hash_bytes(hashed_.data(), hashed_.size());
    return *hash_;
  }

 private:
  uint64_t data_read() const { return stream_->position() - layout_.data_offset; }

  std::string_view fetch(size_t size) {
    if (!layout_.fortran_order) return stream_->next(size);
    if (!c_order_) load_fortran_order();
    size_t start = c_order_position_;
    size_t taken = std::min(size, c_order_->size() - start);
    c_order_position_ += taken;
    return {c_order_->data() + start, taken};
  }

  // Fortran-order data is read whole and reordered once; later passes reuse it.
  void load_fortran_order() {
    std::string data(stream_->next(static_cast<size_t>(data_bytes_)));
    if (data.size() < data_bytes_) throw size_error(stream_->position(), data_read());
    finish();
    c_order_ = fortran_to_c_order(data, layout_.shape, static_cast<size_t>(layout_.type.size));
  }

  // After the last sample: nothing may follow the data, then the stream's end checks.
  void finish() {
    finished_ = true;
    if (layout_.fortran_order && c_order_) return;  // checked when it was loaded
    uint64_t end = stream_->position();
    uint64_t extra = skip(*stream_, std::numeric_limits<uint64_t>::max());
    if (extra > 0) throw size_error(end, data_bytes_ + extra);
    stream_->finish();
  }

  InputError size_error(uint64_t position, uint64_t held) const {
    return InputError(path_, stream_->where(position), data_size_message(held, data_bytes_, layout_));
  }

  std::shared_ptr<const MappedFile> file_;
  std::string_view hashed_;
  std::unique_ptr<ByteStream> stream_;
  ArrayLayout layout_;
  std::string dtype_;
  uint64_t samples_ = 0;
  uint64_t sample_elements_ = 1;
  uint64_t sample_bytes_ = 0;
  uint64_t data_bytes_ = 0;
  uint64_t next_sample_ = 0;
  bool finished_ = false;
  std::optional<std::vector<char>> c_order_;
  size_t c_order_position_ = 0;
  std::optional<uint64_t> hash_;
};

}  // namespace

std::string data_size_message(uint64_t held, uint64_t expected, const ArrayLayout& layout) {
  return "holds " + std::to_string(held) + " bytes of data, " + layout.size_claim + " " +
         std::to_string(expected) + " (shape " + shape_text(layout.shape) + " of " + layout.type.name() + ")";
}

std::unique_ptr<ArraySource> streamed_array(std::string path, std::shared_ptr<const MappedFile> file,
                                            std::string_view hashed_bytes, std::unique_ptr<ByteStream> stream,
                                            ArrayLayout layout) {
  return std::make_unique<StreamedArray>(std::move(path), std::move(file), hashed_bytes, std::move(stream),
                                         std::move(layout));
}

}  // namespace xferval::io
