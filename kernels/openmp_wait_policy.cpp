// OpenMP's threads wait passively (sleep) between parallel regions in every program that runs
// the fast CPU kernels, unless the user's environment names a policy.
//
// Why: libgomp's default keeps each idle thread spinning for a while after a region ends. The
// engine alternates its own OpenMP regions with OpenBLAS's thread pool, and a desktop machine
// always has other busy threads (the studio's own UI thread among them), so spinning threads
// take the cores the work needs. Measured on the project's 2-core VM under load (load average
// 12-15), bench_dit_forward_cpu: 11.6 and 5.7 s a forward spinning, 1.8 and 1.4 s passive
// (docs/benchmarks.md).
//
// How: libgomp reads OMP_WAIT_POLICY once, in its own constructor, before main(); and libc's
// start-up resets the environment to the one the program was started with, so a setenv() before
// it is lost. An executable's .preinit_array runs before both, with the original environment:
// when that names no policy, the program starts itself again with "OMP_WAIT_POLICY=passive"
// added (same pid, arguments and everything else; if the exec fails it goes on spinning). The
// file is an INTERFACE source of dit_kernels_cpu: each executable compiles its own copy (a static
// library's copy is never linked in).
#include <unistd.h>

#include <alloca.h>
#include <cstring>

namespace {

void prefer_passive_openmp_wait(int, char** argv, char** envp) {
    size_t n = 0;
    for (; envp[n]; ++n)
        if (std::strncmp(envp[n], "OMP_WAIT_POLICY=", 16) == 0) return;
    // No allocation yet: libc is not initialised before .preinit_array.
    auto** env = static_cast<char**>(alloca((n + 2) * sizeof(char*)));
    std::memcpy(env, envp, n * sizeof(char*));
    env[n] = const_cast<char*>("OMP_WAIT_POLICY=passive");
    env[n + 1] = nullptr;
    execve("/proc/self/exe", argv, env);
}

__attribute__((section(".preinit_array"), used)) void (*const dit_openmp_wait_policy)(int, char**, char**) =
    prefer_passive_openmp_wait;

}  // namespace
