#include "xferval/io/csv_scan.hpp"

#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <thread>

namespace xferval {

namespace {

// Parsing runs on its own thread, one chunk ahead of the consumer: with two cores the parse of
// chunk k+1 overlaps the accumulation of chunk k. Messages flow through a small queue; chunk
// buffers are recycled so steady state allocates nothing.
class ChunkPipeline {
 public:
  explicit ChunkPipeline(CsvReader& reader) : reader_(reader) {
    for (auto& buffer : buffers_) free_.push_back(&buffer);
  }

  ~ChunkPipeline() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    changed_.notify_all();
    if (producer_.joinable()) producer_.join();
  }

  void run(const StartPass& start, const std::function<void(const TableChunk&)>& consume) {
    // The column kinds change on the producer's thread; each pass starts with the copy that the
    // producer read that pass with, never with the reader's own.
    start(text_columns());
    producer_ = std::thread([this] { produce(); });
    while (true) {
      Message message = take();
      switch (message.type) {
        case Type::Chunk:
          try {
            consume(*message.chunk);
          } catch (...) {
            give_back(message.chunk);
            throw;
          }
          give_back(message.chunk);
          break;
        case Type::Restart:
          start(message.text_columns);
          break;
        case Type::End:
          return;
        case Type::Error:
          std::rethrow_exception(message.error);
      }
    }
  }

 private:
  enum class Type { Chunk, Restart, End, Error };
  struct Message {
    Type type;
    TableChunk* chunk = nullptr;
    std::exception_ptr error;
    std::vector<bool> text_columns;  // of a Restart
  };

  std::vector<bool> text_columns() const {
    std::vector<bool> text(reader_.column_names().size());
    for (size_t c = 0; c < text.size(); ++c) text[c] = reader_.is_text_column(c);
    return text;
  }

  void produce() {
    try {
      reader_.rewind();
      while (true) {
        TableChunk* chunk = take_free();
        if (chunk == nullptr) return;
        bool more = false;
        try {
          more = reader_.next(*chunk);
        } catch (const ColumnKindConflict& conflict) {
          reader_.set_text_column(conflict.column);
          reader_.rewind();
          release_free(chunk);
          post({Type::Restart, nullptr, nullptr, text_columns()});
          continue;
        }
        if (!more) {
          release_free(chunk);
          post({Type::End, nullptr, nullptr, {}});
          return;
        }
        chunk->end_byte = reader_.bytes_consumed();
        post({Type::Chunk, chunk, nullptr, {}});
      }
    } catch (...) {
      post({Type::Error, nullptr, std::current_exception(), {}});
    }
  }

  TableChunk* take_free() {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return stopping_ || !free_.empty(); });
    if (stopping_) return nullptr;
    TableChunk* chunk = free_.front();
    free_.pop_front();
    return chunk;
  }

  void release_free(TableChunk* chunk) {
    std::lock_guard lock(mutex_);
    free_.push_back(chunk);
  }

  void give_back(TableChunk* chunk) {
    release_free(chunk);
    changed_.notify_all();
  }

  void post(Message message) {
    {
      std::lock_guard lock(mutex_);
      ready_.push_back(std::move(message));
    }
    changed_.notify_all();
  }

  Message take() {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return !ready_.empty(); });
    Message message = std::move(ready_.front());
    ready_.pop_front();
    return message;
  }

  CsvReader& reader_;
  TableChunk buffers_[3];
  std::deque<TableChunk*> free_;
  std::deque<Message> ready_;
  std::mutex mutex_;
  std::condition_variable changed_;
  bool stopping_ = false;
  std::thread producer_;
};

}  // namespace

void scan_csv(CsvReader& reader, const StartPass& start,
              const std::function<void(const TableChunk&)>& consume) {
  ChunkPipeline pipeline(reader);
  pipeline.run(start, consume);
}

}  // namespace xferval
