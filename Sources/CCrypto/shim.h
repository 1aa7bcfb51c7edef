#ifndef SWITCHBOARD_CCRYPTO_SHIM_H
#define SWITCHBOARD_CCRYPTO_SHIM_H
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <openssl/md5.h>

/* EVP_* digest getters are functions already; these keep call sites short and typed. */
static inline const EVP_MD *sb_evp_md5(void)    { return EVP_md5(); }
static inline const EVP_MD *sb_evp_sha1(void)   { return EVP_sha1(); }
static inline const EVP_MD *sb_evp_sha256(void) { return EVP_sha256(); }
static inline const EVP_MD *sb_evp_sha512(void) { return EVP_sha512(); }
#endif
