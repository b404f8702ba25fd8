/* GS1 identification (src/ident, docs/ident.md; SPEC C1 codes, C2 carriers,
 * C3 query channel). Check digits of every key type; element string <-> DL
 * <-> EPC URN round trips for every key type; refused inputs and their
 * messages; and against the external anchors (never copied into the repo):
 *   - the GS1 Barcode Syntax Dictionary, re-parsed here and compared with the
 *     committed generated table src/ident/ai_table.c (drift check);
 *   - every EPC URN in the EPCIS hash generator examples converts to the DL
 *     the reference tool wrote into the matching .prehashes file;
 *   - the TDS 1.13 Appendix E vectors (SGTIN-96 and SSCC-96 binary; the
 *     pure identity URIs and element strings of every other scheme). */
#include <cjson/cJSON.h>
#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/sy_error.h"
#include "ident/ai_table.h"
#include "ident/ident.h"
#include "testutil.h"

static char g_anchors[4096]; /* .../shared/anchors */

static int is_dir(const char *p) {
  struct stat st;
  return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static int find_anchors(void) {
  const char *src = getenv("SY_SRC");
  if (src && *src) {
    snprintf(g_anchors, sizeof g_anchors, "%s/../shared/anchors", src);
    if (is_dir(g_anchors)) return 1;
  }
  snprintf(g_anchors, sizeof g_anchors, "%s/../../shared/anchors", SY_TEST_SRC_DIR);
  return is_dir(g_anchors);
}

static char *slurp(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  char *buf = NULL;
  size_t n = 0, cap = 0;
  for (;;) {
    if (n + 4096 + 1 > cap) {
      cap = cap ? cap * 2 : 65536;
      char *p = realloc(buf, cap);
      if (!p) {
        free(buf);
        fclose(f);
        return NULL;
      }
      buf = p;
    }
    size_t r = fread(buf + n, 1, 4096, f);
    n += r;
    if (r == 0) break;
  }
  fclose(f);
  buf[n] = 0;
  return buf;
}

static int same(const sy_gs1 *a, const sy_gs1 *b) {
  if (a->n != b->n) return 0;
  for (size_t i = 0; i < a->n; i++)
    if (strcmp(a->ais[i].ai, b->ais[i].ai) || strcmp(a->ais[i].value, b->ais[i].value)) return 0;
  return 1;
}

/* ---- check digits ------------------------------------------------------------ */
static void test_check_digits(void) {
  /* one valid value of every key type, its AI, and where the mod-10 check
   * digit is (index from the start; -1: none, e.g. GINC, CPID) */
  static const struct {
    const char *ai, *value;
    int check_at;
  } keys[] = {
      {"01", "00000096385074", 13},         /* GTIN-8 padded */
      {"01", "00614141000036", 13},         /* GTIN-12 */
      {"01", "09506000134352", 13},         /* GTIN-13 */
      {"01", "10614141073464", 13},         /* GTIN-14 */
      {"414", "4012345000115", 12},         /* GLN */
      {"417", "4012345000009", 12},         /* party GLN */
      {"00", "106141412345678908", 17},     /* SSCC */
      {"8003", "04012345000221334455", 13}, /* GRAI */
      {"8018", "401234500000067657", 17},   /* GSRN */
      {"8017", "401234500000000074", 17},   /* GSRNP */
      {"253", "4012345000054987", 12},      /* GDTI */
      {"255", "401234599999044", 12},       /* GCN */
      {"402", "40123452223334442", 16},     /* GSIN */
      {"8006", "040123451111180102", 13},   /* ITIP */
      {"8004", "4000001111", -1},           /* GIAI */
      {"401", "4012345333", -1},            /* GINC */
      {"8010", "4012345ABC", -1},           /* CPID */
  };
  char err[256];
  for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
    CHECK_EQ(sy_gs1_ai_validate(keys[i].ai, keys[i].value, err, sizeof err), SY_OK);
    int at = keys[i].check_at;
    if (at < 0) continue;
    int off = keys[i].ai[0] == '8' && keys[i].ai[3] == '3' ? 1 : 0; /* GRAI's leading 0 */
    CHECK_EQ(sy_gs1_check_digit(keys[i].value + off, (size_t)(at - off)), keys[i].value[at] - '0');
    CHECK(sy_gs1_check_ok(keys[i].value + off, (size_t)(at - off + 1)));
    char bad[64];
    snprintf(bad, sizeof bad, "%s", keys[i].value);
    bad[at] = (char)('0' + (bad[at] - '0' + 1) % 10);
    err[0] = 0;
    CHECK_EQ(sy_gs1_ai_validate(keys[i].ai, bad, err, sizeof err), SY_EINVAL);
    CHECK(strstr(err, "check digit") != NULL);
  }
  CHECK_EQ(sy_gs1_check_digit("950600013435", 12), 2);
  CHECK_EQ(sy_gs1_check_digit("95060a013435", 12), -1);
  CHECK(!sy_gs1_check_ok("9506000134353", 13));
  /* GMN check character pair (GS1 General Specifications 7.9.5 example) */
  CHECK_EQ(sy_gs1_ai_validate("8013", "1987654Ad4X4bL5ttr2310c2K", err, sizeof err), SY_OK);
  CHECK_EQ(sy_gs1_ai_validate("8013", "1987654Ad4X4bL5ttr2310c2L", err, sizeof err), SY_EINVAL);
  CHECK(strstr(err, "check characters") != NULL);

  char g14[15];
  CHECK_EQ(sy_gtin_normalise("96385074", g14, err, sizeof err), SY_OK);
  CHECK(strcmp(g14, "00000096385074") == 0);
  CHECK_EQ(sy_gtin_normalise("614141000036", g14, err, sizeof err), SY_OK);
  CHECK(strcmp(g14, "00614141000036") == 0);
  CHECK_EQ(sy_gtin_normalise("9506000134352", g14, err, sizeof err), SY_OK);
  CHECK(strcmp(g14, "09506000134352") == 0);
  CHECK_EQ(sy_gtin_normalise("10614141073464", g14, err, sizeof err), SY_OK);
  CHECK_EQ(sy_gtin_normalise("9506000134353", g14, err, sizeof err), SY_EINVAL);
  CHECK(strstr(err, "wrong check digit (expected 2)") != NULL);
  CHECK_EQ(sy_gtin_normalise("950600013435", g14, err, sizeof err), SY_EINVAL);
  CHECK_EQ(sy_gtin_normalise("95060001343521", g14, err, sizeof err), SY_EINVAL);
  CHECK_EQ(sy_gtin_normalise("1234567", g14, err, sizeof err), SY_EINVAL);
  CHECK(strstr(err, "8, 12, 13 or 14 digits") != NULL);
  CHECK_EQ(sy_gtin_normalise("9506OOO134352", g14, err, sizeof err), SY_EINVAL);

  CHECK(strcmp(sy_gs1_ai_title("10"), "BATCH/LOT") == 0);
  CHECK(strcmp(sy_gs1_ai_title("3103"), "NET WEIGHT (kg)") == 0);
  CHECK(sy_gs1_ai_title("19") == NULL);
  /* dates and other linters */
  CHECK_EQ(sy_gs1_ai_validate("17", "261231", err, sizeof err), SY_OK);
  CHECK_EQ(sy_gs1_ai_validate("17", "261200", err, sizeof err), SY_OK); /* day 00 allowed */
  CHECK_EQ(sy_gs1_ai_validate("17", "261331", err, sizeof err), SY_EINVAL);
  CHECK(strstr(err, "month") != NULL);
  CHECK_EQ(sy_gs1_ai_validate("17", "260230", err, sizeof err), SY_EINVAL);
  CHECK_EQ(sy_gs1_ai_validate("7006", "240229", err, sizeof err), SY_OK);
  CHECK_EQ(sy_gs1_ai_validate("7006", "230229", err, sizeof err), SY_EINVAL);
  CHECK_EQ(sy_gs1_ai_validate("10", "ABC 1", err, sizeof err), SY_EINVAL);
  CHECK(strstr(err, "' ' at position 4") != NULL);
  CHECK_EQ(sy_gs1_ai_validate("10", "123456789012345678901", err, sizeof err), SY_EINVAL);
  CHECK(strstr(err, "1 to 20 characters") != NULL);
  CHECK_EQ(sy_gs1_ai_validate("8007", "GB82WEST12345698765432", err, sizeof err), SY_OK);
  CHECK_EQ(sy_gs1_ai_validate("8007", "GB82WEST12345698765433", err, sizeof err), SY_EINVAL);
  CHECK_EQ(sy_gs1_ai_validate("8011", "0123", err, sizeof err), SY_EINVAL);
  CHECK_EQ(sy_gs1_ai_validate("8006", "040123451111180302", err, sizeof err), SY_EINVAL);
  CHECK(strstr(err, "piece") != NULL);
  CHECK_EQ(sy_gs1_ai_validate("99", "x", err, sizeof err), SY_OK);
  CHECK_EQ(sy_gs1_ai_validate("9", "x", err, sizeof err), SY_EINVAL);
  CHECK(strstr(err, "unknown application identifier") != NULL);
}

