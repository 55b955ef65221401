#include "xferval/io/csv_segments.hpp"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

namespace xferval {

namespace {

// Segment k holds the records that start in [starts[k], starts[k + 1]): each start is just after
// the first line end at or past an equal share of the data bytes.
std::vector<uint64_t> segment_starts(const CsvReader& reader, uint64_t data, uint64_t size,
                                     uint64_t segments) {
  std::vector<uint64_t> starts(segments + 1, size);
  starts[0] = data;
  for (uint64_t k = 1; k < segments; ++k) {
    starts[k] = reader.line_start_after(std::max(data + (size - data) / segments * k, starts[k - 1]));
  }
  return starts;
}

enum TokenKinds : uint8_t { kNumbers = 1, kBooleans = 2 };

// What the workers share during one pass over every segment.
struct Pass {
  Pass(size_t segments, size_t columns)
      : ends(segments, 0), kinds(segments, std::vector<uint8_t>(columns, 0)) {}

  std::vector<uint64_t> ends;               // where each segment's last record ended
  std::vector<std::vector<uint8_t>> kinds;  // per segment and column: TokenKinds seen
  std::atomic<size_t> next{0};
  std::atomic<bool> stop{false};
  std::mutex mutex;
  std::set<size_t> conflicts;  // columns read as numbers that hold text
  bool failed = false;         // a bad row, or a boundary inside a quoted field
};

}  // namespace

CsvSegmentScan scan_csv_segments(CsvReader& reader, const CsvOptions& options, CsvSegmentConsumer& consumer,
                                 uint64_t segment_bytes, unsigned threads,
                                 const std::function<void(uint64_t, uint64_t)>& progress) {
  CsvSegmentScan scan;
  const uint64_t data = reader.data_offset();
  const uint64_t size = reader.bytes_total();
  const uint64_t segments = (size - data) / std::max<uint64_t>(segment_bytes, 1);
  if (segments < 2) return scan;
  const std::vector<uint64_t> starts = segment_starts(reader, data, size, segments);
  const size_t columns = reader.column_names().size();
  scan.text_columns.resize(columns);
  for (size_t c = 0; c < columns; ++c) scan.text_columns[c] = reader.is_text_column(c);
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  threads = static_cast<unsigned>(std::min<uint64_t>(threads, segments));

  std::mutex progress_mutex;
  std::atomic<uint64_t> bytes_read{0};
  while (true) {
    Pass pass(segments, columns);
    consumer.begin_pass(segments, scan.text_columns);
    bytes_read = 0;

    // Tasks 0..segments-1 read segments; the last one hashes the whole file through `reader`
    // (only in the first pass: the reader hashes each byte once), overlapping the other workers'
    // last segments, so that the caller's reader.content_hash() finds the digest ready.
    auto work = [&] {
      std::unique_ptr<CsvReader> segment_reader;
      TableChunk chunk;
      while (!pass.stop) {
        const size_t k = pass.next++;
        if (k > segments) return;
        if (k == segments) {
          reader.content_hash();
          continue;
        }
        try {
          if (!segment_reader) {
            segment_reader = reader.sibling(options);
            for (size_t c = 0; c < columns; ++c) {
              if (scan.text_columns[c]) segment_reader->set_text_column(c);
            }
          }
          segment_reader->set_byte_range(starts[k], starts[k + 1]);
          uint64_t position = starts[k];
          bool complete = false;
          while (!pass.stop) {
            if (!segment_reader->next(chunk)) {
              complete = true;
              break;
            }
            for (size_t c = 0; c < columns; ++c) {
              const ColumnChunk& column = chunk.columns[c];
              pass.kinds[k][c] |= static_cast<uint8_t>((column.saw_number ? kNumbers : 0) |
                                                       (column.saw_bool_literal ? kBooleans : 0));
            }
            consumer.consume(k, chunk);
            if (progress) {
              const uint64_t now = segment_reader->position();
              const uint64_t total = bytes_read += now - position;
              position = now;
              std::lock_guard lock(progress_mutex);
              progress(total, size);
            }
          }
          if (complete) consumer.end_segment(k);
          pass.ends[k] = segment_reader->position();
        } catch (const ColumnKindConflict& conflict) {
          std::lock_guard lock(pass.mutex);
          pass.conflicts.insert(conflict.column);
          pass.stop = true;
        } catch (...) {
          std::lock_guard lock(pass.mutex);
          pass.failed = true;
          pass.stop = true;
        }
      }
    };
    std::vector<std::thread> workers;
    for (unsigned t = 1; t < threads; ++t) workers.emplace_back(work);
    work();
    for (std::thread& worker : workers) worker.join();

    if (pass.failed) return scan;
    for (size_t k = 0; k + 1 < segments && pass.conflicts.empty(); ++k) {
      if (pass.ends[k] != starts[k + 1]) return scan;  // a record crossed the boundary
    }
    // Numbers in one segment and boolean literals in another make a text column, as they do in
    // one reader.
    for (size_t c = 0; c < columns; ++c) {
      uint8_t seen = 0;
      for (size_t k = 0; k < segments; ++k) seen |= pass.kinds[k][c];
      if (seen == (kNumbers | kBooleans) && !scan.text_columns[c]) pass.conflicts.insert(c);
    }
    if (pass.conflicts.empty()) break;
    for (size_t c : pass.conflicts) scan.text_columns[c] = true;
  }
  scan.done = true;
  return scan;
}

}  // namespace xferval
