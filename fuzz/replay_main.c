/* Corpus replay without libFuzzer: links with one fuzz/fuzz_<target>.c and
 * runs its LLVMFuzzerTestOneInput over every regular file named on the
 * command line or found (recursively, in sorted order) under a directory
 * named there. This is how `make check` replays the seed corpora with gcc,
 * in the release build and in the ASan+UBSan build (SQLite's way: fuzz
 * corpora are ordinary tests).
 *
 *   fuzz_<target>_replay [-v] PATH...
 *
 * A path that does not exist counts as a failure (exit 1), so a replay
 * test whose corpus or anchor directory is missing fails instead of
 * passing on fewer inputs. A crash or a failed invariant in the target aborts the process;
 * the name of the input being replayed is printed first (signal handler,
 * or the sanitizers' death callback when built with ASan/UBSan). -v prints
 * every input's name before running it.
 *
 * Output: "N inputs replayed" then "N passed, M failed"; exit 0 only when
 * M == 0 and N > 0. An input "fails" when it cannot be read or the target
 * returns something other than 0 or -1 (libFuzzer's "reject this input");
 * a missing path counts as one failure. */
#include <dirent.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* Optional in a target, as with libFuzzer. */
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));
/* Provided by the sanitizer runtimes when linked in; NULL otherwise. */
void __sanitizer_set_death_callback(void (*callback)(void)) __attribute__((weak));

#define REPLAY_MAX_INPUT ((size_t)64 << 20) /* far above any -max_len we use */

static char g_current[4096]; /* the input being replayed, for crash reports */
static size_t g_replayed, g_passed, g_failed;
static int g_verbose;

static void say_current(void) {
  static const char pre[] = "\nreplay: crashed on input: ";
  size_t n = strlen(g_current);
  if (!n) return;
  /* write(2) only: this runs from a signal handler. */
  if (write(STDERR_FILENO, pre, sizeof pre - 1) < 0) return;
  if (write(STDERR_FILENO, g_current, n) < 0) return;
  if (write(STDERR_FILENO, "\n", 1) < 0) return;
}

static void on_fatal_signal(int sig) {
  say_current();
  signal(sig, SIG_DFL);
  raise(sig);
}

static int cmp_names(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Reads a whole file into a malloc'd buffer (never NULL on success, even
 * for an empty file). Returns 0 or -1. */
static int slurp(const char *path, uint8_t **out, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return -1;
  uint8_t *buf = NULL;
  size_t n = 0, cap = 0;
  int rc = -1;
  for (;;) {
    if (cap - n < 65536) {
      size_t ncap = cap ? cap * 2 : 65536;
      if (ncap > REPLAY_MAX_INPUT + 65536) goto out;
      uint8_t *p = realloc(buf, ncap);
      if (!p) goto out;
      buf = p;
      cap = ncap;
    }
    size_t r = fread(buf + n, 1, cap - n, f);
    n += r;
    if (r == 0) break;
  }
  if (ferror(f)) goto out;
  /* Exactly-sized copy so that ASan sees a read past the input's end. */
  uint8_t *exact = malloc(n ? n : 1);
  if (!exact) goto out;
  memcpy(exact, buf, n);
  *out = exact;
  *len = n;
  rc = 0;
out:
  free(buf);
  fclose(f);
  return rc;
}

static void replay_file(const char *path) {
  uint8_t *data = NULL;
  size_t len = 0;
  snprintf(g_current, sizeof g_current, "%s", path);
  g_replayed++;
  if (slurp(path, &data, &len) != 0) {
    fprintf(stderr, "replay: cannot read %s\n", path);
    g_failed++;
    return;
  }
  if (g_verbose) fprintf(stderr, "replay: %s (%zu bytes)\n", path, len);
  int rc = LLVMFuzzerTestOneInput(data, len);
  free(data);
  if (rc == 0 || rc == -1) {
    g_passed++;
  } else {
    fprintf(stderr, "replay: %s: target returned %d\n", path, rc);
    g_failed++;
  }
}

/* Returns 0, or -1 when path does not exist or a directory cannot be read. */
static int replay_path(const char *path) {
  struct stat st;
  if (stat(path, &st) != 0) {
    fprintf(stderr, "replay: %s: no such file or directory\n", path);
    g_failed++; /* a missing corpus or anchor directory fails the test */
    return -1;
  }
  if (S_ISREG(st.st_mode)) {
    replay_file(path);
    return 0;
  }
  if (!S_ISDIR(st.st_mode)) return 0; /* sockets, fifos: not inputs */
  DIR *d = opendir(path);
  if (!d) {
    fprintf(stderr, "replay: cannot open directory %s\n", path);
    g_failed++;
    return -1;
  }
  char **names = NULL;
  size_t n = 0, cap = 0;
  int rc = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.') continue; /* ., .., and dot files */
    if (n == cap) {
      size_t ncap = cap ? cap * 2 : 64;
      char **p = realloc(names, ncap * sizeof *names);
      if (!p) {
        rc = -1;
        break;
      }
      names = p;
      cap = ncap;
    }
    if (!(names[n] = strdup(e->d_name))) {
      rc = -1;
      break;
    }
    n++;
  }
  closedir(d);
  if (n) qsort(names, n, sizeof *names, cmp_names);
  for (size_t i = 0; i < n; i++) {
    size_t plen = strlen(path) + 1 + strlen(names[i]) + 1;
    char *child = malloc(plen);
    if (child) {
      snprintf(child, plen, "%s/%s", path, names[i]);
      if (replay_path(child) != 0) rc = -1;
      free(child);
    } else {
      rc = -1;
    }
    free(names[i]);
  }
  free(names);
  if (rc) fprintf(stderr, "replay: error while reading %s\n", path);
  return rc;
}

int main(int argc, char **argv) {
  if (LLVMFuzzerInitialize) LLVMFuzzerInitialize(&argc, &argv);
  if (__sanitizer_set_death_callback) __sanitizer_set_death_callback(say_current);
  signal(SIGSEGV, on_fatal_signal);
  signal(SIGBUS, on_fatal_signal);
  signal(SIGFPE, on_fatal_signal);
  signal(SIGILL, on_fatal_signal);
  signal(SIGABRT, on_fatal_signal);

  int paths = 0, bad_path = 0;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "-v") == 0) {
      g_verbose = 1;
      continue;
    }
    paths++;
    if (replay_path(argv[i]) != 0) bad_path = 1;
  }
  g_current[0] = '\0';
  if (!paths) {
    fprintf(stderr, "usage: %s [-v] FILE_OR_DIR...\n", argv[0]);
    return 2;
  }
  printf("%zu inputs replayed\n", g_replayed);
  printf("%zu passed, %zu failed\n", g_passed, g_failed);
  if (bad_path) return 1;
  if (g_replayed == 0) {
    fprintf(stderr, "replay: no inputs found\n");
    return 1;
  }
  return g_failed ? 1 : 0;
}