/* ---- round trips for every key type --------------------------------------------- */
static void test_round_trips(void) {
  static const struct {
    const char *es; /* canonical bracketed element string */
    int cpl;        /* GS1 Company Prefix length for the URN, 0: none */
    const char *urn, *dl;
  } cases[] = {
      {"(01)09506000134352(10)LOT01(21)HELLO", 7, "urn:epc:id:sgtin:9506000.013435.HELLO",
       "https://id.gs1.org/01/09506000134352/10/LOT01/21/HELLO"},
      {"(01)10614141073464(21)2017", 7, "urn:epc:id:sgtin:0614141.107346.2017",
       "https://id.gs1.org/01/10614141073464/21/2017"},
      {"(01)09506000134352(22)2A(10)L1(21)S/1", 7, "urn:epc:id:sgtin:9506000.013435.S%2F1",
       "https://id.gs1.org/01/09506000134352/22/2A/10/L1/21/S%2F1"},
      {"(01)04012345111118(10)1234", 7, "urn:epc:class:lgtin:4012345.011111.1234",
       "https://id.gs1.org/01/04012345111118/10/1234"},
      {"(01)04012345123456(235)AB12", 7, "urn:epc:id:upui:4012345.012345.AB12",
       "https://id.gs1.org/01/04012345123456/235/AB12"},
      {"(01)00000096385074(17)261231(3103)000189", 0, NULL,
       "https://id.gs1.org/01/00000096385074?17=261231&3103=000189"},
      {"(00)106141412345678908", 7, "urn:epc:id:sscc:0614141.1234567890",
       "https://id.gs1.org/00/106141412345678908"},
      {"(414)4012345000115(254)987", 7, "urn:epc:id:sgln:4012345.00011.987",
       "https://id.gs1.org/414/4012345000115/254/987"},
      {"(414)4012345000115", 7, "urn:epc:id:sgln:4012345.00011.0",
       "https://id.gs1.org/414/4012345000115"},
      {"(417)4012345000009", 7, "urn:epc:id:pgln:4012345.00000",
       "https://id.gs1.org/417/4012345000009"},
      {"(8003)04012345000221334455", 7, "urn:epc:id:grai:4012345.00022.334455",
       "https://id.gs1.org/8003/04012345000221334455"},
      {"(8004)4000001111", 7, "urn:epc:id:giai:4000001.111", "https://id.gs1.org/8004/4000001111"},
      {"(8018)401234500000067657", 7, "urn:epc:id:gsrn:4012345.0000006765",
       "https://id.gs1.org/8018/401234500000067657"},
      {"(8017)401234500000000074", 7, "urn:epc:id:gsrnp:4012345.0000000007",
       "https://id.gs1.org/8017/401234500000000074"},
      {"(253)4012345000054987", 7, "urn:epc:id:gdti:4012345.00005.987",
       "https://id.gs1.org/253/4012345000054987"},
      {"(255)401234599999044", 7, "urn:epc:id:sgcn:4012345.99999.44",
       "https://id.gs1.org/255/401234599999044"},
      {"(401)4012345333", 7, "urn:epc:id:ginc:4012345.333", "https://id.gs1.org/401/4012345333"},
      {"(402)40123452223334442", 7, "urn:epc:id:gsin:4012345.222333444",
       "https://id.gs1.org/402/40123452223334442"},
      {"(8006)040123451111180102(21)987", 7, "urn:epc:id:itip:4012345.011111.01.02.987",
       "https://id.gs1.org/8006/040123451111180102/21/987"},
      {"(8010)4012345ABC(8011)123", 7, "urn:epc:id:cpi:4012345.ABC.123",
       "https://id.gs1.org/8010/4012345ABC/8011/123"},
      {"(01)09506000134352(21)A.B.", 7, "urn:epc:id:sgtin:9506000.013435.A.B.",
       "https://id.gs1.org/01/09506000134352/21/A.B."},
      {"(8004)4000001A.1", 7, "urn:epc:id:giai:4000001.A.1", "https://id.gs1.org/8004/4000001A.1"},
      {"(8013)1987654Ad4X4bL5ttr2310c2K", 0, NULL,
       "https://id.gs1.org/8013/1987654Ad4X4bL5ttr2310c2K"},
      {"(00)106141412345678908(400)PO\\(7)&1", 7, "urn:epc:id:sscc:0614141.1234567890",
       "https://id.gs1.org/00/106141412345678908?400=PO%287%29%261"},
  };
  char err[256], buf[1024], dl[1024], urn[512];
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    sy_gs1 g, h;
    int rc = sy_gs1_parse_element_string(cases[i].es, &g, err, sizeof err);
    CHECK_EQ(rc, SY_OK);
    if (rc) {
      fprintf(stderr, "  %s: %s\n", cases[i].es, err);
      continue;
    }
    CHECK_EQ(sy_gs1_to_element_string(&g, buf, sizeof buf), SY_OK);
    CHECK(strcmp(buf, cases[i].es) == 0);
    /* barcode data with GS and with '^', with and without a symbology id */
    CHECK_EQ(sy_gs1_to_barcode_data(&g, 0x1D, buf, sizeof buf), SY_OK);
    CHECK_EQ(sy_gs1_parse_element_string(buf, &h, err, sizeof err), SY_OK);
    CHECK(same(&g, &h));
    char sym[1100];
    CHECK_EQ(sy_gs1_to_barcode_data(&g, '^', buf, sizeof buf), SY_OK);
    snprintf(sym, sizeof sym, "]d2%s", buf);
    CHECK_EQ(sy_gs1_parse_any(sym, &h, err, sizeof err), SY_OK);
    CHECK(same(&g, &h));
    /* Digital Link */
    CHECK_EQ(sy_gs1_to_dl(&g, NULL, dl, sizeof dl), SY_OK);
    CHECK(strcmp(dl, cases[i].dl) == 0);
    if (strcmp(dl, cases[i].dl)) fprintf(stderr, "  DL %s != %s\n", dl, cases[i].dl);
    CHECK_EQ(sy_gs1_parse_dl(dl, &h, err, sizeof err), SY_OK);
    CHECK(same(&g, &h));
    CHECK_EQ(sy_gs1_to_dl(&g, "https://example.com/trace/", buf, sizeof buf), SY_OK);
    CHECK(strncmp(buf, "https://example.com/trace/", 26) == 0);
    CHECK_EQ(sy_gs1_parse_any(buf, &h, err, sizeof err), SY_OK);
    CHECK(same(&g, &h));
    /* EPC URN */
    if (cases[i].cpl) {
      rc = sy_gs1_to_epc_urn(&g, cases[i].cpl, urn, sizeof urn, err, sizeof err);
      CHECK_EQ(rc, SY_OK);
      CHECK(strcmp(urn, cases[i].urn) == 0);
      if (strcmp(urn, cases[i].urn))
        fprintf(stderr, "  URN %s != %s (%s)\n", urn, cases[i].urn, err);
      int cpl = 0;
      CHECK_EQ(sy_gs1_from_epc_urn_gcp(urn, &h, &cpl, err, sizeof err), SY_OK);
      CHECK_EQ(cpl, cases[i].cpl);
      /* the URN drops what it cannot carry (lot with a serial, attributes) */
      sy_gs1 k;
      CHECK_EQ(sy_gs1_parse_any(urn, &k, err, sizeof err), SY_OK);
      CHECK(same(&h, &k));
      CHECK(strcmp(h.ais[0].value, g.ais[0].value) == 0);
    }
  }
  /* GTIN-8/12/13 in a DL path are padded to 14; a bare GTIN is parsed */
  sy_gs1 g;
  CHECK_EQ(sy_gs1_parse_dl("https://example.com/01/96385074", &g, err, sizeof err), SY_OK);
  CHECK(strcmp(sy_gs1_get(&g, "01"), "00000096385074") == 0);
  CHECK_EQ(sy_gs1_parse_any(" 9506000134352\n", &g, err, sizeof err), SY_OK);
  CHECK(strcmp(sy_gs1_get(&g, "01"), "09506000134352") == 0);
  /* element-string order is normalised: key, qualifiers in DL order, rest */
  CHECK_EQ(
      sy_gs1_parse_element_string("(17)261231(21)X(01)09506000134352(10)L", &g, err, sizeof err),
      SY_OK);
  CHECK_EQ(sy_gs1_to_element_string(&g, buf, sizeof buf), SY_OK);
  CHECK(strcmp(buf, "(01)09506000134352(10)L(21)X(17)261231") == 0);
  /* fixed-length AIs need no FNC1; the variable one before them does */
  CHECK_EQ(sy_gs1_to_barcode_data(&g, '^', buf, sizeof buf), SY_OK);
  CHECK(strcmp(buf,
               "0109506000134352"
               "10L^21X^17261231") == 0);
  CHECK_EQ(sy_gs1_parse_element_string("]C10109506000134352172612311"
                                       "0ABC",
                                       &g, err, sizeof err),
           SY_OK);
  CHECK(strcmp(sy_gs1_get(&g, "10"), "ABC") == 0);
  CHECK_EQ(sy_gs1_parse_element_string("^0109506000134352\x1d"
                                       "10ABC",
                                       &g, err, sizeof err),
           SY_OK);
  /* a DL with other query parameters and a fragment */
  CHECK_EQ(sy_gs1_parse_dl("HTTPS://ID.GS1.ORG/01/09506000134352?linktype=gs1:pip&17=261231#x", &g,
                           err, sizeof err),
           SY_OK);
  CHECK_EQ(g.n, 2);
  CHECK(strcmp(sy_gs1_get(&g, "17"), "261231") == 0);
  CHECK_EQ(sy_gs1_parse_any("/8004/4000001111", &g, err, sizeof err), SY_OK);
  /* a QR model 2 URL ("]Q1") is a DL */
  CHECK_EQ(sy_gs1_parse_any("]Q1https://id.gs1.org/00/106141412345678908", &g, err, sizeof err),
           SY_OK);
  CHECK(strcmp(g.ais[0].ai, "00") == 0);
  /* outputs too small */
  CHECK_EQ(sy_gs1_parse_any("(01)09506000134352(21)HELLO", &g, err, sizeof err), SY_OK);
  CHECK_EQ(sy_gs1_to_dl(&g, NULL, buf, 20), SY_ETOOBIG);
  CHECK_EQ(sy_gs1_to_element_string(&g, buf, 10), SY_ETOOBIG);
  CHECK_EQ(sy_gs1_to_barcode_data(&g, '^', buf, 10), SY_ETOOBIG);
  CHECK_EQ(sy_gs1_to_epc_urn(&g, 7, buf, 10, err, sizeof err), SY_EINVAL);
  /* an AI that a DL cannot carry */
  CHECK_EQ(sy_gs1_parse_element_string("(00)106141412345678908(7041)AB", &g, err, sizeof err),
           SY_OK);
  CHECK_EQ(sy_gs1_to_dl(&g, NULL, buf, sizeof buf), SY_EINVAL);
}

