/*
 * test_fs.c - the folder of a path, and syncing files and folders.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/fs.h"

Test(fs, parent_of_a_path)
{
    const char *cases[][2] = {{"/srv/tk/city.db", "/srv/tk"},
                              {"var/tiaokuai.db", "var"},
                              {"city.db", "."},
                              {"/city.db", "/"},
                              {"a/b/", "a/b"}};
    char out[64];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tk_path_parent(cases[i][0], out, sizeof out);
        cr_assert_str_eq(out, cases[i][1], "parent of %s", cases[i][0]);
    }
}

Test(fs, syncs_files_and_folders_and_says_when_it_cannot)
{
    char dir[] = "/tmp/tk-fs-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char file[64];
    snprintf(file, sizeof file, "%s/f", dir);
    FILE *f = fopen(file, "w");
    cr_assert_not_null(f);
    fputs("x", f);
    fclose(f);
    cr_assert(tk_fsync_path(file, false));
    cr_assert(tk_fsync_path(dir, true));
    cr_assert_not(tk_fsync_path(file, true), "a file is not a folder");
    cr_assert_eq(errno, ENOTDIR);
    unlink(file);
    cr_assert_not(tk_fsync_path(file, false));
    cr_assert_eq(errno, ENOENT);
    rmdir(dir);
}
