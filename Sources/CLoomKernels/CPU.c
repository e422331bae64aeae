#include "VectorMath.h"

static int avx2_known = -1;

int loom_has_avx2(void) {
    if (avx2_known < 0) avx2_known = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    return avx2_known;
}
