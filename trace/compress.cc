#include "trace/compress.h"

#include <zstd.h>

#include "trace/store.h"

namespace trace {

namespace {
// One context for the process (Ditto is single-threaded): making one per
// frame costs more than compressing a small run's events.
ZSTD_CCtx* compress_context() {
  static ZSTD_CCtx* cctx = ZSTD_createCCtx();
  return cctx;
}
ZSTD_DCtx* decompress_context() {
  static ZSTD_DCtx* dctx = ZSTD_createDCtx();
  return dctx;
}
}  // namespace

std::string zstd_compress(std::string_view bytes) {
  std::string out(ZSTD_compressBound(bytes.size()), '\0');
  ZSTD_CCtx* cctx = compress_context();
  if (!cctx) throw TraceError("zstd cannot make a compression context");
  size_t n = ZSTD_compressCCtx(cctx, out.data(), out.size(), bytes.data(), bytes.size(), 3);
  if (ZSTD_isError(n)) throw TraceError(std::string("zstd cannot compress: ") + ZSTD_getErrorName(n));
  out.resize(n);
  return out;
}

size_t zstd_content_size(std::string_view frame) {
  unsigned long long n = ZSTD_getFrameContentSize(frame.data(), frame.size());
  return n == ZSTD_CONTENTSIZE_UNKNOWN || n == ZSTD_CONTENTSIZE_ERROR ? 0 : size_t(n);
}

std::string zstd_decompress(std::string_view frame, size_t limit, const std::string& what) {
  unsigned long long n = ZSTD_getFrameContentSize(frame.data(), frame.size());
  if (n == ZSTD_CONTENTSIZE_ERROR || n == ZSTD_CONTENTSIZE_UNKNOWN)
    throw TraceError(what + " is not a zstd frame of known size (damaged?)");
  if (n > limit) throw TraceError(what + " claims " + std::to_string(n) + " bytes, more than a trace holds");
  std::string out(size_t(n), '\0');
  ZSTD_DCtx* dctx = decompress_context();
  if (!dctx) throw TraceError("zstd cannot make a decompression context");
  size_t got = ZSTD_decompressDCtx(dctx, out.data(), out.size(), frame.data(), frame.size());
  if (ZSTD_isError(got)) throw TraceError(what + " cannot be decompressed: " + ZSTD_getErrorName(got));
  if (got != n) throw TraceError(what + " unpacks to fewer bytes than it claims");
  return out;
}

}  // namespace trace
