/* sample_cost: CPU time of one full guest-view reading (every group, with
 * sock_diag) and of one sample (two readings' rates + metrics + JSON), by a
 * repeat loop, keeping its open files and text buffer across readings as
 * the agent's sampler does. Prints user+sys per sample, then each apart.
 * Usage: sample_cost [N] [ROOT] */
#include "gv_emit.h"
#include "gview.h"
#include "kfs.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>

static void cpu_us(double *user, double *sys)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	*user = ru.ru_utime.tv_sec * 1e6 + ru.ru_utime.tv_usec;
	*sys = ru.ru_stime.tv_sec * 1e6 + ru.ru_stime.tv_usec;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 2000;
	const char *root = argc > 2 ? argv[2] : "/";
	if (n < 1)
		n = 1;
	struct gv_reading prev, cur;
	struct gv_text text = { 0 };
	struct kfs_cache *kc = kfs_cache_new();
	if (!kc)
		return 1;
	gv_read_cached(kc, root, GV_READ_NETLINK, &prev);
	double u0, s0, u1, s1;
	cpu_us(&u0, &s0);
	for (int i = 0; i < n; i++) {
		gv_read_cached(kc, root, GV_READ_NETLINK, &cur);
		cur.mono_ns = prev.mono_ns + 1000000000ull;
		struct gv_sample s;
		if (gv_sample_compute(&prev, &cur, &s) == 0) {
			gv_emit_sample(&s, &text);
			gv_sample_free(&s);
		}
		gv_reading_free(&prev);
		prev = cur;
	}
	cpu_us(&u1, &s1);
	gv_reading_free(&prev);
	gv_text_free(&text);
	kfs_cache_free(kc);
	printf("sample_cost: %d samples, %.1f us CPU per sample (user %.1f us + sys %.1f us; "
	       "reading + rates + JSON)\n", n, (u1 - u0 + s1 - s0) / n, (u1 - u0) / n, (s1 - s0) / n);
	return 0;
}
