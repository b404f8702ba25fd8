/* GS1 Digital Link resolver, consumer trace page, product view (issue 5).
 * Stub: the real handlers are being written. */
#define SY_API_INTERNAL
#include <string.h>

#include "api/api.h"

const char *sy_api_public_url(const sy_api_router *r) {
  return r->public_url ? r->public_url : r->base_url;
}

int sy_api_dl_is_path(const char *path) {
  (void)path;
  return 0;
}

static void todo(sy_api_router *r, const sy_api_req *rq, sy_api_resp *rs) {
  sy_api_problem(r, rs, 501, "not-implemented", rq->path, "not implemented yet");
}
void sy_api_dl_get(sy_api_router *r, const sy_api_req *rq, sy_api_resp *rs) { todo(r, rq, rs); }
void sy_api_product_get(sy_api_router *r, const sy_api_req *rq, sy_api_resp *rs) { todo(r, rq, rs); }
void sy_api_web_get(sy_api_router *r, const sy_api_req *rq, sy_api_resp *rs) { todo(r, rq, rs); }
void sy_api_gs1resolver_get(sy_api_router *r, const sy_api_req *rq, sy_api_resp *rs) { todo(r, rq, rs); }
