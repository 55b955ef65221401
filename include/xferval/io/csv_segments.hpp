#pragma once
// A large CSV file read in byte segments, several at once: each segment starts after a line end
// and holds the records that start in it; a worker thread reads a segment with its own reader,
// parsing and consuming chunk after chunk on the same core while the chunk is still in cache.
//
// The segments depend on the file's size only, never on the thread count, so a consumer that
// keeps one state per segment and combines them in segment order gets the same result on any
// machine. A segment boundary can fall inside a quoted field that spans lines; the reading is
// then wrong from that boundary on, which shows when the previous segment's last record does not
// end exactly at the boundary. Such a file, and any file with a bad row, is left to the
// sequential reader (scan_csv), which also reports errors with the file's own line numbers.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "xferval/io/csv.hpp"

namespace xferval {

class CsvSegmentConsumer {
 public:
  virtual ~CsvSegmentConsumer() = default;
  // Before each pass over the segments; text_columns[c] says how column c is stored. A column
  // read as numbers that turns out to hold text (in any segment) starts a new pass.
  virtual void begin_pass(size_t segments, const std::vector<bool>& text_columns) = 0;
  // One chunk of one segment, on a worker thread. Chunks of a segment arrive in order on one
  // thread; different segments arrive concurrently.
  virtual void consume(size_t segment, const TableChunk& chunk) = 0;
  // On the same worker thread, after the segment's last chunk; not called for a segment whose
  // reading stopped early (its pass is then restarted or given up).
  virtual void end_segment(size_t segment) = 0;
};

struct CsvSegmentScan {
  bool done = false;               // false: the caller must read the file with scan_csv instead
  std::vector<bool> text_columns;  // when done: the columns stored as text
};

// The default segment size. Files whose data rows hold less than two segments are not split.
// Each segment's sketches start empty and are merged at the end, so segments much smaller than
// this cost more than they gain; larger ones balance the cores less evenly.
inline constexpr uint64_t kCsvSegmentBytes = uint64_t{32} << 20;

// Reads the file of `reader` (whose text columns are the starting point) in segments of about
// segment_bytes with up to `threads` workers (0: one per core). progress(bytes_read, bytes_total)
// is called from the workers, one call at a time. The file is hashed during the scan, so
// reader.content_hash() afterwards costs nothing more.
CsvSegmentScan scan_csv_segments(CsvReader& reader, const CsvOptions& options, CsvSegmentConsumer& consumer,
                                 uint64_t segment_bytes = kCsvSegmentBytes, unsigned threads = 0,
                                 const std::function<void(uint64_t, uint64_t)>& progress = {});

}  // namespace xferval
