/* faultinj: an LD_PRELOAD shim that makes file writes, syncs and opens fail
 * on purpose (issue #6 §3; SPEC M6, G2). Test build only: never installed,
 * never linked into the node.
 *
 * A file descriptor is "watched" when it was opened (open, open64, openat,
 * openat64, creat) with a path containing one of the patterns in
 * SY_FAULT_PATH (':'-separated substrings, e.g. "ledger.db" also matches
 * "ledger.db-wal" and "ledger.db-journal"). Operations on watched
 * descriptors may then fail:
 *
 *   write   write, pwrite, pwrite64, writev      (returns -1, errno set)
 *   sync    fsync, fdatasync
 *   trunc   ftruncate, ftruncate64
 *   open    opening a matching path (no descriptor is made)
 *
 * Configuration: key=value words, separated by blanks or newlines, from the
 * environment variable SY_FAULT or, when SY_FAULT_CTL names a file, from that
 * file. With SY_FAULT_CTL, faults are armed only while the file exists: a test
 * switches faults on and off under a running process by creating and removing
 * it (the file is re-read whenever its mtime, size or inode changes, and the
 * countdown restarts). Keys:
 *
 *   ops=write,sync,trunc,open   operations that may fail (default write,sync)
 *   errno=EIO|ENOSPC|EDQUOT|N   the error injected (default EIO)
 *   after=N                     let N matching operations pass first (default 0)
 *   count=N                     inject at most N faults, then pass (0 = no limit)
 *   prob=P                      each eligible operation fails with probability P
 *                               (0..1, default 1; deterministic xorshift, seed=S)
 *   seed=S
 *
 * Every injected fault appends one line to SY_FAULT_LOG when it is set
 * ("faultinj: <op> fd=N path=... errno=..."), so a test can prove that a
 * fault really happened. The shim writes nothing else.
 *
 * Not for sanitizer builds: ASan must come first in the preload list and
 * intercepts some of these functions itself; the tests that use this shim
 * skip (exit 77) there. Syscalls made without the libc wrappers (io_uring,
 * raw syscall(2)) are not seen; SQLite and our code use the wrappers. */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

#define MAX_FD 65536
#define MAX_PATTERNS 8
#define PATTERN_MAX 256
#define CFG_MAX 1024

enum { OP_WRITE = 1, OP_SYNC = 2, OP_TRUNC = 4, OP_OPEN = 8 };

typedef struct cfg {
  unsigned ops;
  int err;
  long long after;
  long long count;
  double prob;
  uint64_t seed;
} cfg;

static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static unsigned char g_watched[MAX_FD / 8];
static char g_pat[MAX_PATTERNS][PATTERN_MAX];
static int g_npat;
static char g_ctl[PATTERN_MAX];
static char g_log[PATTERN_MAX];
static cfg g_cfg;
static int g_armed;          /* faults currently switched on */
static long long g_seen;     /* eligible operations since (re)arming */
static long long g_injected; /* faults injected since (re)arming */
static uint64_t g_rng;
static struct stat g_ctl_st; /* what the control file looked like when read */
static int g_ctl_present;

/* The real functions. */
static int (*r_open)(const char *, int, ...);
static int (*r_open64)(const char *, int, ...);
static int (*r_openat)(int, const char *, int, ...);
static int (*r_openat64)(int, const char *, int, ...);
static int (*r_close)(int);
static ssize_t (*r_write)(int, const void *, size_t);
static ssize_t (*r_pwrite)(int, const void *, size_t, off_t);
static ssize_t (*r_pwrite64)(int, const void *, size_t, off64_t);
static ssize_t (*r_writev)(int, const struct iovec *, int);
static int (*r_fsync)(int);
static int (*r_fdatasync)(int);
static int (*r_ftruncate)(int, off_t);
static int (*r_ftruncate64)(int, off64_t);

#define RESOLVE(name) (r_##name ? (void)0 : (void)(*(void **)&r_##name = dlsym(RTLD_NEXT, #name)))

static int parse_errno(const char *v) {
  if (!strcmp(v, "EIO")) return EIO;
  if (!strcmp(v, "ENOSPC")) return ENOSPC;
  if (!strcmp(v, "EDQUOT")) return EDQUOT;
  if (!strcmp(v, "EROFS")) return EROFS;
  if (!strcmp(v, "EACCES")) return EACCES;
  int n = atoi(v);
  return n > 0 ? n : EIO;
}

static unsigned parse_ops(const char *v) {
  unsigned ops = 0;
  if (strstr(v, "write")) ops |= OP_WRITE;
  if (strstr(v, "sync")) ops |= OP_SYNC;
  if (strstr(v, "trunc")) ops |= OP_TRUNC;
  if (strstr(v, "open")) ops |= OP_OPEN;
  return ops;
}

