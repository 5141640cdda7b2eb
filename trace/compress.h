// trace::compress — zstd for what a trace stores (event batches, blobs).
// Each payload is one zstd frame that names its own size, so a reader knows
// what it will unpack to before it does (a crafted frame cannot claim more
// than the caller's limit).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace trace {

// One zstd frame holding `bytes` (level 3: near its best ratio on traces at
// a recording's speed).
std::string zstd_compress(std::string_view bytes);
// The bytes of the frame `frame`; TraceError naming `what` when it is not a
// whole frame or would unpack to more than `limit` bytes.
std::string zstd_decompress(std::string_view frame, size_t limit, const std::string& what);
// What the frame says it unpacks to (0 when it does not say).
size_t zstd_content_size(std::string_view frame);

}  // namespace trace
