#include "core/id.h"

#include <sodium.h>
#include <stdatomic.h>
#include <time.h>

#include "core/str.h"

#define ID_EPOCH_MS 1704067200000LL /* 2024-01-01T00:00:00Z */

static atomic_llong last_id;

int64_t tk_id_next(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 - ID_EPOCH_MS;
    int64_t candidate = ms << 16;
    long long prev = atomic_load(&last_id);
    for (;;) {
        int64_t next = candidate > prev ? candidate : prev + 1;
        if (atomic_compare_exchange_weak(&last_id, &prev, next))
            return next;
    }
}

void tk_random_hex(size_t n, char *out)
{
    unsigned char bytes[64];
    if (n > sizeof bytes)
        n = sizeof bytes;
    randombytes_buf(bytes, n);
    tk_hex(bytes, n, out);
    sodium_memzero(bytes, sizeof bytes);
}