/* ---- refused input ------------------------------------------------------------------ */
static void test_refused(void) {
  static const struct {
    char form; /* a any, e element string, d DL, u URN */
    const char *in, *msg;
  } bad[] = {
      {'d', "https://id.gs1.org/01/09506000134352/10/A/22/B", "out of order"},
      {'d', "https://id.gs1.org/01/09506000134352/21/A/10/B",
       "out of order: the order is 22,10,21"},
      {'d', "https://id.gs1.org/01/09506000134352/22/A/235/B", "mix alternative sequences"},
      {'d', "https://id.gs1.org/414/4012345000115/254/1/7040/1AB9", "mix alternative"},
      {'d', "https://id.gs1.org/410/4012345000115", "(410) is not a GS1 Digital Link primary key"},
      {'d', "https://id.gs1.org/17/261231", "(17) is not a GS1 Digital Link primary key"},
      {'d', "https://id.gs1.org/01/09506000134353", "wrong check digit"},
      {'d', "https://id.gs1.org/00/106141412345678907", "wrong check digit"},
      {'d', "https://id.gs1.org/01/09506000134352/21/A<B", "character '<' is not allowed"},
      {'d', "https://id.gs1.org/01/09506000134352/21/A%20B", "' ' at position 2"},
      {'d', "https://id.gs1.org/01/09506000134352/21/A%2", "bad percent-encoding"},
      {'d', "https://id.gs1.org/01/09506000134352/17/261231",
       "not a key qualifier of primary key (01)"},
      {'d', "https://id.gs1.org/00/106141412345678908/21/1", "takes no key qualifiers"},
      {'d', "https://id.gs1.org/01/09506000134352/21/1/21/2", "twice"},
      {'d', "https://id.gs1.org/01/09506000134352?21=1",
       "key qualifier of (01): it goes in the path"},
      {'d', "https://id.gs1.org/01/09506000134352/235/X?10=1", "key qualifier of (01)"},
      {'d', "https://id.gs1.org/00/106141412345678908?7041=AB",
       "not allowed as a Digital Link data attribute"},
      {'d', "https://id.gs1.org/01/09506000134352/21/%C3%A9", "byte 0xC3 at position 1"},
      {'d', "https://id.gs1.org/01/09506000134352/21/\xc3\xa9",
       "byte 0xC3 is not allowed in a URI"},
      {'d', "https://id.gs1.org/01/123456789012345", "8, 12, 13 or 14 digits, not 15"},
      {'d', "https://id.gs1.org/01/09506000134352?17=261399", "invalid month"},
      {'d', "https://id.gs1.org/01/09506000134376/badrequest", "must be AI/value pairs"},
      {'d', "https://id.gs1.org/gtin/09506000134352", "convenience alpha"},
      {'d', "ftp://id.gs1.org/01/09506000134352", "scheme http or https"},
      {'d', "Https://id.gs1.org/01/09506000134352", "scheme http or https"},
      {'d', "https://id.gs1.org/", "no GS1 Digital Link primary key"},
      {'d', "https://id gs1.org/01/09506000134352", "host name"},
      {'d', "https://id.gs1.org/01/09506000134352/21/123456789012345678901", "1 to 20 characters"},
      {'d', "https://id.gs1.org/414/4012345000115?10=L", "(10) BATCH/LOT needs one of"},
      {'e', "(21)ABC", "needs one of (01|03|8006)"},
      {'e', "(01)09506000134352(21)A(235)B", "must not be used together"},
      {'e', "(01)09506000134353", "wrong check digit"},
      {'e', "(400)ORDER", "no GS1 identification key"},
      {'e', "(01)0950600013435", "14 characters"},
      {'e', "(19)X", "unknown application identifier (19)"},
      {'e',
       "0109506000134352"
       "10ABCDEFGHIJKLMNOPQRSTUVWXYZ",
       "missing FNC1"},
      {'e', "01095060001343", "needs 14 characters"},
      {'e', "]Q1(01)09506000134352", "does not announce GS1"},
      {'e', "(01)09506000134352(10)A(10)B", "twice with different values"},
      {'u', "urn:epc:id:sgtin:0614141.10734.2017", "13 digits together"},
      {'u', "urn:epc:id:sgtin:0614141.107346", "3 fields"},
      {'u', "urn:epc:id:sgtin:0614141.107346.20/17", "'/' must be %-escaped"},
      {'u', "urn:epc:id:sgtin:0614141.107346.A%2", "bad %-escape"},
      {'u', "urn:epc:id:sgtin:0614141.1107346.A", "13 digits"},
      {'u', "urn:epc:id:sgtin:06141.11107346.A", "6 to 12 digits"},
      {'u', "urn:epc:id:foo:0614141.1", "does not name a GS1 key"},
      {'u', "urn:epc:id:gdti:4012345.55555.", "is empty"},
      {'u', "urn:epc:idpat:sgtin:0614141.107346.*", "not an EPC pure identity URN"},
      {'u', "urn:epc:class:foo:0614141.107346.1", "only lgtin"},
      {'u', "urn:epc:id:sgtin:0614141.107346.123456789012345678901", "1 to 20 characters"},
      {'a', "hello", "not a GS1 identifier"},
      {'a', "", "empty"},
      {'a', "9506000134353", "wrong check digit"},
  };
  char err[256];
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    sy_gs1 g;
    err[0] = 0;
    int rc;
    switch (bad[i].form) {
      case 'd':
        rc = sy_gs1_parse_dl(bad[i].in, &g, err, sizeof err);
        break;
      case 'e':
        rc = sy_gs1_parse_element_string(bad[i].in, &g, err, sizeof err);
        break;
      case 'u':
        rc = sy_gs1_from_epc_urn(bad[i].in, &g, err, sizeof err);
        break;
      default:
        rc = sy_gs1_parse_any(bad[i].in, &g, err, sizeof err);
    }
    CHECK_EQ(rc, SY_EINVAL);
    CHECK(strstr(err, bad[i].msg) != NULL);
    if (!strstr(err, bad[i].msg))
      fprintf(stderr, "  %s\n    got \"%s\", want \"%s\"\n", bad[i].in, err, bad[i].msg);
    CHECK_EQ(g.n, 0); /* nothing half-filled */
    /* the same through parse_any, which must also refuse (except text in a
     * plain QR code, "]Q1", which parse_any reads as any other form) */
    if (strncmp(bad[i].in, "]Q1", 3) != 0) CHECK(sy_gs1_parse_any(bad[i].in, &g, NULL, 0) != SY_OK);
  }
  /* URNs that a key cannot be written as */
  sy_gs1 g;
  char out[256];
  CHECK_EQ(sy_gs1_parse_any("09506000134352", &g, err, sizeof err), SY_OK);
  CHECK_EQ(sy_gs1_to_epc_urn(&g, 7, out, sizeof out, err, sizeof err), SY_EINVAL);
  CHECK(strstr(err, "without serial (21) or lot (10)") != NULL);
  CHECK_EQ(sy_gs1_parse_any("(01)09506000134352(21)1", &g, err, sizeof err), SY_OK);
  CHECK_EQ(sy_gs1_to_epc_urn(&g, 5, out, sizeof out, err, sizeof err), SY_EINVAL);
  CHECK(strstr(err, "6 to 12") != NULL);
  CHECK_EQ(sy_gs1_parse_any("(253)4012345555554", &g, err, sizeof err), SY_OK);
  CHECK_EQ(sy_gs1_to_epc_urn(&g, 7, out, sizeof out, err, sizeof err), SY_EINVAL);
  CHECK(strstr(err, "GDTI without serial") != NULL);
  CHECK_EQ(sy_gs1_parse_any("urn:epc:id:pgln:999999999999.", &g, err, sizeof err), SY_OK);
  CHECK_EQ(sy_gs1_to_epc_urn(&g, 12, out, sizeof out, err, sizeof err), SY_OK);
  CHECK(strcmp(out, "urn:epc:id:pgln:999999999999.") == 0);
  /* a hand-built sy_gs1 with a bad value is refused by the writers */
  sy_gs1 hb = {.n = 1};
  snprintf(hb.ais[0].ai, sizeof hb.ais[0].ai, "00");
  snprintf(hb.ais[0].value, sizeof hb.ais[0].value, "1234");
  CHECK_EQ(sy_gs1_to_epc_urn(&hb, 7, out, sizeof out, err, sizeof err), SY_EINVAL);
  CHECK_EQ(sy_gs1_to_dl(&hb, NULL, out, sizeof out), SY_EINVAL);
  CHECK_EQ(sy_gs1_to_element_string(&hb, out, sizeof out), SY_EINVAL);
  CHECK_EQ(sy_gs1_to_barcode_data(&hb, '^', out, sizeof out), SY_EINVAL);
  CHECK_EQ(sy_gs1_parse_any("(01)09506000134352(21)1", &g, err, sizeof err), SY_OK);
  CHECK_EQ(sy_gs1_to_epc_urn(&g, 12, out, sizeof out, err, sizeof err), SY_OK);
  CHECK(strcmp(out, "urn:epc:id:sgtin:950600013435.0.1") == 0);
}

