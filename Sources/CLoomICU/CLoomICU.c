#include "CLoomICU.h"
#include <unicode/ubrk.h>
#include <unicode/uchar.h>
#include <unicode/unorm2.h>
#include <unicode/utypes.h>
#include <unicode/uversion.h>

_Static_assert(LOOM_WORD_STATUS_NUMBER == UBRK_WORD_NUMBER, "word status mirrors ICU");
_Static_assert(LOOM_WORD_STATUS_LETTER == UBRK_WORD_LETTER, "word status mirrors ICU");
_Static_assert(LOOM_WORD_STATUS_KANA == UBRK_WORD_KANA, "word status mirrors ICU");
_Static_assert(LOOM_WORD_STATUS_IDEOGRAPH == UBRK_WORD_IDEO, "word status mirrors ICU");
_Static_assert(sizeof(UChar) == sizeof(uint16_t), "UChar is a UTF-16 code unit");

int32_t loom_icu_version_major(void) {
    UVersionInfo version;
    u_getVersion(version);
    return version[0];
}

static const UNormalizer2 *normalizer_for_form(int32_t form, UErrorCode *code) {
    switch (form) {
    case LOOM_NORMALIZATION_NFC: return unorm2_getNFCInstance(code);
    case LOOM_NORMALIZATION_NFD: return unorm2_getNFDInstance(code);
    case LOOM_NORMALIZATION_NFKC: return unorm2_getNFKCInstance(code);
    case LOOM_NORMALIZATION_NFKD: return unorm2_getNFKDInstance(code);
    case LOOM_NORMALIZATION_NFKC_CASEFOLD: return unorm2_getNFKCCasefoldInstance(code);
    default:
        *code = U_ILLEGAL_ARGUMENT_ERROR;
        return NULL;
    }
}

static void report(UErrorCode code, int32_t *status, int32_t *icuCode) {
    *icuCode = (int32_t)code;
    if (code == U_BUFFER_OVERFLOW_ERROR) {
        *status = LOOM_ICU_BUFFER_TOO_SMALL;
    } else if (U_FAILURE(code)) {
        *status = LOOM_ICU_FAILED;
    } else {
        *status = LOOM_ICU_OK;
    }
}

int32_t loom_icu_normalize(int32_t form, const uint16_t *source, int32_t sourceLength,
                           uint16_t *destination, int32_t capacity,
                           int32_t *status, int32_t *icuCode) {
    UErrorCode code = U_ZERO_ERROR;
    const UNormalizer2 *normalizer = normalizer_for_form(form, &code);
    int32_t length = 0;
    if (U_SUCCESS(code)) {
        length = unorm2_normalize(normalizer, (const UChar *)source, sourceLength,
                                  (UChar *)destination, capacity, &code);
    }
    report(code, status, icuCode);
    return length;
}

/*
 * Opening a break iterator compiles its rules, which costs far more than iterating a short
 * string, so each thread keeps one open iterator per kind and only swaps its text.
 */
static _Thread_local UBreakIterator *cached_iterators[2];

static UBreakIterator *iterator_for_kind(int32_t kind, UErrorCode *code) {
    if (kind != LOOM_BOUNDARY_WORD && kind != LOOM_BOUNDARY_SENTENCE) {
        *code = U_ILLEGAL_ARGUMENT_ERROR;
        return NULL;
    }
    if (cached_iterators[kind] == NULL) {
        UBreakIteratorType type = kind == LOOM_BOUNDARY_WORD ? UBRK_WORD : UBRK_SENTENCE;
        cached_iterators[kind] = ubrk_open(type, "", NULL, 0, code);
        if (U_FAILURE(*code)) {
            cached_iterators[kind] = NULL;
            return NULL;
        }
    }
    return cached_iterators[kind];
}

int32_t loom_icu_boundaries(int32_t kind, const uint16_t *text, int32_t length,
                            int32_t *boundaries, int32_t *ruleStatuses, int32_t capacity,
                            int32_t *status, int32_t *icuCode) {
    UErrorCode code = U_ZERO_ERROR;
    if (capacity < length + 1) {
        report(U_BUFFER_OVERFLOW_ERROR, status, icuCode);
        return -1;
    }
    UBreakIterator *iterator = iterator_for_kind(kind, &code);
    if (U_SUCCESS(code)) {
        ubrk_setText(iterator, (const UChar *)text, length, &code);
    }
    if (U_FAILURE(code)) {
        report(code, status, icuCode);
        return -1;
    }
    int32_t count = 0;
    boundaries[count] = 0;
    ruleStatuses[count] = 0;
    count += 1;
    for (int32_t offset = ubrk_next(iterator); offset != UBRK_DONE; offset = ubrk_next(iterator)) {
        if (count >= capacity) {
            break;
        }
        boundaries[count] = offset;
        ruleStatuses[count] = ubrk_getRuleStatus(iterator);
        count += 1;
    }
    /* The iterator must not keep a pointer to the caller's buffer beyond this call. */
    ubrk_setText(iterator, NULL, 0, &code);
    report(U_ZERO_ERROR, status, icuCode);
    return count;
}

const char *loom_icu_error_name(int32_t icuCode) {
    return u_errorName((UErrorCode)icuCode);
}

uint8_t loom_icu_scalar_class(int32_t codePoint) {
    if (codePoint < 0 || codePoint > 0x10FFFF || (codePoint >= 0xD800 && codePoint <= 0xDFFF)) {
        return LOOM_SCALAR_OTHER;
    }
    if (u_isUWhiteSpace(codePoint)) {
        return LOOM_SCALAR_WHITESPACE;
    }
    uint32_t mask = U_GET_GC_MASK(codePoint);
    if (mask & U_GC_L_MASK) {
        return LOOM_SCALAR_LETTER;
    }
    if (mask & U_GC_N_MASK) {
        return LOOM_SCALAR_NUMBER;
    }
    return LOOM_SCALAR_OTHER;
}

void loom_icu_scalar_classes(uint8_t *classes, int32_t count) {
    for (int32_t codePoint = 0; codePoint < count; codePoint++) {
        classes[codePoint] = loom_icu_scalar_class(codePoint);
    }
}
