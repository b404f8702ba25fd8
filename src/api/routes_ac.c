/* Anti-counterfeit codes, SMS queries, alerts (issue 5). Stub: the real
 * handlers are being written. */
#define SY_API_INTERNAL
#include "api/api.h"
#include "core/sy_error.h"

int sy_api_ac_init(sy_api_router *r, const sy_api_opts *opts) {
  (void)r;
  (void)opts;
  return SY_OK;
}
void sy_api_ac_close(sy_api_router *r) { (void)r; }
static void todo(sy_api_router *r, const sy_api_req *rq, sy_api_resp *rs) {
  sy_api_problem(r, rs, 501, "not-implemented", rq->path, "not implemented yet");
}
void sy_api_verify_code_post(sy_api_router *r, const sy_api_req *rq, sy_api_resp *rs) { todo(r, rq, rs); }
void sy_api_sms_post(sy_api_router *r, const sy_api_req *rq, sy_api_resp *rs) { todo(r, rq, rs); }
void sy_api_alerts_get(sy_api_router *r, const sy_api_req *rq, sy_api_resp *rs) { todo(r, rq, rs); }