/* ---- the syntax dictionary drift check ------------------------------------------------ */
static int flag_token(const char *t) {
  for (; *t; t++)
    if (!strchr("*!?\"$%&'()+,-./:;<=>@[\\]^_`{|}~", *t)) return 0;
  return 1;
}

static void test_dictionary(void) {
  char path[4200];
  snprintf(path, sizeof path, "%s/digital-link/gs1-syntax-dictionary/gs1-syntax-dictionary.txt",
           g_anchors);
  char *text = slurp(path);
  CHECK(text != NULL);
  if (!text) return;
  size_t seen = 0, mismatches = 0;
  char *save = NULL;
  for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
    while (*line == ' ') line++;
    if (!*line || *line == '#') continue;
    char title[128] = "";
    char *hash = strchr(line, '#');
    if (hash) {
      *hash = 0;
      char *t = hash + 1;
      while (*t == ' ') t++;
      snprintf(title, sizeof title, "%s", t);
      size_t tl = strlen(title);
      while (tl && isspace((unsigned char)title[tl - 1])) title[--tl] = 0;
    }
    char *tok[16];
    int nt = 0;
    char *s2 = NULL;
    for (char *t = strtok_r(line, " \t", &s2); t && nt < 16; t = strtok_r(NULL, " \t", &s2))
      tok[nt++] = t;
    if (nt == 0) continue;
    int ti = 1, fixed = 0, dl = 0;
    if (ti < nt && flag_token(tok[ti])) {
      fixed = strchr(tok[ti], '*') != NULL;
      dl = strchr(tok[ti], '?') != NULL;
      ti++;
    }
    sy_ai_comp comp[SY_AI_MAX_COMP];
    char linters[SY_AI_MAX_COMP][64];
    int nc = 0;
    char req[128] = "", ex[128] = "", dlp[64] = "";
    int has_dlp = 0;
    for (; ti < nt; ti++) {
      char *t = tok[ti];
      if (!strncmp(t, "req=", 4)) {
        snprintf(req + strlen(req), sizeof req - strlen(req), "%s%s", *req ? " " : "", t + 4);
      } else if (!strncmp(t, "ex=", 3)) {
        snprintf(ex + strlen(ex), sizeof ex - strlen(ex), "%s%s", *ex ? " " : "", t + 3);
      } else if (!strcmp(t, "dlpkey")) {
        has_dlp = 1;
      } else if (!strncmp(t, "dlpkey=", 7)) {
        has_dlp = 1;
        snprintf(dlp, sizeof dlp, "%s", t + 7);
      } else {
        CHECK(nc < SY_AI_MAX_COMP);
        if (nc >= SY_AI_MAX_COMP) break;
        sy_ai_comp *c = &comp[nc];
        c->optional = *t == '[';
        if (*t == '[') t++;
        c->type = *t++;
        int var = 0;
        if (t[0] == '.' && t[1] == '.') {
          var = 1;
          t += 2;
        }
        int len = (int)strtol(t, &t, 10);
        c->max = (unsigned char)len;
        c->min = (unsigned char)(var ? 1 : len);
        if (*t == ']') t++;
        snprintf(linters[nc], sizeof linters[nc], "%s", *t == ',' ? t + 1 : "");
        nc++;
      }
    }
    /* the AI or range */
    char lo[8], hi[8];
    char *dash = strchr(tok[0], '-');
    if (dash) {
      snprintf(lo, sizeof lo, "%.*s", (int)(dash - tok[0]), tok[0]);
      snprintf(hi, sizeof hi, "%s", dash + 1);
    } else {
      snprintf(lo, sizeof lo, "%s", tok[0]);
      snprintf(hi, sizeof hi, "%s", tok[0]);
    }
    for (long v = strtol(lo, NULL, 10); v <= strtol(hi, NULL, 10); v++) {
      char ai[8];
      snprintf(ai, sizeof ai, "%0*ld", (int)strlen(lo), v);
      seen++;
      const sy_ai_entry *e = sy_ai_lookup(ai);
      int ok = e && e->fixed == fixed && e->dl_attr == dl && e->ncomp == nc &&
               strcmp(e->req, req) == 0 && strcmp(e->ex, ex) == 0 &&
               (has_dlp ? (e->dlpkey && strcmp(e->dlpkey, dlp) == 0) : e->dlpkey == NULL) &&
               strcmp(e->title, title) == 0;
      for (int i = 0; ok && i < nc; i++)
        ok = e->comp[i].type == comp[i].type && e->comp[i].min == comp[i].min &&
             e->comp[i].max == comp[i].max && e->comp[i].optional == comp[i].optional &&
             strcmp(e->comp[i].linters, linters[i]) == 0;
      if (!ok) {
        mismatches++;
        fprintf(stderr,
                "  AI (%s): the table in src/ident/ai_table.c differs from the dictionary; "
                "run scripts/gen_ai_table.py\n",
                ai);
      }
    }
  }
  CHECK_EQ(mismatches, 0);
  CHECK_EQ(seen, sy_ai_table_len);
  CHECK(seen > 500);
  for (size_t i = 1; i < sy_ai_table_len; i++)
    CHECK(strcmp(sy_ai_table[i - 1].ai, sy_ai_table[i].ai) < 0);
  printf("dictionary: %zu AIs, table matches\n", seen);
  free(text);
}

