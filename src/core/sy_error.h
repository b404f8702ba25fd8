/* Error codes shared by every Suyuan module.
 *
 * Functions return SY_OK (0) or a negative SY_E* code. A failed call leaves
 * the state it was given unchanged. Long-lived objects keep a message buffer
 * with detail (e.g. sy_ledger_errmsg()).
 */
#ifndef SY_ERROR_H
#define SY_ERROR_H

#define SY_ERRORS(X)                                                         \
  X(OK, 0, "success")                                                        \
  X(ENOMEM, -1, "out of memory")                                             \
  X(EINVAL, -2, "invalid argument")                                          \
  X(EMALFORMED, -3, "malformed encoding")                                    \
  X(ETOOBIG, -4, "too large")                                                \
  X(ECRYPTO, -5, "cryptographic failure")                                    \
  X(EBADSIG, -6, "bad signature")                                            \
  X(ENOTFOUND, -7, "not found")                                              \
  X(EEXIST, -8, "already exists")                                            \
  X(EIO, -9, "input/output error")                                           \
  X(ESTORAGE, -10, "storage error")                                          \
  X(ECORRUPT, -11, "ledger corrupt")                                         \
  X(EWRONGCHAIN, -12, "wrong chain id")                                      \
  X(EPASSPHRASE, -13, "wrong passphrase or damaged key file")                \
  X(EBUSY, -14, "busy, try again")                                           \
  X(ENOSPC, -15, "no space left on the device")                              \
  X(ETIMEDOUT, -16, "timed out")                                             \
  X(ESTOPPED, -17, "stopped")                                                \
  X(EUNSUPPORTED, -18, "unsupported")                                        \
  X(EPERM, -19, "permission denied")                                         \
  X(EDIVERGED, -20, "results diverge from the chain")

typedef enum sy_err {
#define SY_ERR_ENUM(name, code, msg) SY_##name = (code),
  SY_ERRORS(SY_ERR_ENUM)
#undef SY_ERR_ENUM
} sy_err;

/* Human text for a code; never NULL, static storage. */
const char *sy_strerror(int err);
/* Stable machine name ("EBADSIG"); never NULL, static storage. */
const char *sy_err_name(int err);

#endif
