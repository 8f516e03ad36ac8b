// What every C kernel file shares: the target_clones attribute (with its sanitizer guard) and
// Cephes' logf. Private to Sources/CKernels; each including file also turns contraction off
// (`#pragma clang fp contract(off)`) before including it, so the log below is the same bits on
// every clone and equals Swift's VectorMath.log.
#ifndef SPEAKERID_KERNEL_COMMON_H
#define SPEAKERID_KERNEL_COMMON_H
#include <stdint.h>
#include <string.h>

#if defined(__has_feature)
#if __has_feature(thread_sanitizer) || __has_feature(address_sanitizer)
#define SPK_SANITIZED 1
#endif
#endif
// ifunc resolvers run before a sanitizer's runtime is up, so sanitized builds use one
// baseline version of each kernel.
#if defined(__x86_64__) && defined(__linux__) && !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__) && !defined(SPK_SANITIZED)
#define SPK_CLONES __attribute__((target_clones("avx512f", "arch=haswell", "default")))
#else
#define SPK_CLONES
#endif

// Cephes' logf as VectorMath.log in Swift (same operations, same order, no contraction).
static inline float spk_log(float v) {
    uint32_t bits;
    memcpy(&bits, &v, 4);
    float e = (float)((int32_t)((bits >> 23) & 0xFF) - 126);
    uint32_t mb = (bits & 0x807FFFFFu) | 0x3F000000u;
    float x;
    memcpy(&x, &mb, 4);
    int small = x < 0.70710678f;
    e = small ? e - 1 : e;
    x = small ? x + x - 1 : x - 1;
    float z = x * x;
    float y = 7.0376836292e-2f;
    y = y * x - 1.1514610310e-1f;
    y = y * x + 1.1676998740e-1f;
    y = y * x - 1.2420140846e-1f;
    y = y * x + 1.4249322787e-1f;
    y = y * x - 1.6668057665e-1f;
    y = y * x + 2.0000714765e-1f;
    y = y * x - 2.4999993993e-1f;
    y = y * x + 3.3333331174e-1f;
    y = y * x * z;
    y += -2.12194440e-4f * e;
    y += -0.5f * z;
    return x + y + 0.693359375f * e;
}
#endif
