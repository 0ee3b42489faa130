/*
 * walbuf.h - a VFS that writes a commit's log frames in one call (walbuf.c).
 */
#ifndef TK_STORE_WALBUF_H
#define TK_STORE_WALBUF_H

#include <sqlite3.h>

#define TK_WALBUF_VFS "tiaokuai-walbuf"

/* Registers the VFS (not as the default); once, before connections use it. */
void tk_walbuf_register(void);

#endif
