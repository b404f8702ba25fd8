/* GET /v1/label (issue 5). Stub: the real handler is being written. */
#define SY_API_INTERNAL
#include "api/api.h"

void sy_api_label_get(sy_api_router *r, const sy_api_req *rq, sy_api_resp *rs) {
  sy_api_problem(r, rs, 501, "not-implemented", rq->path, "not implemented yet");
}
