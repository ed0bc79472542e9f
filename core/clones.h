/* clones.h: KF_TARGET_CLONES, GCC function multiversioning for a few hot loops.
 *
 * target_clones compiles a function once per instruction set; an ifunc resolver
 * picks one when the dynamic loader relocates the binary, before any
 * constructor runs. Under ThreadSanitizer the compiler instruments that
 * resolver too (__tsan_func_entry), and the TSan runtime is not initialised
 * yet: the binary dies with SIGSEGV before main (GCC 12; clang until its
 * multiversion resolvers got disable_sanitizer_instrumentation, llvm-project
 * #167516). So a TSan build keeps only the default version: same code, narrower
 * vectors. ASan has no such problem and keeps the clones.
 *
 * The clones name x86 instruction sets and need ifunc, an ELF feature: on any
 * other CPU (ARM64), or on macOS (Mach-O), the macro is empty and the function
 * is compiled once, for the target's own baseline.
 *
 * Put it on static functions only: clang 14 emits a multiversioned function
 * only in a file that calls it, so an extern one called from elsewhere is
 * undefined at link (kf_nn_normalize_mean calls a static one). */
#ifndef KF_CLONES_H
#define KF_CLONES_H

#if defined(__SANITIZE_THREAD__)	/* GCC */
#define KF_TSAN 1
#elif defined(__has_feature)		/* clang */
#if __has_feature(thread_sanitizer)
#define KF_TSAN 1
#endif
#endif

#if defined(KF_TSAN) || !(defined(__x86_64__) && defined(__GNUC__) && defined(__ELF__))
#define KF_TARGET_CLONES
#else
#define KF_TARGET_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#endif

#endif