/* Parses "k=v k=v ..." into c (defaults first). */
static void parse_cfg(const char *s, cfg *c) {
  *c = (cfg){.ops = OP_WRITE | OP_SYNC, .err = EIO, .after = 0, .count = 0, .prob = 1.0,
             .seed = 0x9e3779b97f4a7c15ull};
  char buf[CFG_MAX];
  snprintf(buf, sizeof buf, "%s", s ? s : "");
  char *save = NULL;
  for (char *w = strtok_r(buf, " \t\r\n", &save); w; w = strtok_r(NULL, " \t\r\n", &save)) {
    char *eq = strchr(w, '=');
    if (!eq) continue;
    *eq = 0;
    const char *k = w, *v = eq + 1;
    if (!strcmp(k, "ops")) c->ops = parse_ops(v);
    else if (!strcmp(k, "errno")) c->err = parse_errno(v);
    else if (!strcmp(k, "after")) c->after = atoll(v);
    else if (!strcmp(k, "count")) c->count = atoll(v);
    else if (!strcmp(k, "prob")) c->prob = atof(v);
    else if (!strcmp(k, "seed")) c->seed = strtoull(v, NULL, 0) | 1u;
  }
}

static void rearm(const cfg *c, int armed) {
  g_cfg = *c;
  g_armed = armed;
  g_seen = 0;
  g_injected = 0;
  g_rng = c->seed ? c->seed : 1;
}

__attribute__((constructor)) static void faultinj_init(void) {
  RESOLVE(open);
  RESOLVE(open64);
  RESOLVE(openat);
  RESOLVE(openat64);
  RESOLVE(close);
  RESOLVE(write);
  RESOLVE(pwrite);
  RESOLVE(pwrite64);
  RESOLVE(writev);
  RESOLVE(fsync);
  RESOLVE(fdatasync);
  RESOLVE(ftruncate);
  RESOLVE(ftruncate64);
  const char *p = getenv("SY_FAULT_PATH");
  if (p) {
    char buf[MAX_PATTERNS * PATTERN_MAX];
    snprintf(buf, sizeof buf, "%s", p);
    char *save = NULL;
    for (char *w = strtok_r(buf, ":", &save); w && g_npat < MAX_PATTERNS;
         w = strtok_r(NULL, ":", &save))
      snprintf(g_pat[g_npat++], PATTERN_MAX, "%s", w);
  }
  const char *ctl = getenv("SY_FAULT_CTL");
  if (ctl) snprintf(g_ctl, sizeof g_ctl, "%s", ctl);
  const char *log = getenv("SY_FAULT_LOG");
  if (log) snprintf(g_log, sizeof g_log, "%s", log);
  cfg c;
  parse_cfg(getenv("SY_FAULT"), &c);
  /* Without a control file, SY_FAULT alone arms the shim. */
  rearm(&c, !g_ctl[0] && getenv("SY_FAULT") != NULL);
}

static int path_matches(const char *path) {
  if (!path) return 0;
  for (int i = 0; i < g_npat; i++)
    if (g_pat[i][0] && strstr(path, g_pat[i])) return 1;
  return 0;
}

static void watch(int fd, int on) {
  if (fd < 0 || fd >= MAX_FD) return;
  pthread_mutex_lock(&g_mu);
  if (on) g_watched[fd / 8] |= (unsigned char)(1u << (fd % 8));
  else g_watched[fd / 8] &= (unsigned char)~(1u << (fd % 8));
  pthread_mutex_unlock(&g_mu);
}

static int watched(int fd) {
  if (fd < 0 || fd >= MAX_FD || g_npat == 0) return 0;
  return (__atomic_load_n(&g_watched[fd / 8], __ATOMIC_RELAXED) >> (fd % 8)) & 1;
}

/* Re-reads the control file when it changed. Under g_mu. */
static void poll_ctl_locked(void) {
  if (!g_ctl[0]) return;
  struct stat st;
  if (stat(g_ctl, &st) != 0) {
    if (g_ctl_present) {
      g_ctl_present = 0;
      g_armed = 0;
    }
    return;
  }
  if (g_ctl_present && st.st_ino == g_ctl_st.st_ino && st.st_size == g_ctl_st.st_size &&
      st.st_mtim.tv_sec == g_ctl_st.st_mtim.tv_sec &&
      st.st_mtim.tv_nsec == g_ctl_st.st_mtim.tv_nsec)
    return;
  char buf[CFG_MAX] = "";
  int fd = r_open(g_ctl, O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    ssize_t n = read(fd, buf, sizeof buf - 1);
    buf[n > 0 ? n : 0] = 0;
    r_close(fd);
  }
  cfg c;
  parse_cfg(buf, &c);
  rearm(&c, 1);
  g_ctl_present = 1;
  g_ctl_st = st;
}

