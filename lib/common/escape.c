/* SPDX-License-Identifier: BSD-2-Clause */
/* Outside strings escaped for one output kind each (safemap/escape.h):
 * one UTF-8 decoder, three small emitters. */
#include <stdio.h>

#include <safemap/escape.h>

#include "internal.h"

enum kind { K_TEXT, K_JSON, K_PROM };

struct out {
	char *buf;
	size_t len, pos;  /* pos: bytes the whole output needs so far */
	size_t written;   /* bytes written: whole units, always < len */
	bool cut;         /* a unit did not fit: write nothing more */
};

/* Append one unit (an escape or a whole UTF-8 sequence), all or nothing. */
static void put(struct out *o, const char *p, size_t n)
{
	if (!o->cut && o->pos + n < o->len) {
		memcpy(o->buf + o->pos, p, n);
		o->written = o->pos + n;
	} else {
		o->cut = true;
	}
	o->pos += n;
}

static void put_hex(struct out *o, const char *prefix, size_t plen, unsigned char c)
{
	static const char hex[] = "0123456789abcdef";
	char u[8];

	memcpy(u, prefix, plen);
	u[plen] = hex[c >> 4];
	u[plen + 1] = hex[c & 15];
	put(o, u, plen + 2);
}

/* Length of the valid UTF-8 sequence at @p s (@p n bytes readable, none of
 * them NUL past the first), 0 when it is not one; *cp its code point. */
static size_t utf8_seq(const unsigned char *s, size_t n, uint32_t *cp)
{
	unsigned char c = s[0];
	size_t k, i;
	uint32_t v;
	unsigned char lo = 0x80, hi = 0xbf; /* range of the second byte */

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		k = 2;
		v = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		k = 3;
		v = c & 0x0f;
		if (c == 0xe0)
			lo = 0xa0; /* overlong */
		else if (c == 0xed)
			hi = 0x9f; /* surrogates */
	} else if (c >= 0xf0 && c <= 0xf4) {
		k = 4;
		v = c & 0x07;
		if (c == 0xf0)
			lo = 0x90; /* overlong */
		else if (c == 0xf4)
			hi = 0x8f; /* above U+10FFFF */
	} else {
		return 0; /* continuation byte, C0/C1 (overlong), F5..FF */
	}
	if (n < k)
		return 0; /* truncated */
	if (s[1] < lo || s[1] > hi)
		return 0;
	v = (v << 6) | (s[1] & 0x3f);
	for (i = 2; i < k; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		v = (v << 6) | (s[i] & 0x3f);
	}
	*cp = v;
	return k;
}

static bool is_control(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f);
}

static void emit(struct out *o, enum kind kind, const unsigned char *p, size_t k, uint32_t cp)
{
	size_t i;

	switch (kind) {
	case K_TEXT:
		if (!is_control(cp)) {
			put(o, (const char *)p, k);
			return;
		}
		for (i = 0; i < k; i++)
			put_hex(o, "\\x", 2, p[i]);
		return;
	case K_JSON:
		if (cp == '"' || cp == '\\') {
			char e[2] = { '\\', (char)cp };

			put(o, e, 2);
		} else if (is_control(cp)) {
			put_hex(o, "\\u00", 4, (unsigned char)cp);
		} else if (cp == 0x2028 || cp == 0x2029) {
			put(o, cp == 0x2028 ? "\\u2028" : "\\u2029", 6);
		} else {
			put(o, (const char *)p, k);
		}
		return;
	case K_PROM:
		if (cp == '"' || cp == '\\') {
			char e[2] = { '\\', (char)cp };

			put(o, e, 2);
		} else if (cp == '\n') {
			put(o, "\\n", 2);
		} else if (is_control(cp)) {
			for (i = 0; i < k; i++)
				put_hex(o, "\\\\x", 3, p[i]);
		} else {
			put(o, (const char *)p, k);
		}
		return;
	}
}

static void emit_invalid(struct out *o, enum kind kind, unsigned char c)
{
	if (kind == K_TEXT)
		put_hex(o, "\\x", 2, c);
	else
		put_hex(o, "\\\\x", 3, c); /* JSON and Prometheus: the value reads \xNN */
}

static size_t escape(enum kind kind, char *buf, size_t len, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	struct out o = { .buf = buf, .len = len };
	uint32_t cp;
	size_t k;

	n = s ? strnlen(s, n) : 0;
	while (n) {
		k = utf8_seq(p, n, &cp);
		if (k) {
			emit(&o, kind, p, k, cp);
		} else {
			emit_invalid(&o, kind, *p);
			k = 1;
		}
		p += k;
		n -= k;
	}
	if (len)
		buf[o.written] = '\0';
	return o.pos;
}

size_t safemap_escape_text(char *buf, size_t len, const char *s, size_t n)
{
	return escape(K_TEXT, buf, len, s, n);
}

size_t safemap_escape_json(char *buf, size_t len, const char *s, size_t n)
{
	return escape(K_JSON, buf, len, s, n);
}

size_t safemap_escape_prom(char *buf, size_t len, const char *s, size_t n)
{
	return escape(K_PROM, buf, len, s, n);
}
