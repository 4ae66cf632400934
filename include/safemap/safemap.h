/* SPDX-License-Identifier: BSD-2-Clause */
/**
 * @file safemap/safemap.h
 * @brief libsafemap umbrella header: version, shared vocabulary, every part.
 *
 * Include this one header, or the per-concern headers it pulls in:
 * - safemap/common.h: export macro, options helper, flags, errors;
 * - safemap/map.h: the concurrent map;
 * - safemap/event.h: the event record shared by every part of the library;
 * - safemap/bpf.h, safemap/layout.h: checked BPF map handles and the layouts
 *   they compare with BTF (the functions exist in builds with
 *   SAFEMAP_WITH_BPF, the default; the headers include no libbpf header);
 * - safemap/metrics.h: per-map counters and Prometheus text exposition.
 * - safemap/typed.h: SAFEMAP_DEFINE_TYPED(), compile-time typed wrappers.
 * - safemap/audit.h: the BPF audit probe (built with SAFEMAP_WITH_BPF).
 * - safemap/bpf_metrics.h: Prometheus text for BPF map handles and the audit.
 * - safemap/escape.h: outside strings escaped for text, JSON, Prometheus labels.
 */
#ifndef SAFEMAP_SAFEMAP_H
#define SAFEMAP_SAFEMAP_H

#include <safemap/common.h>
#include <safemap/event.h>
#include <safemap/map.h>
#include <safemap/layout.h>
#include <safemap/bpf.h>
#include <safemap/metrics.h>
#include <safemap/typed.h>
#include <safemap/audit.h>
#include <safemap/bpf_metrics.h>
#include <safemap/escape.h>

#endif /* SAFEMAP_SAFEMAP_H */
