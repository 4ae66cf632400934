// SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0)
/* The new agent: a bigger bound, libbpf cannot reuse the pinned map (see pins.h). */
#define PINS_MAX_ENTRIES 4096
#include "pins.h"
