/* SPDX-License-Identifier: BSD-2-Clause */
/**
 * @file safemap/escape.h
 * @brief Outside strings made safe for one kind of output each.
 *
 * A process chooses its own command name, a BPF object file its BTF names,
 * whoever created a map its name, whoever pinned it its path: such bytes
 * are data, never terminal control or broken JSON. Every output of the
 * library and of safemapctl passes them through the helper of its kind:
 *
 * | helper | for | what it escapes | the rest |
 * |---|---|---|---|
 * | safemap_escape_text() | a terminal, a log line | C0 controls, DEL, C1 controls (U+0080..U+009F) and every byte that is not part of valid UTF-8, as `\xNN` per byte | copied |
 * | safemap_escape_json() | inside a JSON string literal | `"` and `\` as `\"` `\\`; C0, DEL, C1, U+2028, U+2029 as `\u00NN`/`\u2028`; a byte that is not valid UTF-8 as the six characters `\\xNN` (it decodes to the text `\xNN`) | copied: the output is always valid UTF-8 |
 * | safemap_escape_prom() | a Prometheus label value (text format 0.0.4) | `\` `"` newline as `\\` `\"` `\n`; other controls and invalid bytes as `\\xNN` (the value then reads `\xNN`) | copied: the output is always valid UTF-8 |
 *
 * Valid UTF-8 here is RFC 3629's: no overlong forms, no surrogates
 * (U+D800..U+DFFF), nothing above U+10FFFF, no truncated sequence. A
 * sequence that breaks these rules is escaped one byte at a time, and
 * decoding starts again at the next byte.
 *
 * The text escape leaves a backslash as it is (as `ps` does), so it is
 * idempotent: escaping text that is already escaped changes nothing, and
 * detail messages built from escaped names may be escaped again at output.
 * The price: a process literally named `\x1b` reads like one named ESC.
 *
 * All three have snprintf's contract: they write at most @p len bytes
 * including a terminating NUL (when @p len > 0), never cut an escape or a
 * UTF-8 sequence in half, and return the length the whole escaped string
 * needs (excluding the NUL): the output was cut if the result >= @p len.
 * They read @p s up to its first NUL or @p n bytes, whichever comes first
 * (pass SAFEMAP_ESCAPE_CSTR for a C string, sizeof(comm) for a fixed-size
 * field). They take no lock and keep no state: safe from any thread.
 */
#ifndef SAFEMAP_ESCAPE_H
#define SAFEMAP_ESCAPE_H

#include <stddef.h>
#include <stdint.h>

#include <safemap/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Pass as @c n: read @c s up to its NUL. */
#define SAFEMAP_ESCAPE_CSTR SIZE_MAX

/**
 * @brief @p s for a terminal or a text log: controls, DEL, C1 and invalid
 * UTF-8 as `\xNN`.
 * @return the length the whole escaped string needs, excluding the NUL.
 */
SAFEMAP_API size_t safemap_escape_text(char *buf, size_t len, const char *s, size_t n);

/**
 * @brief @p s as the inside of a JSON string literal (no quotes added):
 * always valid UTF-8, controls as `\u00NN`, invalid bytes as `\\xNN`.
 * @return the length the whole escaped string needs, excluding the NUL.
 */
SAFEMAP_API size_t safemap_escape_json(char *buf, size_t len, const char *s, size_t n);

/**
 * @brief @p s as a Prometheus label value (no quotes added): always valid
 * UTF-8, `\\`, `\"`, `\n`, other controls and invalid bytes as `\\xNN`.
 * @return the length the whole escaped string needs, excluding the NUL.
 */
SAFEMAP_API size_t safemap_escape_prom(char *buf, size_t len, const char *s, size_t n);

#ifdef __cplusplus
}
#endif

#endif /* SAFEMAP_ESCAPE_H */
