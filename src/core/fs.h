/*
 * fs.h - paths and durability on disk: the folder of a path, syncing a file or a
 * folder's entries.
 */
#ifndef TK_FS_H
#define TK_FS_H

#include <stdbool.h>
#include <stddef.h>

/* The folder holding path: up to its last '/', "/" for an entry of the root, "."
 * for a bare name. */
void tk_path_parent(const char *path, char *out, size_t size);
/* fsync of a file, or of a folder's entries (a rename, a new name in it) when folder
 * is true. False on failure, with errno set. */
bool tk_fsync_path(const char *path, bool folder);

#endif
