// Guest ABI: the x86-64 Linux structures and constants the kernel model
// exchanges with guests. Spelled out here (not taken from host headers) so
// the layout the guest sees is explicit and independent of the host libc.
#pragma once

#include <cstdint>

namespace kernel::abi {

// errno values (asm-generic/errno-base.h, errno.h)
enum : int {
  kEPERM = 1, kENOENT = 2, kESRCH = 3, kEINTR = 4, kEIO = 5, kENXIO = 6, kE2BIG = 7,
  kENOEXEC = 8, kEBADF = 9, kECHILD = 10, kEAGAIN = 11, kENOMEM = 12, kEACCES = 13,
  kEFAULT = 14, kEBUSY = 16, kEEXIST = 17, kEXDEV = 18, kENODEV = 19, kENOTDIR = 20,
  kEISDIR = 21, kEINVAL = 22, kENFILE = 23, kEMFILE = 24, kENOTTY = 25, kEFBIG = 27,
  kENOSPC = 28, kESPIPE = 29, kEROFS = 30, kEMLINK = 31, kEPIPE = 32, kERANGE = 34, kEDEADLK = 35,
  kENAMETOOLONG = 36, kENOSYS = 38, kENOTEMPTY = 39, kELOOP = 40, kEOVERFLOW = 75, kELIBBAD = 80, kEUSERS = 87,
  kENOTSUP = 95, kETIMEDOUT = 110,
};

// open(2) flags
enum : uint32_t {
  kO_RDONLY = 0, kO_WRONLY = 1, kO_RDWR = 2, kO_ACCMODE = 3, kO_CREAT = 0100,
  kO_EXCL = 0200, kO_NOCTTY = 0400, kO_TRUNC = 01000, kO_APPEND = 02000,
  kO_NONBLOCK = 04000, kO_DSYNC = 010000, kO_DIRECT = 040000, kO_LARGEFILE = 0100000,
  kO_DIRECTORY = 0200000, kO_NOFOLLOW = 0400000, kO_NOATIME = 01000000,
  kO_CLOEXEC = 02000000, kO_SYNC = 04010000, kO_PATH = 010000000, kO_TMPFILE = 020200000,
};

constexpr int kAT_FDCWD = -100;
enum : uint32_t {
  kAT_SYMLINK_NOFOLLOW = 0x100, kAT_REMOVEDIR = 0x200, kAT_EACCESS = 0x200,
  kAT_SYMLINK_FOLLOW = 0x400, kAT_NO_AUTOMOUNT = 0x800, kAT_EMPTY_PATH = 0x1000,
  kAT_STATX_SYNC_TYPE = 0x6000,
};

// st_mode
enum : uint32_t {
  kS_IFMT = 0170000, kS_IFSOCK = 0140000, kS_IFLNK = 0120000, kS_IFREG = 0100000,
  kS_IFBLK = 060000, kS_IFDIR = 040000, kS_IFCHR = 020000, kS_IFIFO = 010000,
};

struct Timespec {
  int64_t tv_sec;
  int64_t tv_nsec;
};
struct Timeval {
  int64_t tv_sec;
  int64_t tv_usec;
};

struct Stat {  // struct stat, x86-64
  uint64_t st_dev;
  uint64_t st_ino;
  uint64_t st_nlink;
  uint32_t st_mode;
  uint32_t st_uid;
  uint32_t st_gid;
  uint32_t pad0;
  uint64_t st_rdev;
  int64_t st_size;
  int64_t st_blksize;
  int64_t st_blocks;
  Timespec st_atim;
  Timespec st_mtim;
  Timespec st_ctim;
  int64_t reserved[3];
};
static_assert(sizeof(Stat) == 144);

struct StatxTimestamp {
  int64_t tv_sec;
  uint32_t tv_nsec;
  int32_t reserved;
};
struct Statx {
  uint32_t stx_mask;
  uint32_t stx_blksize;
  uint64_t stx_attributes;
  uint32_t stx_nlink;
  uint32_t stx_uid;
  uint32_t stx_gid;
  uint16_t stx_mode;
  uint16_t pad0;
  uint64_t stx_ino;
  uint64_t stx_size;
  uint64_t stx_blocks;
  uint64_t stx_attributes_mask;
  StatxTimestamp stx_atime, stx_btime, stx_ctime, stx_mtime;
  uint32_t stx_rdev_major, stx_rdev_minor, stx_dev_major, stx_dev_minor;
  uint64_t stx_mnt_id;
  uint64_t spare[13];
};
static_assert(sizeof(Statx) == 256);
enum : uint32_t {
  kSTATX_TYPE = 1, kSTATX_MODE = 2, kSTATX_NLINK = 4, kSTATX_UID = 8, kSTATX_GID = 0x10,
  kSTATX_ATIME = 0x20, kSTATX_MTIME = 0x40, kSTATX_CTIME = 0x80, kSTATX_INO = 0x100,
  kSTATX_SIZE = 0x200, kSTATX_BLOCKS = 0x400, kSTATX_BASIC_STATS = 0x7ff, kSTATX_BTIME = 0x800,
  kSTATX__RESERVED = 0x80000000u,
};

struct Iovec {
  uint64_t base;
  uint64_t len;
};

struct Utsname {
  char sysname[65], nodename[65], release[65], version[65], machine[65], domainname[65];
};

// struct sysinfo (include/uapi/linux/sysinfo.h); 64-bit: sizes in bytes (mem_unit 1).
struct Sysinfo {
  int64_t uptime;
  uint64_t loads[3];
  uint64_t totalram, freeram, sharedram, bufferram, totalswap, freeswap;
  uint16_t procs, pad;
  uint64_t totalhigh, freehigh;
  uint32_t mem_unit;
  char reserved[4];
};
static_assert(sizeof(Sysinfo) == 112);

struct Rlimit {
  uint64_t cur;
  uint64_t max;
};
constexpr uint64_t kRlimInfinity = ~uint64_t(0);
enum : int {
  kRLIMIT_CPU = 0, kRLIMIT_FSIZE, kRLIMIT_DATA, kRLIMIT_STACK, kRLIMIT_CORE, kRLIMIT_RSS,
  kRLIMIT_NPROC, kRLIMIT_NOFILE, kRLIMIT_MEMLOCK, kRLIMIT_AS, kRLIMIT_LOCKS,
  kRLIMIT_SIGPENDING, kRLIMIT_MSGQUEUE, kRLIMIT_NICE, kRLIMIT_RTPRIO, kRLIMIT_RTTIME,
  kRLIM_NLIMITS
};

// mmap
enum : uint32_t {
  kPROT_NONE = 0, kPROT_READ = 1, kPROT_WRITE = 2, kPROT_EXEC = 4, kPROT_SEM = 8, kPROT_GROWSDOWN = 0x01000000,
  kPROT_GROWSUP = 0x02000000,
};
enum : uint32_t {
  kMAP_SHARED = 1, kMAP_PRIVATE = 2, kMAP_SHARED_VALIDATE = 3, kMAP_TYPE = 0xf,
  kMAP_FIXED = 0x10, kMAP_ANONYMOUS = 0x20, kMAP_32BIT = 0x40, kMAP_GROWSDOWN = 0x100,
  kMAP_DENYWRITE = 0x800, kMAP_EXECUTABLE = 0x1000, kMAP_LOCKED = 0x2000,
  kMAP_NORESERVE = 0x4000, kMAP_POPULATE = 0x8000, kMAP_NONBLOCK = 0x10000,
  kMAP_STACK = 0x20000, kMAP_HUGETLB = 0x40000, kMAP_SYNC = 0x80000,
  kMAP_FIXED_NOREPLACE = 0x100000,
};
enum : uint32_t { kMREMAP_MAYMOVE = 1, kMREMAP_FIXED = 2, kMREMAP_DONTUNMAP = 4 };

// signals
constexpr int kNSIG = 64;
enum : int {
  kSIGHUP = 1, kSIGINT, kSIGQUIT, kSIGILL, kSIGTRAP, kSIGABRT, kSIGBUS, kSIGFPE, kSIGKILL,
  kSIGUSR1, kSIGSEGV, kSIGUSR2, kSIGPIPE, kSIGALRM, kSIGTERM, kSIGSTKFLT, kSIGCHLD, kSIGCONT,
  kSIGSTOP, kSIGTSTP, kSIGTTIN, kSIGTTOU, kSIGURG, kSIGXCPU, kSIGXFSZ, kSIGVTALRM, kSIGPROF,
  kSIGWINCH, kSIGIO, kSIGPWR, kSIGSYS,
};
constexpr uint64_t kSIG_DFL = 0, kSIG_IGN = 1;
struct KernelSigaction {  // the kernel's struct sigaction on x86-64
  uint64_t handler;
  uint64_t flags;
  uint64_t restorer;
  uint64_t mask;
};
struct StackT {
  uint64_t ss_sp;
  int32_t ss_flags;
  int32_t pad;
  uint64_t ss_size;
};
enum : int { kSS_ONSTACK = 1, kSS_DISABLE = 2, kSS_AUTODISARM = int(1u << 31) };
constexpr uint64_t kMINSIGSTKSZ = 2048;

// clocks
enum : int {
  kCLOCK_REALTIME = 0, kCLOCK_MONOTONIC = 1, kCLOCK_PROCESS_CPUTIME_ID = 2,
  kCLOCK_THREAD_CPUTIME_ID = 3, kCLOCK_MONOTONIC_RAW = 4, kCLOCK_REALTIME_COARSE = 5,
  kCLOCK_MONOTONIC_COARSE = 6, kCLOCK_BOOTTIME = 7, kCLOCK_REALTIME_ALARM = 8,
  kCLOCK_BOOTTIME_ALARM = 9, kCLOCK_TAI = 11,
};
constexpr int kTIMER_ABSTIME = 1;

// fcntl
enum : int {
  kF_DUPFD = 0, kF_GETFD = 1, kF_SETFD = 2, kF_GETFL = 3, kF_SETFL = 4,
  kF_DUPFD_CLOEXEC = 1030, kF_SETPIPE_SZ = 1031, kF_GETPIPE_SZ = 1032,
};
constexpr int kFD_CLOEXEC = 1;

// ioctl
enum : uint32_t {
  kTCGETS = 0x5401, kTIOCGWINSZ = 0x5413, kFIONREAD = 0x541b, kFIONBIO = 0x5421, kFIONCLEX = 0x5450,
  kFIOCLEX = 0x5451, kFIOASYNC = 0x5452, kFIOQSIZE = 0x5460, kFIGETBSZ = 2,
  kFS_IOC_GETFLAGS = 0x80086601, kFS_IOC_SETFLAGS = 0x40086602, kFS_IOC_FSGETXATTR = 0x801c581f,
  kFS_IOC_FSSETXATTR = 0x401c5820,
};

// arch_prctl
enum : int { kARCH_SET_GS = 0x1001, kARCH_SET_FS = 0x1002, kARCH_GET_FS = 0x1003, kARCH_GET_GS = 0x1004 };

// getrandom
enum : uint32_t { kGRND_NONBLOCK = 1, kGRND_RANDOM = 2, kGRND_INSECURE = 4 };

// auxv
enum : uint64_t {
  kAT_NULL = 0, kAT_PHDR = 3, kAT_PHENT = 4, kAT_PHNUM = 5, kAT_PAGESZ = 6, kAT_BASE = 7,
  kAT_FLAGS = 8, kAT_ENTRY = 9, kAT_UID = 11, kAT_EUID = 12, kAT_GID = 13, kAT_EGID = 14,
  kAT_PLATFORM = 15, kAT_HWCAP = 16, kAT_CLKTCK = 17, kAT_SECURE = 23, kAT_RANDOM = 25,
  kAT_HWCAP2 = 26, kAT_EXECFN = 31,
};

// lseek
enum : int { kSEEK_SET = 0, kSEEK_CUR = 1, kSEEK_END = 2, kSEEK_DATA = 3, kSEEK_HOLE = 4 };

// access
enum : int { kF_OK = 0, kX_OK = 1, kW_OK = 2, kR_OK = 4 };

// rename
enum : uint32_t { kRENAME_NOREPLACE = 1, kRENAME_EXCHANGE = 2, kRENAME_WHITEOUT = 4 };

// dirent types
enum : uint8_t { kDT_UNKNOWN = 0, kDT_FIFO = 1, kDT_CHR = 2, kDT_DIR = 4, kDT_REG = 8, kDT_LNK = 10 };

// limits
constexpr uint64_t kPathMax = 4096;
constexpr uint64_t kNameMax = 255;
constexpr uint64_t kPipeBufSize = 65536;  // default pipe capacity, pipe(7)
constexpr uint64_t kPipeBuf = 4096;       // PIPE_BUF atomicity bound
constexpr uint64_t kMaxRwCount = 0x7ffff000;  // MAX_RW_COUNT: INT_MAX rounded down to a page
constexpr int kMSG_DONTWAIT = 0x40;  // recv/send flag: do not block this once
constexpr int kIovMax = 1024;

}  // namespace kernel::abi
