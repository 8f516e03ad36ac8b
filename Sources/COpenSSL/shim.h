// Debian's OpenSSL libcrypto (libssl-dev): SHA-256 of the server's API keys.
#include <openssl/evp.h>
