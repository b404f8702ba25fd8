/* `suyuan id` (src/cli/cli_ident.c, docs/ident.md; SPEC C1-C3): runs the
 * built tool (next to this test's directory: <build>/suyuan) and checks its
 * output and exit codes: 0 ok, 1 invalid identifier, 2 bad command line. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"

static char g_bin[PATH_MAX + 16];
static char g_out[65536];

/* Runs "suyuan ARGS 2>&1" (args already shell-quoted); output in g_out. */
static int run(const char *args) {
  char cmd[8192];
  snprintf(cmd, sizeof cmd, "'%s' %s 2>&1", g_bin, args);
  FILE *p = popen(cmd, "r");
  if (!p) return -1;
  size_t n = fread(g_out, 1, sizeof g_out - 1, p);
  g_out[n] = 0;
  int st = pclose(p);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int has(const char *s) {
  int ok = strstr(g_out, s) != NULL;
  if (!ok) fprintf(stderr, "  output lacks \"%s\":\n%s\n", s, g_out);
  return ok;
}

int main(void) {
  char self[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  CHECK(n > 0);
  if (n <= 0) return sy_test_done("test_ident_cli");
  self[n] = 0;
  char *slash = strrchr(self, '/');
  if (slash) *slash = 0;
  snprintf(g_bin, sizeof g_bin, "%s/../suyuan", self);
  CHECK(access(g_bin, X_OK) == 0); /* built by the same build; never skipped */
  if (access(g_bin, X_OK) != 0) return sy_test_done("test_ident_cli");

  CHECK_EQ(run("id parse '(01)09506000134352(10)LOT01(21)HELLO(17)261231' --gcp-len 7"), 0);
  CHECK(has("(10) BATCH/LOT"));
  CHECK(has("(17) USE BY or EXPIRY"));
  CHECK(has("digital link    https://id.gs1.org/01/09506000134352/10/LOT01/21/HELLO?17=261231"));
  CHECK(has("barcode data    010950600013435210LOT01^21HELLO^17261231"));
  CHECK(has("epc urn         urn:epc:id:sgtin:9506000.013435.HELLO"));

  CHECK_EQ(run("id parse urn:epc:id:sgln:4012345.00011.987 --json"), 0);
  CHECK(has("\"digitalLink\":\t\"https://id.gs1.org/414/4012345000115/254/987\""));
  CHECK(has("\"epcUrn\":\t\"urn:epc:id:sgln:4012345.00011.987\""));
  CHECK(has("\"gcpLength\":\t7"));
  CHECK(has("\"title\":\t\"GLN EXTENSION COMPONENT\""));

  CHECK_EQ(run("id dl 9506000134352 --base https://example.com/p/"), 0);
  CHECK(strcmp(g_out, "https://example.com/p/01/09506000134352\n") == 0);
  CHECK_EQ(run("id urn https://id.gs1.org/00/106141412345678908 --gcp-len 7"), 0);
  CHECK(strcmp(g_out, "urn:epc:id:sscc:0614141.1234567890\n") == 0);
  CHECK_EQ(run("id element '/01/09506000134352/10/A?17=261231'"), 0);
  CHECK(strcmp(g_out, "(01)09506000134352(10)A(17)261231\n") == 0);
  CHECK_EQ(run("id element '/01/09506000134352/10/A?17=261231' --barcode --json"), 0);
  CHECK(has("\"barcodeData\":\t\"010950600013435210A^17261231\""));

  CHECK_EQ(run("id rfid encode urn:epc:id:sgtin:0614141.812345.6789 --filter 3"), 0);
  CHECK(has("hex             3074257BF7194E4000001A85"));
  CHECK(has("tag uri         urn:epc:tag:sgtin-96:3.0614141.812345.6789"));
  CHECK_EQ(run("id rfid encode urn:epc:tag:sscc-96:3.0614141.1234567890"), 0);
  CHECK(has("3174257BF4499602D2000000"));
  CHECK_EQ(run("id rfid encode '(01)80614141123458(21)6789' --gcp-len 7 --filter 1"), 0);
  CHECK(has("urn:epc:tag:sgtin-96:1.0614141.812345.6789"));
  CHECK_EQ(run("id rfid decode 3174257BF4499602D2000000 --json"), 0);
  CHECK(has("\"elementString\":\t\"(00)106141412345678908\""));
  CHECK(has("\"filter\":\t3"));
  /* the other TDS 1.13 schemes: the long one when the 96-bit one cannot
   * hold the value, non-GS1 URNs, and hex of any length */
  CHECK_EQ(run("id rfid encode '(01)80614141123458(21)06789' --gcp-len 7"), 0);
  CHECK(has("scheme          sgtin-198 (198 bits)"));
  CHECK(has("tag uri         urn:epc:tag:sgtin-198:0.0614141.812345.06789"));
  CHECK_EQ(run("id rfid encode '(414)0614141123452(254)5678' --gcp-len 7 --filter 3"), 0);
  CHECK(has("hex             3274257BF46072000000162E"));
  CHECK_EQ(run("id rfid encode urn:epc:id:gid:31415.271828.1414"), 0);
  CHECK(has("hex             350007AB70425D4000000586"));
  CHECK(has("tag uri         urn:epc:tag:gid-96:31415.271828.1414"));
  CHECK_EQ(run("id rfid encode urn:epc:tag:adi-var:3.35962.PQ7VZ4.M37GXB92"), 0);
  CHECK(has("scheme          adi-var (146 bits)"));
  CHECK_EQ(run("id rfid decode 3774257bf40c0e59b2c2bf100000000000000000000 --json"), 0);
  CHECK(has("\"tagUri\":\t\"urn:epc:tag:grai-170:3.0614141.12345.32a%2Fb\""));
  CHECK(has("\"elementString\":\t\"(8003)0061414112345232a/b\""));
  CHECK(has("\"bits\":\t170"));

  /* invalid identifiers: 1, with the problem named */
  CHECK_EQ(run("id parse /01/09506000134352/10/A/22/B"), 1);
  CHECK(has("out of order"));
  CHECK_EQ(run("id dl 9506000134353"), 1);
  CHECK(has("wrong check digit"));
  CHECK_EQ(run("id parse /410/4012345000115"), 1);
  CHECK(has("not a GS1 Digital Link primary key"));
  CHECK_EQ(run("id rfid encode '(01)80614141123458(10)LOT' --gcp-len 7"), 1);
  CHECK(has("lgtin"));
  CHECK_EQ(run("id rfid decode 3674257BF6B7A659B2C2BF10"), 1); /* SGTIN-198 cut short */
  CHECK(has("0x36"));
  CHECK(has("198 bits"));
  CHECK_EQ(run("id rfid encode urn:epc:id:sgtin:0614141.812345.6789 --filter 8"), 1);
  CHECK(has("filter value must be 0 to 7"));
  CHECK_EQ(run("id rfid encode urn:epc:id:usdod:CAGE.1"), 1);
  CHECK(has("CAGE"));
  CHECK_EQ(run("id urn 9506000134352 --gcp-len 7"), 1);
  CHECK(has("without serial"));
  /* bad command lines: 2 */
  CHECK_EQ(run("id"), 2);
  CHECK_EQ(run("id frobnicate x"), 2);
  CHECK_EQ(run("id urn 9506000134352"), 2);
  CHECK(has("--gcp-len"));
  CHECK_EQ(run("id parse x --gcp-len 5"), 2);
  CHECK_EQ(run("id rfid encode urn:epc:id:sgtin:0614141.812345.6789 --filter 64"), 2);
  CHECK_EQ(run("id parse a b"), 2);
  CHECK_EQ(run("id --help"), 0);
  CHECK(has("suyuan id rfid decode HEX"));
  return sy_test_done("test_ident_cli");
}
