#include "testutil.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int sy_test_failures;
int sy_test_checks;

const char *sy_test_dir(const char *name) {
  static char path[512];
  const char *base = getenv("SY_TEST_TMP");
  if (!base || !*base) base = "/tmp";
  mkdir(base, 0700);
  snprintf(path, sizeof path, "%s/%s.%d", base, name, (int)getpid());
  char cmd[600];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", path);
  if (system(cmd) != 0) return NULL;
  if (mkdir(path, 0700) != 0) return NULL;
  return path;
}

int sy_test_done(const char *name) {
  printf("%s: %d passed, %d failed\n", name, sy_test_checks - sy_test_failures, sy_test_failures);
  return sy_test_failures ? 1 : 0;
}
