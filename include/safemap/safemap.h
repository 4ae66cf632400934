/* SPDX-License-Identifier: BSD-2-Clause */
/**
 * @file safemap/safemap.h
 * @brief libsafemap umbrella header: version, shared vocabulary, every part.
 *
 * Include this one header, or the per-concern headers it pulls in:
 * - safemap/common.h: export macro, options helper, flags, errors;
 * - safemap/map.h: the concurrent map;
 * - safemap/event.h: the event record shared by every part of the library;
 * - safemap/audit.h: the BPF audit probe (built with SAFEMAP_WITH_BPF).
 */
#ifndef SAFEMAP_SAFEMAP_H
#define SAFEMAP_SAFEMAP_H

#include <safemap/common.h>
#include <safemap/event.h>
#include <safemap/map.h>
#include <safemap/audit.h>

#endif /* SAFEMAP_SAFEMAP_H */