/* ---- EPC URN -> DL against the EPCIS event hash generator's .prehashes ---------------------- */
/* dl occurs in text, not followed by more of a path or value */
static int in_prehash(const char *text, const char *dl) {
  size_t dn = strlen(dl);
  for (const char *q = text; (q = strstr(q, dl)) != NULL; q++) {
    char c = q[dn];
    if (!(isdigit((unsigned char)c) || c == '/' || c == '%' || c == '?')) return 1;
  }
  return 0;
}

static void test_prehashes(void) {
  char dir[4200];
  snprintf(dir, sizeof dir, "%s/epcis/epcis-event-hash-generator/tests/examples", g_anchors);
  DIR *d = opendir(dir);
  CHECK(d != NULL);
  if (!d) return;
  size_t understood = 0, matched = 0, elsewhere = 0, other = 0, files = 0;
  struct dirent *de;
  /* every .prehashes text, concatenated */
  size_t alen = 0;
  char *all = calloc(1, 1);
  while (all && (de = readdir(d))) {
    size_t nl = strlen(de->d_name);
    if (nl < 11 || strcmp(de->d_name + nl - 10, ".prehashes") != 0) continue;
    if (strcmp(de->d_name, "epcisDocWithAllGS1Keys.prehashes") == 0) continue;
    char path[8400];
    snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
    char *t = slurp(path);
    if (!t) continue;
    size_t tl = strlen(t);
    char *na = realloc(all, alen + tl + 2);
    if (na) {
      all = na;
      memcpy(all + alen, t, tl);
      alen += tl;
      all[alen++] = '\n';
      all[alen] = 0;
    }
    free(t);
  }
  CHECK(all != NULL);
  if (!all) {
    closedir(d);
    return;
  }
  rewinddir(d);
  while ((de = readdir(d))) {
    size_t nl = strlen(de->d_name);
    if (nl < 11 || strcmp(de->d_name + nl - 10, ".prehashes") != 0) continue;
    /* garbled upstream (anchors/epc-tds/README.md): use its .hashes only */
    if (strcmp(de->d_name, "epcisDocWithAllGS1Keys.prehashes") == 0) continue;
    char path[8400];
    snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
    char *pre = slurp(path);
    CHECK(pre != NULL);
    if (!pre) continue;
    files++;
    static const char *const exts[] = {".jsonld", ".xml"};
    for (size_t x = 0; x < 2; x++) {
      snprintf(path, sizeof path, "%s/%.*s%s", dir, (int)(nl - 10), de->d_name, exts[x]);
      char *src = slurp(path);
      if (!src) continue;
      for (char *p = src; (p = strstr(p, "urn:epc:")) != NULL; p++) {
        char urn[512];
        size_t n = strcspn(p, "\"<>, \t\r\n");
        if (n >= sizeof urn) continue;
        memcpy(urn, p, n);
        urn[n] = 0;
        sy_gs1 g;
        char err[256], dl[1024];
        if (sy_gs1_from_epc_urn(urn, &g, err, sizeof err) != SY_OK) {
          other++; /* idpat, tag or other schemes: not pure identity GS1 keys */
          continue;
        }
        understood++;
        CHECK_EQ(sy_gs1_to_dl(&g, NULL, dl, sizeof dl), SY_OK);
        /* The reference tool leaves "'" raw where DL grammar 1.2 says %27
         * (docs/ident.md); compare with that one difference undone. */
        char ref[1024];
        size_t o = 0;
        for (const char *c = dl; *c && o + 1 < sizeof ref; c++) {
          if (strncmp(c, "%27", 3) == 0) {
            ref[o++] = '\'';
            c += 2;
          } else {
            ref[o++] = *c;
          }
        }
        ref[o] = 0;
        if (in_prehash(pre, ref)) {
          matched++;
        } else if (in_prehash(all, ref)) {
          /* the URN sits in a part of the document that is not hashed;
           * the reference tool wrote the same DL for it elsewhere */
          elsewhere++;
        } else {
          fprintf(stderr, "  %s: %s -> %s not in the .prehashes\n", de->d_name, urn, ref);
          CHECK(0);
        }
      }
      free(src);
    }
    free(pre);
  }
  closedir(d);
  free(all);
  CHECK(files >= 20);
  CHECK(understood >= 200);
  CHECK(matched + elsewhere == understood);
  printf(
      "prehashes: %zu files; %zu URNs understood, all converted to the reference tool's DL "
      "(%zu found in their own file's .prehashes, %zu in another's because their own use is "
      "not hashed); %zu other URNs (idpat patterns, non-GS1 schemes) not applicable\n",
      files, understood, matched, elsewhere, other);
}

/* ---- TDS 1.13 Appendix E vectors --------------------------------------------------------------
 */
static const char *jstr(const cJSON *o, const char *k) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
  return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* Bit i of a hex string of n digits (0 beyond its end). */
static int hexbit(const char *hex, size_t n, size_t i) {
  if (i / 4 >= n) return 0;
  int c = (unsigned char)hex[i / 4];
  int nib = isdigit(c) ? c - '0' : (tolower(c) - 'a' + 10) & 15;
  return (nib >> (3 - i % 4)) & 1;
}


/* Every GS1 scheme at every partition (company prefix 6..12 digits) with the
 * largest values its fields hold: URN -> tag -> hex -> tag -> URN. */
