/*
 * throttle.h - back-off for failed logins, per key ("user:zhangsan", "ip:1.2.3.4").
 *
 * A key may fail `free` times; the failure that reaches `free` blocks the key for
 * 30 s, and each further failure doubles that (30 s x 2^(failures-free)), at most
 * 15 minutes. So with free = 5, the 6th attempt waits 30 s even with the right
 * password. A key whose last failure is older than an hour starts afresh. State
 * is in memory: a restart forgives, the audit log does not forget.
 */
#ifndef TK_THROTTLE_H
#define TK_THROTTLE_H

#include <stdint.h>

typedef struct tk_throttle tk_throttle;

tk_throttle *tk_throttle_new(void);
void tk_throttle_free(tk_throttle *t);
/* 0 when the key may try now, else milliseconds to wait. */
int64_t tk_throttle_wait(tk_throttle *t, const char *key, int64_t now);
void tk_throttle_fail(tk_throttle *t, const char *key, int free_failures, int64_t now);
void tk_throttle_forget(tk_throttle *t, const char *key);

#endif
