/* SPDX-License-Identifier: GPL-2.0-or-later */
/* textwrap: text for a terminal at most TEXT_WIDTH columns wide, wrapped at
 * word boundaries under a hanging indent. */
#ifndef VTUNE_TEXTWRAP_H
#define VTUNE_TEXTWRAP_H

#include <stdio.h>

#define TEXT_WIDTH 100

/* Print first padded to indent columns (NULL: nothing, the first line
 * starts at column 0), then text wrapped at word
 * boundaries so that no line passes TEXT_WIDTH (a single word longer than
 * the room left stands alone on its line), the following lines indented
 * by indent; then a newline. */
void text_wrap(FILE *f, int indent, const char *first, const char *text);

#endif