static void test_tds_all_partitions(void) {
  static const struct {
    const char *scheme, *pure;
    int base;       /* the field after the company prefix: base - cpl long */
    char fill;      /* ... made of this character */
    const char *rest; /* the fields after it */
    int bits;
  } S[] = {
      {"sgtin-96", "sgtin", 13, '9', ".274877906943", 96},
      {"sgtin-198", "sgtin", 13, '9', ".%22%25%26%2F%3C%3E%3Fabcdefghijklm", 198},
      {"sscc-96", "sscc", 17, '9', "", 96},
      {"sgln-96", "sgln", 12, '9', ".2199023255551", 96},
      {"sgln-195", "sgln", 12, '9', ".ABCDEFGHIJKLMNOPQRST", 195},
      {"grai-96", "grai", 12, '9', ".274877906943", 96},
      {"grai-170", "grai", 12, '9', ".0123456789abcdef", 170},
      {"giai-96", "giai", 24, '9', "", 96},
      {"giai-202", "giai", 30, 'z', "", 202},
      {"gsrn-96", "gsrn", 17, '9', "", 96},
      {"gsrnp-96", "gsrnp", 17, '9', "", 96},
      {"gdti-96", "gdti", 12, '9', ".2199023255551", 96},
      {"gdti-174", "gdti", 12, '9', ".ABCDEFGHIJKLMNOPQ", 174},
      {"sgcn-96", "sgcn", 12, '9', ".999999999999", 96},
      {"cpi-96", "cpi", 15, '9', ".2147483647", 96},
      {"cpi-var", "cpi", 30, 'Z', ".999999999999", 0},
      {"itip-110", "itip", 13, '9', ".01.99.274877906943", 110},
      {"itip-212", "itip", 13, '9', ".01.99.ABCDEFGHIJKLMNOPQRST", 212},
  };
  for (size_t i = 0; i < sizeof S / sizeof S[0]; i++) {
    for (int cpl = 6; cpl <= 12; cpl++) {
      char urn[256], err[256], hex[SY_EPC_HEX_MAX + 1], tag[512];
      int o = snprintf(urn, sizeof urn, "urn:epc:id:%s:", S[i].pure);
      for (int k = 0; k < cpl; k++) urn[o++] = (char)('1' + k % 9);
      urn[o++] = '.';
      for (int k = 0; k < S[i].base - cpl; k++) urn[o++] = S[i].fill;
      snprintf(urn + o, sizeof urn - (size_t)o, "%s", S[i].rest);
      sy_epc_tag t, u, d;
      memset(&t, 0, sizeof t);
      snprintf(t.scheme, sizeof t.scheme, "%s", S[i].scheme);
      t.filter = 5;
      int fails0 = sy_test_failures, nbits = 0;
      CHECK_EQ(sy_gs1_from_epc_urn_gcp(urn, &t.gs1, &t.company_prefix_len, err, sizeof err),
               SY_OK);
      CHECK_EQ(t.company_prefix_len, cpl);
      CHECK_EQ(sy_epc_encode(&t, hex, sizeof hex, &nbits, err, sizeof err), SY_OK);
      if (S[i].bits) CHECK_EQ(nbits, S[i].bits);
      CHECK_EQ(sy_epc_decode_hex(hex, &d, err, sizeof err), SY_OK);
      CHECK(strcmp(d.scheme, S[i].scheme) == 0 && d.filter == 5 && d.company_prefix_len == cpl);
      CHECK(same(&d.gs1, &t.gs1));
      CHECK(strcmp(d.urn, urn) == 0);
      CHECK_EQ(sy_epc_to_tag_uri(&d, tag, sizeof tag, err, sizeof err), SY_OK);
      CHECK_EQ(sy_epc_from_tag_uri(tag, &u, err, sizeof err), SY_OK);
      CHECK(same(&u.gs1, &t.gs1) && strcmp(u.scheme, S[i].scheme) == 0 && u.filter == 5);
      /* one more digit or character than the partition allows */
      if (S[i].base - cpl < 24) {
        char big[260];
        o = snprintf(big, sizeof big, "urn:epc:tag:%s:1.", S[i].scheme);
        for (int k = 0; k < cpl; k++) big[o++] = (char)('1' + k % 9);
        big[o++] = '.';
        for (int k = 0; k <= S[i].base - cpl; k++) big[o++] = S[i].fill;
        snprintf(big + o, sizeof big - (size_t)o, "%s", S[i].rest);
        CHECK_EQ(sy_epc_from_tag_uri(big, &u, err, sizeof err), SY_EINVAL);
      }
      if (sy_test_failures != fails0)
        fprintf(stderr, "  %s cpl %d: %s -> %s: %s\n", S[i].scheme, cpl, urn, hex, err);
    }
  }
}

/* The edges of the fields, the choice between the 96-bit and the long
 * scheme, the non-GS1 schemes, and what the decoder refuses. */
