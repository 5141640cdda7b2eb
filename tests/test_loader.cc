#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

#include "kernel/elf.h"

static std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

TEST_CASE("static ELF executables parse") {
  for (const char* name : {"hello", "hello.musl", "hello.pie"}) {
    std::string file = slurp(std::string(CORPUS_DIR) + "/" + name);
    REQUIRE(file.size() > 1000);
    kernel::ElfImage img;
    CHECK(kernel::parse_elf(file, img) == "");
    CHECK_FALSE(img.loads.empty());
    CHECK(img.has_phdr);
    CHECK(img.pie == (std::string(name) == "hello.pie"));
  }
}

TEST_CASE("bad executables are refused with a reason") {
  std::string good = slurp(std::string(CORPUS_DIR) + "/hello");
  kernel::ElfImage img;
  CHECK(kernel::parse_elf("#!/bin/sh\n", img) == "not an ELF executable");
  CHECK(kernel::parse_elf("", img) == "not an ELF executable");
  std::string bad = good;
  bad[4] = 1;
  CHECK_THAT(kernel::parse_elf(bad, img), Catch::Contains("wrong class"));
  bad = good;
  bad[18] = 3;  // EM_386
  CHECK_THAT(kernel::parse_elf(bad, img), Catch::Contains("not an x86-64 program"));
  bad = good;
  bad[16] = 1;  // ET_REL
  CHECK_THAT(kernel::parse_elf(bad, img), Catch::Contains("not an executable"));
  CHECK_THAT(kernel::parse_elf(good.substr(0, 100), img), Catch::Contains("truncated"));
  CHECK_THAT(kernel::parse_elf(good.substr(0, good.size() / 2), img), Catch::Contains("truncated"));
  std::string dyn = slurp(std::string(CORPUS_DIR) + "/dynamic_hello");
  CHECK(kernel::parse_elf(dyn, img) == "");
  CHECK(img.interp == "/lib64/ld-linux-x86-64.so.2");
  CHECK(kernel::parse_elf(good, img) == "");
  CHECK(img.interp.empty());
  // Every prefix of a valid executable is either refused or parses; never a crash.
  for (size_t n = 0; n < 4096; n += 7) kernel::parse_elf(good.substr(0, n), img);
}
