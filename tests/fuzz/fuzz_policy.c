/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fuzz_policy: a policy file's text through pol_load_string. Whatever it
 * is, the loader returns a set or NULL with at least one diagnostic, and
 * every diagnostic is a "name:line:col: message" line. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	struct pol_diag d;
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = 0;
	pol_diag_init(&d);
	struct pol_set *s = pol_load_string("fuzz.yaml", text, &d);
	if (!s && d.n == 0) {
		fprintf(stderr, "policy refused without a message\n");
		abort();
	}
	if (s && d.n) {
		fprintf(stderr, "policy accepted with messages\n");
		abort();
	}
	for (size_t i = 0; i < d.n; i++)
		if (strncmp(d.msgs[i], "fuzz.yaml:", 10) || strchr(d.msgs[i], '\n')) {
			fprintf(stderr, "bad diagnostic: '%s'\n", d.msgs[i]);
			abort();
		}
	if (s) {
		for (size_t i = 0; i < s->n_rules; i++)
			if (pol_set_rule(s, s->rules[i].name) == NULL)
				abort();
		pol_set_free(s);
	}
	pol_diag_free(&d);
	free(text);
	return 0;
}