static void test_tds_edges(void) {
  static const struct {
    const char *in, *scheme; /* element string with --gcp-len 7 -> chosen scheme */
  } pick[] = {
      {"(01)80614141123458(21)274877906943", "sgtin-96"},
      {"(01)80614141123458(21)274877906944", "sgtin-198"},
      {"(01)80614141123458(21)0", "sgtin-96"},
      {"(01)80614141123458(21)01", "sgtin-198"},
      {"(414)0614141123452(254)2199023255551", "sgln-96"},
      {"(414)0614141123452(254)2199023255552", "sgln-195"},
      {"(414)0614141123452", "sgln-96"},
      {"(8003)006141411234525678", "grai-96"},
      {"(8003)0061414112345205678", "grai-170"},
      {"(8004)0614141999999999999999999", "giai-202"}, /* 17 digits > 2^58 */
      {"(8004)061414105678", "giai-202"},
      {"(253)061414112345201", "gdti-174"},
      {"(255)0614141123452000000000000", "sgcn-96"},
      {"(8010)061414198765(8011)2147483648", "cpi-var"},
      {"(8010)0614141098765(8011)1", "cpi-var"},
      {"(8006)040123451234560102(21)0A", "itip-212"},
      {"(00)106141412345678908", "sscc-96"},
  };
  for (size_t i = 0; i < sizeof pick / sizeof pick[0]; i++) {
    sy_epc_tag t;
    char err[256] = "", hex[SY_EPC_HEX_MAX + 1];
    memset(&t, 0, sizeof t);
    t.company_prefix_len = 7;
    int rc = sy_gs1_parse_element_string(pick[i].in, &t.gs1, err, sizeof err);
    CHECK_EQ(rc, SY_OK);
    if (rc == SY_OK) rc = sy_epc_scheme_for(&t, err, sizeof err);
    if (rc == SY_OK) rc = sy_epc_encode(&t, hex, sizeof hex, NULL, err, sizeof err);
    CHECK_EQ(rc, SY_OK);
    CHECK(strcmp(t.scheme, pick[i].scheme) == 0);
    if (rc || strcmp(t.scheme, pick[i].scheme))
      fprintf(stderr, "  %s: %s (%s)\n", pick[i].in, t.scheme, err);
    sy_epc_tag d;
    CHECK_EQ(sy_epc_decode_hex(hex, &d, err, sizeof err), SY_OK);
    CHECK(same(&d.gs1, &t.gs1));
  }
  /* non-GS1 schemes: tag URI -> hex -> tag URI */
  static const struct {
    const char *tag, *hex;
  } ng[] = {
      {"urn:epc:tag:gid-96:268435455.16777215.68719476735", "35FFFFFFFFFFFFFFFFFFFFFF"},
      {"urn:epc:tag:gid-96:0.0.0", "350000000000000000000000"},
      {"urn:epc:tag:usdod-96:15.ABC123.68719476735", "2FF414243313233FFFFFFFFF"},
      {"urn:epc:tag:adi-var:63.ABC12..%231-%2FZ", NULL},
      {"urn:epc:tag:adi-var:0.ABCDEF.A-B%2FC.1", NULL},
  };
  for (size_t i = 0; i < sizeof ng / sizeof ng[0]; i++) {
    sy_epc_tag t, d;
    char err[256] = "", hex[SY_EPC_HEX_MAX + 1], uri[512];
    CHECK_EQ(sy_epc_from_tag_uri(ng[i].tag, &t, err, sizeof err), SY_OK);
    CHECK_EQ(t.gs1.n, 0);
    CHECK_EQ(sy_epc_encode(&t, hex, sizeof hex, NULL, err, sizeof err), SY_OK);
    if (ng[i].hex) CHECK(strcmp(hex, ng[i].hex) == 0);
    CHECK_EQ(sy_epc_decode_hex(hex, &d, err, sizeof err), SY_OK);
    CHECK_EQ(sy_epc_to_tag_uri(&d, uri, sizeof uri, err, sizeof err), SY_OK);
    CHECK(strcmp(uri, ng[i].tag) == 0);
    if (strcmp(uri, ng[i].tag)) fprintf(stderr, "  %s -> %s -> %s (%s)\n", ng[i].tag, hex, uri, err);
  }
  /* refused, with the reason named */
  static const struct {
    char kind; /* t: tag URI, h: hex */
    const char *in, *why;
  } bad[] = {
      {'t', "urn:epc:tag:gid-96:268435456.0.0", "does not fit GID-96"},
      {'t', "urn:epc:tag:gid-96:3.31415.271828.1414", "does not fit GID-96"},
      {'t', "urn:epc:tag:gid-96:01.2.3", "leading zeros"},
      {'t', "urn:epc:tag:usdod-96:16.CAGEY.1", "filter value 0 to 15"},
      {'t', "urn:epc:tag:usdod-96:3.CAGE.1", "CAGE"},
      {'t', "urn:epc:tag:usdod-96:3.cagey.1", "CAGE"},
      {'t', "urn:epc:tag:adi-var:64.35962.A.1", "filter value 0 to 63"},
      {'t', "urn:epc:tag:adi-var:3.35962.A.", "serial"},
      {'t', "urn:epc:tag:adi-var:3.35962.a.1", "part number"},
      {'t', "urn:epc:tag:adi-var:3.35962.A.1%231", "serial"},
      {'t', "urn:epc:tag:sgtin-198:3.0614141.712345.123456789012345678901", ""},
      {'t', "urn:epc:tag:sgln-96:3.0614141.12345.2199023255552", "does not fit SGLN-96"},
      {'t', "urn:epc:tag:giai-96:3.0614141.05678", "does not fit GIAI-96"},
      {'t', "urn:epc:tag:cpi-96:3.0614141.5PQ7.1", "does not fit CPI-96"},
      {'t', "urn:epc:tag:cpi-var:3.0614141.5PQ7.1234567890123", "(8011)"},
      {'t', "urn:epc:tag:itip-110:0.4012345.012345.01.02.0981", "does not fit ITIP-110"},
      {'t', "urn:epc:tag:sgtin-999:3.0614141.812345.6789", "not a TDS 1.13"},
      {'h', "3074257BF7194E4000001A850001", "padding must be zero"},
      {'h', "3674257BF6B7A659B2C2BF10000000000000000000000000000000001", "padding must be zero"},
      {'h', "3674257BF6B7A659B2C2BF100820000000000000000000000000", "not valid"}, /* NUL, 'A' */
      {'h', "3674257BF6B7A659B2C2BF100000000000000000000000000", "SGTIN-198"},  /* 49 digits */
      {'h', "FF74257BF7194E4000001A85", "0xFF"},
      {'h', "3D74257BF75411DEF6B4CC0", "cut short"},
      {'h', "3F74F4E4E612640000000000", "serial field"}, /* numeric string 0 */
      {'h', "2F320636167657900000162E", "CAGE"},
      {'h', "2F1435147453100000141435", "CAGE"}, /* "CQGE1" + NUL (fuzz) */
      {'h', "35", "96 bits"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    sy_epc_tag t;
    char err[256] = "";
    int rc = bad[i].kind == 't' ? sy_epc_from_tag_uri(bad[i].in, &t, err, sizeof err)
                                : sy_epc_decode_hex(bad[i].in, &t, err, sizeof err);
    CHECK_EQ(rc, SY_EINVAL);
    CHECK(strstr(err, bad[i].why) != NULL);
    if (rc != SY_EINVAL || !strstr(err, bad[i].why))
      fprintf(stderr, "  %s: rc %d, \"%s\" lacks \"%s\"\n", bad[i].in, rc, err, bad[i].why);
  }
  /* a long hex is read with any zero padding; lower case too */
  sy_epc_tag t;
  char err[256];
  CHECK_EQ(sy_epc_decode_hex("3674257bf6b7a659b2c2bf1000000000000000000000000000000000", &t, err,
                             sizeof err),
           SY_OK);
  CHECK(strcmp(t.urn, "urn:epc:id:sgtin:0614141.712345.32a%2Fb") == 0);
}

static void test_tds(void) {
  char path[4200];
  snprintf(path, sizeof path, "%s/epc-tds/tds-1.13-appendix-E-vectors.json", g_anchors);
  char *text = slurp(path);
  CHECK(text != NULL);
  if (!text) return;
  cJSON *root = cJSON_Parse(text);
  CHECK(root != NULL);
  const cJSON *vecs = cJSON_GetObjectItemCaseSensitive(root, "vectors");
  CHECK(cJSON_IsArray(vecs));
  size_t bin_ok = 0, bin_bad = 0, urn_ok = 0, urn_na = 0;
  char na[512] = "", unv[512] = "";
  const cJSON *v;
  cJSON_ArrayForEach(v, vecs) {
    const char *scheme = jstr(v, "scheme"), *es = jstr(v, "gs1ElementString"),
               *pure = jstr(v, "pureIdentityURI"), *tag = jstr(v, "tagURI"), *hex = jstr(v, "hex"),
               *bin = jstr(v, "binary"), *dlv = jstr(v, "digitalLink_derived");
    if (!scheme || !pure) continue;
    char err[256], buf[512];
    sy_gs1 g, h;
    int cpl = 0;
    /* pure identity URI <-> element string, for every scheme the URN parser knows */
    if (sy_gs1_from_epc_urn_gcp(pure, &g, &cpl, err, sizeof err) == SY_OK && es) {
      urn_ok++;
      CHECK_EQ(sy_gs1_parse_element_string(es, &h, err, sizeof err), SY_OK);
      CHECK(same(&g, &h));
      CHECK_EQ(sy_gs1_to_epc_urn(&h, cpl, buf, sizeof buf, err, sizeof err), SY_OK);
      CHECK(strcmp(buf, pure) == 0);
      if (strcmp(buf, pure)) fprintf(stderr, "  %s: %s != %s\n", scheme, buf, pure);
      if (dlv) {
        CHECK_EQ(sy_gs1_to_dl(&g, NULL, buf, sizeof buf), SY_OK);
        CHECK(strcmp(buf, dlv) == 0);
      }
    } else {
      urn_na++;
    }
    /* binary: hex -> tag -> tag URI / pure URN / element string, and back */
    const cJSON *fv = cJSON_GetObjectItemCaseSensitive(v, "filter"),
                *bv = cJSON_GetObjectItemCaseSensitive(v, "bits"),
                *vi = cJSON_GetObjectItemCaseSensitive(v, "verified_independently");
    char lower[32];
    snprintf(lower, sizeof lower, "%s", scheme);
    for (char *q = lower; *q; q++) *q = (char)tolower((unsigned char)*q);
    CHECK(hex && tag);
    if (!hex || !tag) continue;
    int fails0 = sy_test_failures;
    sy_epc_tag t, u;
    CHECK_EQ(sy_epc_decode_hex(hex, &t, err, sizeof err), SY_OK);
    if (sy_test_failures != fails0) fprintf(stderr, "  %s: decode %s: %s\n", scheme, hex, err);
    CHECK(strcmp(t.scheme, lower) == 0);
    CHECK_EQ(t.filter, cJSON_IsNumber(fv) ? fv->valueint : 0);
    CHECK(strcmp(t.urn, pure) == 0);
    if (es) {
      CHECK_EQ(sy_gs1_to_element_string(&t.gs1, buf, sizeof buf), SY_OK);
      CHECK(strcmp(buf, es) == 0);
      CHECK_EQ(sy_gs1_to_epc_urn(&t.gs1, t.company_prefix_len, buf, sizeof buf, err, sizeof err),
               SY_OK);
      CHECK(strcmp(buf, pure) == 0);
    } else {
      CHECK_EQ(t.gs1.n, 0);
    }
    CHECK_EQ(sy_epc_to_tag_uri(&t, buf, sizeof buf, err, sizeof err), SY_OK);
    CHECK(strcmp(buf, tag) == 0);
    if (strcmp(buf, tag)) fprintf(stderr, "  %s: %s != %s\n", scheme, buf, tag);
    char hex2[SY_EPC_HEX_MAX + 1];
    int nbits = 0;
    CHECK_EQ(sy_epc_from_tag_uri(tag, &u, err, sizeof err), SY_OK);
    if (sy_test_failures != fails0) fprintf(stderr, "  %s: tag URI %s: %s\n", scheme, tag, err);
    CHECK_EQ(sy_epc_encode(&u, hex2, sizeof hex2, &nbits, err, sizeof err), SY_OK);
    /* TDS pads long encodings inconsistently (anchors/epc-tds/README.md):
     * the first `bits` bits agree and every later bit of both is zero */
    if (cJSON_IsNumber(bv)) CHECK_EQ(nbits, bv->valueint);
    CHECK(nbits > 0 && strlen(hex2) % 4 == 0 && (size_t)nbits <= strlen(hex2) * 4 &&
          strlen(hex2) * 4 - (size_t)nbits < 16);
    size_t hl = strlen(hex), h2l = strlen(hex2), maxl = hl > h2l ? hl : h2l;
    for (size_t i = 0; i < maxl * 4; i++) {
      int a = hexbit(hex, hl, i), b = hexbit(hex2, h2l, i);
      if (a != b || ((int)i >= nbits && a)) {
        CHECK(0 && "hex differs");
        fprintf(stderr, "  %s: bit %zu differs: %s vs %s\n", scheme, i, hex, hex2);
        break;
      }
    }
    if (es) { /* from the element string: the scheme TDS picks is the vector's */
      sy_epc_tag k;
      memset(&k, 0, sizeof k);
      CHECK_EQ(sy_gs1_parse_element_string(es, &k.gs1, err, sizeof err), SY_OK);
      k.company_prefix_len = t.company_prefix_len;
      k.filter = t.filter;
      CHECK_EQ(sy_epc_scheme_for(&k, err, sizeof err), SY_OK);
      CHECK(strcmp(k.scheme, lower) == 0);
    }
    if (bin) { /* the printed bit string */
      char bits[SY_EPC_HEX_MAX * 4 + 1];
      size_t nb = strlen(bin) < sizeof bits - 1 ? strlen(bin) : sizeof bits - 1;
      for (size_t i = 0; i < nb; i++) bits[i] = (char)('0' + hexbit(hex2, h2l, i));
      bits[nb] = 0;
      CHECK(strcmp(bits, bin) == 0);
    }
    if (sy_test_failures == fails0) {
      bin_ok++;
      if (cJSON_IsFalse(vi))
        snprintf(unv + strlen(unv), sizeof unv - strlen(unv), "%s%s", *unv ? " " : "", scheme);
    } else {
      bin_bad++;
      snprintf(na + strlen(na), sizeof na - strlen(na), "%s%s", *na ? " " : "", scheme);
    }
  }
  CHECK_EQ(bin_ok, 21);
  CHECK_EQ(bin_bad, 0);
  CHECK(urn_ok >= 10);
  printf(
      "TDS vectors: %zu binary vectors passed (hex -> tag URI, pure URN, element string, and "
      "tag URI -> hex; %zu failed%s%s), of them transcribed only (verified_independently=false) "
      "and now re-derived by this encoder: %s; %zu pure identity URIs checked against their "
      "element strings, %zu not applicable (non-GS1 schemes)\n",
      bin_ok, bin_bad, *na ? ": " : "", na, *unv ? unv : "none", urn_ok, urn_na);
  cJSON_Delete(root);
  free(text);

  /* the partition tables: every company prefix length both ways, and the
   * edges of the 96-bit fields */
  for (int cpl = 6; cpl <= 12; cpl++) {
    sy_gs1 g;
    char err[256], urn[128], hex[25], es[64];
    char digits[] = "80614141123458";
    snprintf(es, sizeof es, "(01)%s(21)274877906943", digits);
    CHECK_EQ(sy_gs1_parse_element_string(es, &g, err, sizeof err), SY_OK);
    sy_epc_tag t = {.filter = 1, .gs1 = g, .company_prefix_len = cpl}, u;
    snprintf(t.scheme, sizeof t.scheme, "sgtin-96");
    CHECK_EQ(sy_epc_encode_hex(&t, hex, err, sizeof err), SY_OK);
    CHECK_EQ(sy_epc_decode_hex(hex, &u, err, sizeof err), SY_OK);
    CHECK(same(&u.gs1, &g));
    CHECK_EQ(u.company_prefix_len, cpl);
    CHECK_EQ(sy_epc_to_tag_uri(&u, urn, sizeof urn, err, sizeof err), SY_OK);
    CHECK(strncmp(urn, "urn:epc:tag:sgtin-96:1.", 23) == 0);
    CHECK_EQ(sy_gs1_parse_element_string("(00)106141412345678908", &g, err, sizeof err), SY_OK);
    sy_epc_tag s = {.filter = 2, .gs1 = g, .company_prefix_len = cpl};
    snprintf(s.scheme, sizeof s.scheme, "sscc-96");
    CHECK_EQ(sy_epc_encode_hex(&s, hex, err, sizeof err), SY_OK);
    CHECK_EQ(sy_epc_decode_hex(hex, &u, err, sizeof err), SY_OK);
    CHECK(same(&u.gs1, &g));
    CHECK_EQ(u.filter, 2);
  }
  test_tds_all_partitions();
  test_tds_edges();
  /* refused */
  sy_epc_tag t;
  char err[256], hex[25];
  CHECK_EQ(sy_epc_from_tag_uri("urn:epc:tag:sgtin-96:3.0614141.812345.274877906944", &t, err,
                               sizeof err),
           SY_EINVAL);
  CHECK(strstr(err, "does not fit SGTIN-96") != NULL);
  CHECK_EQ(sy_epc_from_tag_uri("urn:epc:tag:sgtin-96:3.0614141.812345.0123", &t, err, sizeof err),
           SY_EINVAL);
  CHECK_EQ(sy_epc_from_tag_uri("urn:epc:tag:sgtin-96:8.0614141.812345.1", &t, err, sizeof err),
           SY_EINVAL);
  CHECK(strstr(err, "filter") != NULL);
  /* a long scheme: not through the 24-digit sy_epc_encode_hex */
  CHECK_EQ(
      sy_epc_from_tag_uri("urn:epc:tag:sgtin-198:3.0614141.712345.32a%2Fb", &t, err, sizeof err),
      SY_OK);
  CHECK_EQ(sy_epc_encode_hex(&t, hex, err, sizeof err), SY_EINVAL);
  CHECK(strstr(err, "198 bits") != NULL);
  CHECK_EQ(sy_epc_decode_hex("3674257BF6B7A659B2C2BF10", &t, err, sizeof err), SY_EINVAL);
  CHECK(strstr(err, "0x36") != NULL && strstr(err, "SGTIN-198") != NULL);
  CHECK_EQ(sy_epc_decode_hex("307C257BF7194E4000001A85", &t, err, sizeof err), SY_EINVAL); /* P=7 */
  CHECK(strstr(err, "partition") != NULL);
  CHECK_EQ(sy_epc_decode_hex("3174257BF4499602D2000001", &t, err, sizeof err), SY_EINVAL);
  CHECK(strstr(err, "reserved") != NULL);
  CHECK_EQ(sy_epc_decode_hex("3074257BF7194E4000001A8", &t, err, sizeof err), SY_EINVAL);
  CHECK_EQ(sy_epc_decode_hex("3074257BF7194E4000001A8G", &t, err, sizeof err), SY_EINVAL);
  /* lower-case hex decodes; encoding gives upper case */
  CHECK_EQ(sy_epc_decode_hex("3074257bf7194e4000001a85", &t, err, sizeof err), SY_OK);
  CHECK_EQ(sy_epc_encode_hex(&t, hex, err, sizeof err), SY_OK);
  CHECK(strcmp(hex, "3074257BF7194E4000001A85") == 0);
  /* company prefix field beyond its digits: P=6 (6 digits) with 20 bits set */
  CHECK_EQ(sy_epc_decode_hex("301BFFFFF00000000000000A", &t, err, sizeof err), SY_EINVAL);
}

int main(void) {
  test_check_digits();
  test_round_trips();
  test_refused();
  int found = find_anchors();
  CHECK(found); /* never skip silently: the anchors are part of the test */
  if (found) {
    test_dictionary();
    test_prehashes();
    test_tds();
  }
  return sy_test_done("test_ident");
}
