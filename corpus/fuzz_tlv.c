/* fuzz_tlv: a tiny fuzz target for `ditto corpus`, with deliberate bugs.
 *
 * Reads its whole input (at most 1024 bytes) from the file named by argv[1],
 * or from stdin when there is no argument, and parses:
 *   "TLV1", then records { u8 type; u16 len (little-endian); u8 payload[len]; }
 *   type 1  name:     the payload is the name (meant to be at most 32 bytes)
 *   type 2  checksum: u16 want (LE), u8 stride, data[]: the sum of data[0],
 *                     data[stride], data[2*stride], ... mod 2^16 must equal
 *                     want (stride 0 is meant to mean 1)
 *   type 3  tally:    u8 count, then count u32 (LE) bucket ids, meant to be
 *                     < 8; each one bumps tally[id]
 * Valid input: a one-line summary on stdout, exit 0.  Malformed input: a
 * message on stderr, exit 1.  The record framing is checked properly; the
 * three bugs below are deliberate, they are what the fuzz corpus is about:
 *   BUG 1 (parse_name):     the name length is trusted: g.name overflows into
 *                           g.stats and the store through it faults (SIGSEGV).
 *   BUG 2 (parse_tally):    bucket ids are not range-checked: a big id
 *                           faults (SIGSEGV) at a different site.
 *   BUG 3 (parse_checksum): stride 0 is not turned into 1: an endless loop
 *                           (a hang).
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#define MAX_INPUT 1024

struct stats {
  unsigned records, names, checksums, tallies;
};

/* All parser state is one global, so the layout is fixed: the name buffer is
 * directly followed by the stats pointer, and whatever the name overflow can
 * reach (under MAX_INPUT bytes) stays inside this object.  So the first fault
 * is always the store through the smashed pointer in parse_name, whatever the
 * libc, linking mode or machine, never a write off the end of .bss inside
 * memcpy. */
static struct {
  char name[32];
  struct stats *stats;
  uint32_t tally[8];
  size_t name_len;
  uint8_t buf[MAX_INPUT + 1]; /* the input; +1 to detect oversized input */
} g;
static struct stats the_stats;

static int fail(const char *msg) {
  fprintf(stderr, "fuzz_tlv: %s\n", msg);
  return 1;
}

static unsigned get16(const uint8_t *p) { return p[0] | (unsigned)p[1] << 8; }

static uint32_t get32(const uint8_t *p) {
  return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* noinline keeps each crash site in its own named function. */
__attribute__((noinline)) static void parse_name(const uint8_t *p, size_t len) {
  /* BUG 1 (deliberate): len comes straight from the record header and is
   * never checked against sizeof g.name (the fix: reject len > 32).  Lengths
   * 33..39 smash part of g.stats; from 40 on g.stats is payload bytes 32..39
   * and the store below faults with SIGSEGV unless those bytes happen to
   * form a valid writable address. */
  memcpy(g.name, p, len);
  g.name_len = len;
  g.stats->names++;
}

__attribute__((noinline)) static int parse_checksum(const uint8_t *p, size_t len) {
  if (len < 3) return fail("short checksum record");
  unsigned want = get16(p), stride = p[2];
  const uint8_t *data = p + 3;
  size_t n = len - 3;
  unsigned sum = 0;
  /* BUG 3 (deliberate): the format says stride 0 means 1, but stride is used
   * as is, so stride 0 with non-empty data never advances i: a hang. */
  for (size_t i = 0; i < n; i += stride) sum += data[i];
  if ((sum & 0xffff) != want) return fail("checksum mismatch");
  g.stats->checksums++;
  return 0;
}

__attribute__((noinline)) static int parse_tally(const uint8_t *p, size_t len) {
  if (len < 1) return fail("short tally record");
  unsigned count = p[0];
  if (len != 1 + 4 * (size_t)count) return fail("tally count does not match length");
  for (unsigned i = 0; i < count; i++) {
    uint32_t id = get32(p + 1 + 4 * i);
    /* BUG 2 (deliberate): id is never checked against 8 (the size of
     * g.tally).  Ids a little too big scribble over the rest of g (the
     * input included); big ones, e.g. 0x40000000 (4 GiB past g), fault
     * right here with SIGSEGV. */
    g.tally[id]++;
  }
  g.stats->tallies++;
  return 0;
}

static int parse(const uint8_t *buf, size_t n) {
  if (n < 4 || memcmp(buf, "TLV1", 4) != 0) return fail("bad magic");
  size_t off = 4;
  while (off < n) {
    if (n - off < 3) return fail("truncated record header");
    unsigned type = buf[off];
    size_t len = get16(buf + off + 1);
    const uint8_t *p = buf + off + 3;
    if (len > n - off - 3) return fail("record runs past the end of the input");
    off += 3 + len;
    g.stats->records++;
    switch (type) {
      case 1: parse_name(p, len); break;
      case 2: if (parse_checksum(p, len)) return 1; break;
      case 3: if (parse_tally(p, len)) return 1; break;
      default: return fail("unknown record type");
    }
  }
  return 0;
}

int main(int argc, char **argv) {
  int fd = 0;
  if (argc > 1 && (fd = open(argv[1], O_RDONLY)) < 0) {
    perror(argv[1]);
    return 1;
  }
  size_t n = 0;
  ssize_t r;
  while (n < sizeof g.buf && (r = read(fd, g.buf + n, sizeof g.buf - n)) > 0) n += (size_t)r;
  if (n > MAX_INPUT) return fail("input too large");
  g.stats = &the_stats;
  if (parse(g.buf, n)) return 1;
  unsigned total = 0;
  for (int i = 0; i < 8; i++) total += g.tally[i];
  printf("tlv: name=\"%.*s\" records=%u names=%u checksums=%u tallies=%u tally_total=%u\n",
         (int)g.name_len, g.name, the_stats.records, the_stats.names, the_stats.checksums,
         the_stats.tallies, total);
  return 0;
}
