// SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0)
/* The old agent: its maps get pinned (see pins.h). */
#include "pins.h"