static void log_fault(const char *op, int fd, const char *path, int err) {
  if (!g_log[0]) return;
  char line[512];
  char fdpath[64], target[256] = "";
  if (!path && fd >= 0) {
    snprintf(fdpath, sizeof fdpath, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(fdpath, target, sizeof target - 1);
    target[n > 0 ? n : 0] = 0;
    path = target;
  }
  int len = snprintf(line, sizeof line, "faultinj: %s fd=%d path=%s errno=%s\n", op, fd,
                     path ? path : "?", strerrorname_np(err) ? strerrorname_np(err) : "?");
  int lf = r_open(g_log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (lf < 0) return;
  if (len > (int)sizeof line) len = (int)sizeof line;
  if (r_write(lf, line, (size_t)len) < 0) { /* nothing to do */
  }
  r_close(lf);
}

/* Decides whether this operation fails; sets errno when it does. */
static int inject(unsigned op, const char *name, int fd, const char *path) {
  int err = 0;
  pthread_mutex_lock(&g_mu);
  poll_ctl_locked();
  if (g_armed && (g_cfg.ops & op)) {
    long long n = g_seen++;
    if (n >= g_cfg.after && (g_cfg.count == 0 || g_injected < g_cfg.count)) {
      int hit = 1;
      if (g_cfg.prob < 1.0) {
        g_rng ^= g_rng << 13;
        g_rng ^= g_rng >> 7;
        g_rng ^= g_rng << 17;
        hit = (double)(g_rng >> 11) / 9007199254740992.0 < g_cfg.prob;
      }
      if (hit) {
        g_injected++;
        err = g_cfg.err;
      }
    }
  }
  pthread_mutex_unlock(&g_mu);
  if (err) {
    int saved = errno;
    log_fault(name, fd, path, err);
    errno = saved;
    errno = err;
    return 1;
  }
  return 0;
}

static int do_open(int (*real)(const char *, int, ...), int (*realat)(int, const char *, int, ...),
                   int dirfd, const char *path, int flags, mode_t mode, const char *name) {
  int m = path_matches(path);
  if (m && inject(OP_OPEN, name, -1, path)) return -1;
  int fd = real ? real(path, flags, mode) : realat(dirfd, path, flags, mode);
  if (fd >= 0) watch(fd, m);
  return fd;
}

static mode_t va_mode(int flags, va_list ap) {
  return (flags & O_CREAT) || (flags & __O_TMPFILE) == __O_TMPFILE ? (mode_t)va_arg(ap, int) : 0;
}

int open(const char *path, int flags, ...) {
  va_list ap;
  va_start(ap, flags);
  mode_t mode = va_mode(flags, ap);
  va_end(ap);
  RESOLVE(open);
  return do_open(r_open, NULL, 0, path, flags, mode, "open");
}

int open64(const char *path, int flags, ...) {
  va_list ap;
  va_start(ap, flags);
  mode_t mode = va_mode(flags, ap);
  va_end(ap);
  RESOLVE(open64);
  return do_open(r_open64, NULL, 0, path, flags, mode, "open");
}

int openat(int dirfd, const char *path, int flags, ...) {
  va_list ap;
  va_start(ap, flags);
  mode_t mode = va_mode(flags, ap);
  va_end(ap);
  RESOLVE(openat);
  return do_open(NULL, r_openat, dirfd, path, flags, mode, "open");
}

int openat64(int dirfd, const char *path, int flags, ...) {
  va_list ap;
  va_start(ap, flags);
  mode_t mode = va_mode(flags, ap);
  va_end(ap);
  RESOLVE(openat64);
  return do_open(NULL, r_openat64, dirfd, path, flags, mode, "open");
}

int creat(const char *path, mode_t mode) {
  return open(path, O_CREAT | O_WRONLY | O_TRUNC, mode);
}

int close(int fd) {
  RESOLVE(close);
  watch(fd, 0);
  return r_close(fd);
}

ssize_t write(int fd, const void *buf, size_t n) {
  RESOLVE(write);
  if (watched(fd) && inject(OP_WRITE, "write", fd, NULL)) return -1;
  return r_write(fd, buf, n);
}

ssize_t pwrite(int fd, const void *buf, size_t n, off_t off) {
  RESOLVE(pwrite);
  if (watched(fd) && inject(OP_WRITE, "pwrite", fd, NULL)) return -1;
  return r_pwrite(fd, buf, n, off);
}

ssize_t pwrite64(int fd, const void *buf, size_t n, off64_t off) {
  RESOLVE(pwrite64);
  if (watched(fd) && inject(OP_WRITE, "pwrite", fd, NULL)) return -1;
  return r_pwrite64(fd, buf, n, off);
}

ssize_t writev(int fd, const struct iovec *iov, int cnt) {
  RESOLVE(writev);
  if (watched(fd) && inject(OP_WRITE, "writev", fd, NULL)) return -1;
  return r_writev(fd, iov, cnt);
}

int fsync(int fd) {
  RESOLVE(fsync);
  if (watched(fd) && inject(OP_SYNC, "fsync", fd, NULL)) return -1;
  return r_fsync(fd);
}

int fdatasync(int fd) {
  RESOLVE(fdatasync);
  if (watched(fd) && inject(OP_SYNC, "fdatasync", fd, NULL)) return -1;
  return r_fdatasync(fd);
}

int ftruncate(int fd, off_t len) {
  RESOLVE(ftruncate);
  if (watched(fd) && inject(OP_TRUNC, "ftruncate", fd, NULL)) return -1;
  return r_ftruncate(fd, len);
}

int ftruncate64(int fd, off64_t len) {
  RESOLVE(ftruncate64);
  if (watched(fd) && inject(OP_TRUNC, "ftruncate", fd, NULL)) return -1;
  return r_ftruncate64(fd, len);
}
