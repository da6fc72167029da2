/* SPDX-License-Identifier: GPL-2.0-or-later */
/* gv_print: the guest view as a readable table for people. */
#ifndef VTUNE_GV_PRINT_H
#define VTUNE_GV_PRINT_H

#include <stdio.h>

#include "gview.h"

/* Print every group of a sample; failed groups show their error. */
void gv_sample_print(FILE *f, const struct gv_sample *s);

#endif
