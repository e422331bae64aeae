#ifndef CLOOM_ICU_H
#define CLOOM_ICU_H
#include <stdint.h>

/*
 * Loom's own functions over ICU. No ICU type crosses this header, because importing the
 * system ICU headers into Swift beside Foundation (which carries its own ICU) fails to compile.
 * Text is passed as UTF-16 code units; offsets are UTF-16 offsets.
 */

/* Status values returned through the `status` out-parameters. */
#define LOOM_ICU_OK 0
#define LOOM_ICU_BUFFER_TOO_SMALL 1
#define LOOM_ICU_FAILED 2

/* Normalization forms accepted by loom_icu_normalize. */
#define LOOM_NORMALIZATION_NFC 0
#define LOOM_NORMALIZATION_NFD 1
#define LOOM_NORMALIZATION_NFKC 2
#define LOOM_NORMALIZATION_NFKD 3
#define LOOM_NORMALIZATION_NFKC_CASEFOLD 4

/* Boundary kinds accepted by loom_icu_boundaries. */
#define LOOM_BOUNDARY_WORD 0
#define LOOM_BOUNDARY_SENTENCE 1

/* Word rule-status ranges (the same values ICU documents for UWordBreak). */
#define LOOM_WORD_STATUS_NONE 0
#define LOOM_WORD_STATUS_NUMBER 100
#define LOOM_WORD_STATUS_LETTER 200
#define LOOM_WORD_STATUS_KANA 300
#define LOOM_WORD_STATUS_IDEOGRAPH 400
#define LOOM_WORD_STATUS_LIMIT 500

int32_t loom_icu_version_major(void);

/*
 * Normalizes `source` into `destination`. Returns the length of the normalized text. When
 * `capacity` is too small, *status is LOOM_ICU_BUFFER_TOO_SMALL and the return value is the
 * capacity needed. On any other failure *status is LOOM_ICU_FAILED and *icuCode holds ICU's code.
 */
int32_t loom_icu_normalize(int32_t form, const uint16_t *source, int32_t sourceLength,
                           uint16_t *destination, int32_t capacity,
                           int32_t *status, int32_t *icuCode);

/*
 * Finds the boundaries of `kind` in `text` with the root locale's rules. Writes every boundary
 * offset, starting with 0 and ending with `length`, into `boundaries`, and the rule status of the
 * segment that ends at boundaries[i] into ruleStatuses[i] (ruleStatuses[0] is 0). A capacity of
 * length + 1 always suffices. Returns the number of boundaries written; on failure returns -1 and
 * sets *status and *icuCode as loom_icu_normalize does.
 */
int32_t loom_icu_boundaries(int32_t kind, const uint16_t *text, int32_t length,
                            int32_t *boundaries, int32_t *ruleStatuses, int32_t capacity,
                            int32_t *status, int32_t *icuCode);

/* Character classes of GPT-2's pre-tokenizer pattern: \p{L}, \p{N}, \s (White_Space), other. */
#define LOOM_SCALAR_LETTER 0
#define LOOM_SCALAR_NUMBER 1
#define LOOM_SCALAR_WHITESPACE 2
#define LOOM_SCALAR_OTHER 3

/* The class of one code point (surrogates and values past U+10FFFF are "other"). */
uint8_t loom_icu_scalar_class(int32_t codePoint);

/* classes[c] = loom_icu_scalar_class(c) for every c in 0 ..< count. */
void loom_icu_scalar_classes(uint8_t *classes, int32_t count);

/* ICU's name for an error code, for error messages. */
const char *loom_icu_error_name(int32_t icuCode);

#endif
