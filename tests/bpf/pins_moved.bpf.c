// SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0)
/* The new agent: the value's fields calls and comm swapped (see pins.h). */
#define PINS_VALUE_MOVED
#include "pins.h"
