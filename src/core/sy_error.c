#include "core/sy_error.h"

const char *sy_strerror(int err) {
  switch (err) {
#define SY_ERR_MSG(name, code, msg) \
  case code:                        \
    return msg;
    SY_ERRORS(SY_ERR_MSG)
#undef SY_ERR_MSG
  }
  return "unknown error";
}

const char *sy_err_name(int err) {
  switch (err) {
#define SY_ERR_NAME(name, code, msg) \
  case code:                         \
    return #name;
    SY_ERRORS(SY_ERR_NAME)
#undef SY_ERR_NAME
  }
  return "EUNKNOWN";
}
