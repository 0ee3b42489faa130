#include "gov/throttle.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"

#define NBUCKETS        4096
#define FORGET_AFTER_MS (3600 * 1000LL)
#define BASE_DELAY_MS   30000LL
#define MAX_DELAY_MS    (15 * 60 * 1000LL)

typedef struct entry {
    char *key;
    int failures;
    int64_t last_failure;
    int64_t blocked_until;
    struct entry *next;
} entry;

struct tk_throttle {
    pthread_mutex_t lock;
    entry *buckets[NBUCKETS];
    int64_t last_prune;
};

static uint64_t hash_key(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

tk_throttle *tk_throttle_new(void)
{
    tk_throttle *t = tk_xcalloc(1, sizeof *t);
    pthread_mutex_init(&t->lock, NULL);
    return t;
}

void tk_throttle_free(tk_throttle *t)
{
    if (!t)
        return;
    for (int i = 0; i < NBUCKETS; i++)
        for (entry *e = t->buckets[i], *next; e; e = next) {
            next = e->next;
            free(e->key);
            free(e);
        }
    pthread_mutex_destroy(&t->lock);
    free(t);
}

/* Drops entries nobody has failed with for an hour; at most once a minute. */
static void prune(tk_throttle *t, int64_t now)
{
    if (now - t->last_prune < 60000)
        return;
    t->last_prune = now;
    for (int i = 0; i < NBUCKETS; i++) {
        entry **pp = &t->buckets[i];
        while (*pp) {
            entry *e = *pp;
            if (now - e->last_failure > FORGET_AFTER_MS && now >= e->blocked_until) {
                *pp = e->next;
                free(e->key);
                free(e);
            } else {
                pp = &e->next;
            }
        }
    }
}

static entry *find(tk_throttle *t, const char *key, bool create)
{
    entry **head = &t->buckets[hash_key(key) % NBUCKETS];
    for (entry *e = *head; e; e = e->next)
        if (strcmp(e->key, key) == 0)
            return e;
    if (!create)
        return NULL;
    entry *e = tk_xcalloc(1, sizeof *e);
    e->key = tk_xstrdup(key);
    e->next = *head;
    *head = e;
    return e;
}

int64_t tk_throttle_wait(tk_throttle *t, const char *key, int64_t now)
{
    pthread_mutex_lock(&t->lock);
    entry *e = find(t, key, false);
    int64_t wait = e && e->blocked_until > now ? e->blocked_until - now : 0;
    pthread_mutex_unlock(&t->lock);
    return wait;
}

void tk_throttle_fail(tk_throttle *t, const char *key, int free_failures, int64_t now)
{
    pthread_mutex_lock(&t->lock);
    prune(t, now);
    entry *e = find(t, key, true);
    if (now - e->last_failure > FORGET_AFTER_MS)
        e->failures = 0;
    e->failures++;
    e->last_failure = now;
    /* The failure that uses up the free ones already blocks the next attempt. */
    int excess = e->failures - free_failures + 1;
    if (excess > 0) {
        int64_t delay = BASE_DELAY_MS;
        for (int i = 1; i < excess && delay < MAX_DELAY_MS; i++)
            delay *= 2;
        if (delay > MAX_DELAY_MS)
            delay = MAX_DELAY_MS;
        e->blocked_until = now + delay;
    }
    pthread_mutex_unlock(&t->lock);
}

void tk_throttle_forget(tk_throttle *t, const char *key)
{
    pthread_mutex_lock(&t->lock);
    entry *e = find(t, key, false);
    if (e) {
        e->failures = 0;
        e->blocked_until = 0;
    }
    pthread_mutex_unlock(&t->lock);
}
