/* sample_cost: CPU time of one full guest-view reading (every group, with
 * sock_diag) and of one sample (two readings' rates + metrics + JSON), by a
 * repeat loop, keeping its open files across readings as the agent's
 * sampler does (kfs_cache). Usage: sample_cost [N] [ROOT] */
#include "gv_json.h"
#include "gview.h"
#include "kfs.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>

static double cpu_us(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e6 +
	       ru.ru_utime.tv_usec + ru.ru_stime.tv_usec;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 2000;
	const char *root = argc > 2 ? argv[2] : "/";
	if (n < 1)
		n = 1;
	struct gv_reading prev, cur;
	struct kfs_cache *kc = kfs_cache_new();
	if (!kc)
		return 1;
	gv_read_cached(kc, root, GV_READ_NETLINK, &prev);
	double t0 = cpu_us();
	for (int i = 0; i < n; i++) {
		gv_read_cached(kc, root, GV_READ_NETLINK, &cur);
		cur.mono_ns = prev.mono_ns + 1000000000ull;
		struct gv_sample s;
		if (gv_sample_compute(&prev, &cur, &s) == 0) {
			struct json_object *o = gv_sample_to_json(&s);
			json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
			json_object_put(o);
			gv_sample_free(&s);
		}
		gv_reading_free(&prev);
		prev = cur;
	}
	double per = (cpu_us() - t0) / n;
	gv_reading_free(&prev);
	kfs_cache_free(kc);
	printf("sample_cost: %d samples, %.1f us CPU per sample (reading + rates + JSON)\n", n, per);
	return 0;
}
