#ifndef CLOOM_ICU_H
#define CLOOM_ICU_H
#include <stdint.h>
/* Loom's own functions over ICU; no ICU type crosses this header. */
int32_t loom_icu_version_major(void);
#endif
