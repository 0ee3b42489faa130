/*
 * test_attachments.c - the multipart/form-data parser (well-formed forms, and the
 * malformed ones it must refuse without reading past the body), content sniffing,
 * and the content-addressed store (path, dedup, no temporaries left behind, a
 * checked copy into another folder).
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gov/attachments.h"
#include "http/multipart.h"

/* ---- multipart ---- */

static tk_status parse(const char *body, size_t len, const char *boundary, tk_multipart_part *parts,
                       int max, int *n, tk_error *err)
{
    /* A heap copy of exactly len bytes, so ASan catches any read past the body. */
    char *copy = malloc(len ? len : 1);
    memcpy(copy, body, len);
    tk_status st =
        tk_multipart_parse((tk_slice){copy, len}, tk_slice_of(boundary), parts, max, n, err);
    /* Slices point into copy: compare before freeing by re-basing them onto body. */
    for (int i = 0; st == TK_OK && i < *n; i++) {
        tk_slice *s[] = {&parts[i].name, &parts[i].filename, &parts[i].content_type,
                         &parts[i].data};
        for (size_t k = 0; k < 4; k++)
            if (s[k]->len)
                s[k]->ptr = body + (s[k]->ptr - copy);
    }
    free(copy);
    return st;
}

#define FORM                                                                                       \
    "preamble to ignore\r\n"                                                                       \
    "--XyZ\r\n"                                                                                    \
    "Content-Disposition: form-data; name=\"kind\"\r\n"                                            \
    "\r\n"                                                                                         \
    "before\r\n"                                                                                   \
    "--XyZ\r\n"                                                                                    \
    "content-disposition: form-data; name=\"file\"; filename=\"a;b.jpg\"\r\n"                      \
    "Content-Type: image/jpeg\r\n"                                                                 \
    "\r\n"                                                                                         \
    "\xFF\xD8\xFF\r\n--Xy not the end\r\n"                                                         \
    "--XyZ--\r\n"                                                                                  \
    "epilogue"

Test(multipart, boundary_from_content_type)
{
    tk_slice b;
    tk_error err;
    cr_assert_eq(tk_multipart_boundary("multipart/form-data; boundary=abc", &b, &err), TK_OK);
    cr_assert(tk_slice_eq(b, "abc"));
    cr_assert_eq(
        tk_multipart_boundary("Multipart/Form-Data;charset=utf-8; BOUNDARY=\"a b:c\"", &b, &err),
        TK_OK);
    cr_assert(tk_slice_eq(b, "a b:c"));
    cr_assert_eq(tk_multipart_boundary("image/jpeg", &b, &err), TK_EMEDIA);
    cr_assert_str_eq(err.code, "unsupported_media_type");
    cr_assert_eq(tk_multipart_boundary(NULL, &b, &err), TK_EMEDIA);
    cr_assert_eq(tk_multipart_boundary("multipart/form-data", &b, &err), TK_EINVAL);
    cr_assert_str_eq(err.code, "bad_multipart");
    cr_assert_eq(tk_multipart_boundary("multipart/form-data; boundary=", &b, &err), TK_EINVAL);
    cr_assert_eq(tk_multipart_boundary("multipart/form-data; boundary=\"abc", &b, &err), TK_EINVAL);
    cr_assert_eq(tk_multipart_boundary("multipart/form-data; boundary=a<b", &b, &err), TK_EINVAL);
    char longer[120];
    snprintf(longer, sizeof longer, "multipart/form-data; boundary=%071d", 0);
    cr_assert_eq(tk_multipart_boundary(longer, &b, &err), TK_EINVAL);
}

Test(multipart, parses_fields_and_files)
{
    tk_multipart_part parts[4];
    int n;
    tk_error err;
    cr_assert_eq(parse(FORM, sizeof FORM - 1, "XyZ", parts, 4, &n, &err), TK_OK, "%s", err.detail);
    cr_assert_eq(n, 2);
    cr_assert(tk_slice_eq(parts[0].name, "kind"));
    cr_assert_not(parts[0].has_filename);
    cr_assert(tk_slice_eq(parts[0].data, "before"));
    cr_assert(tk_slice_eq(parts[1].name, "file"));
    cr_assert(parts[1].has_filename);
    cr_assert(tk_slice_eq(parts[1].filename, "a;b.jpg"));
    cr_assert(tk_slice_eq(parts[1].content_type, "image/jpeg"));
    cr_assert(tk_slice_eq(parts[1].data, "\xFF\xD8\xFF\r\n--Xy not the end"));
}

Test(multipart, body_may_open_with_the_delimiter_and_parts_may_be_empty)
{
    static const char body[] = "--b\r\nContent-Disposition: form-data; name=x\r\n\r\n\r\n--b--";
    tk_multipart_part parts[2];
    int n;
    tk_error err;
    cr_assert_eq(parse(body, sizeof body - 1, "b", parts, 2, &n, &err), TK_OK, "%s", err.detail);
    cr_assert_eq(n, 1);
    cr_assert(tk_slice_eq(parts[0].name, "x"));
    cr_assert_eq(parts[0].data.len, 0);
}

Test(multipart, refuses_malformed_bodies)
{
    static const char *const bad[] = {
        "",
        "no delimiter at all",
        "--b",                                                           /* ends after delimiter */
        "--b\r\n",                                                       /* no headers */
        "--b\r\nContent-Disposition: form-data; name=x\r\n",             /* headers never end */
        "--b\r\nContent-Disposition: form-data; name=x\r\n\r\ndata",     /* no closing delimiter */
        "--b\r\nContent-Disposition: form-data; name=x\r\n\r\nd\r\n--b", /* closing without -- */
        "--b\r\nContent-Type: text/plain\r\n\r\nd\r\n--b--",             /* no disposition */
        "--b\r\nContent-Disposition: attachment; name=x\r\n\r\nd\r\n--b--",
        "--b\r\nContent-Disposition: form-data\r\n\r\nd\r\n--b--", /* no name */
        "--b\r\nContent-Disposition: form-data; name=\"x\r\n\r\nd\r\n--b--",
        "--b\r\nContent-Disposition: form-data; name=\"x\"junk\r\n\r\nd\r\n--b--",
        "--b\r\nno colon here\r\n\r\nd\r\n--b--",
        "--b\r\nContent-Disposition: form-data; name=x\r\n folded\r\n\r\nd\r\n--b--",
        "--bX\r\nContent-Disposition: form-data; name=x\r\n\r\nd\r\n--b--",
        "\r\n--b\r\n\r\n\r\n--b--", /* a part with no headers */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        tk_multipart_part parts[4];
        int n;
        tk_error err;
        tk_status st = parse(bad[i], strlen(bad[i]), "b", parts, 4, &n, &err);
        cr_assert_eq(st, TK_EINVAL, "case %zu should fail: %s", i, bad[i]);
        cr_assert_str_eq(err.code, "bad_multipart");
    }
}

Test(multipart, limits_parts_and_header_size)
{
    static const char two[] = "--b\r\nContent-Disposition: form-data; name=a\r\n\r\n1\r\n"
                              "--b\r\nContent-Disposition: form-data; name=b\r\n\r\n2\r\n--b--";
    tk_multipart_part parts[2];
    int n;
    tk_error err;
    cr_assert_eq(parse(two, sizeof two - 1, "b", parts, 1, &n, &err), TK_EINVAL);
    cr_assert_eq(parse(two, sizeof two - 1, "b", parts, 2, &n, &err), TK_OK);
    cr_assert_eq(n, 2);

    size_t pad = TK_MULTIPART_MAX_HEADER + 10;
    char *big = malloc(pad + 200);
    int len = snprintf(big, 200, "--b\r\nContent-Disposition: form-data; name=a\r\nX-Pad: ");
    memset(big + len, 'p', pad);
    len += (int)pad;
    len += snprintf(big + len, pad + 200 - (size_t)len, "\r\n\r\n1\r\n--b--");
    cr_assert_eq(parse(big, (size_t)len, "b", parts, 2, &n, &err), TK_EINVAL);
    free(big);
}

/* ---- sniffing ---- */

Test(attachments, sniffs_by_magic_bytes)
{
    cr_assert_str_eq(tk_attach_sniff("\xFF\xD8\xFF\xE0", 4), "image/jpeg");
    cr_assert_str_eq(tk_attach_sniff("\x89PNG\r\n\x1A\n....", 12), "image/png");
    cr_assert_str_eq(tk_attach_sniff("RIFF\x1A\0\0\0WEBPVP8L", 16), "image/webp");
    cr_assert_null(tk_attach_sniff("\xFF\xD8", 2));
    cr_assert_null(tk_attach_sniff("\x89PNG\r\n\x1A", 7));
    cr_assert_null(tk_attach_sniff("RIFF\x1A\0\0\0WAVE", 12));
    cr_assert_null(tk_attach_sniff("GIF89a", 6));
    cr_assert_null(tk_attach_sniff("hello, this is text", 19));
    cr_assert_null(tk_attach_sniff("", 0));
    cr_assert_str_eq(tk_attach_kind_label("before"), "处置前");
    cr_assert_null(tk_attach_kind_label("upper"));
    cr_assert(
        tk_attach_sha_valid("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
    cr_assert_not(
        tk_attach_sha_valid("E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"));
    cr_assert_not(tk_attach_sha_valid("../etc/passwd"));
    cr_assert_not(tk_attach_sha_valid(NULL));
}

/* ---- the store ---- */

static int remove_entry(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(p);
}

static int count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL)
        n += e->d_name[0] != '.' || strncmp(e->d_name, ".tmp-", 5) == 0;
    if (d)
        closedir(d);
    return n;
}

Test(attachments, stores_content_addressed_once)
{
    char root[] = "/tmp/tk-attach-XXXXXX";
    cr_assert_not_null(mkdtemp(root));
    char dir[128];
    snprintf(dir, sizeof dir, "%s/db.files", root);
    tk_error err;
    cr_assert_eq(tk_attach_dir_open(dir, &err), TK_OK, "%s", err.detail);
    cr_assert_eq(tk_attach_dir_open(dir, &err), TK_OK, "opening twice is fine");

    /* sha256("abc") */
    static const char abc[] = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
    char sha[65];
    cr_assert_eq(tk_attach_store(dir, "abc", 3, sha, &err), TK_OK, "%s", err.detail);
    cr_assert_str_eq(sha, abc);
    char path[256], sub[160];
    snprintf(sub, sizeof sub, "%s/ba", dir);
    snprintf(path, sizeof path, "%s/%s", sub, abc);
    struct stat st;
    cr_assert_eq(stat(path, &st), 0);
    cr_assert_eq(st.st_size, 3);
    cr_assert_eq(tk_attach_store(dir, "abc", 3, sha, &err), TK_OK);
    cr_assert_eq(count_entries(sub), 1, "identical content is stored once, no temporaries left");

    /* A temporary left by a killed process is swept at the next start. */
    char tmp[256];
    snprintf(tmp, sizeof tmp, "%s/.tmp-leftover", sub);
    FILE *f = fopen(tmp, "w");
    cr_assert_not_null(f);
    fclose(f);
    cr_assert_eq(tk_attach_dir_open(dir, &err), TK_OK);
    cr_assert_eq(count_entries(sub), 1);

    /* Opening sniffs the type from the bytes. */
    char png_sha[65];
    cr_assert_eq(tk_attach_store(dir, "\x89PNG\r\n\x1A\nrest", 12, png_sha, &err), TK_OK);
    int fd;
    int64_t size;
    const char *mime;
    cr_assert_eq(tk_attach_open(dir, png_sha, &fd, &size, &mime, &err), TK_OK, "%s", err.detail);
    cr_assert_eq(size, 12);
    cr_assert_str_eq(mime, "image/png");
    close(fd);
    cr_assert_eq(tk_attach_open(dir, abc, &fd, &size, &mime, &err), TK_EIO, "text is never served");
    cr_assert_eq(tk_attach_open(dir, "../../etc/passwd", &fd, &size, &mime, &err), TK_ENOTFOUND);

    nftw(root, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

Test(attachments, copies_checked_against_the_address)
{
    char root[] = "/tmp/tk-attach-XXXXXX";
    cr_assert_not_null(mkdtemp(root));
    char from[128], to[128];
    snprintf(from, sizeof from, "%s/live.db.files", root);
    snprintf(to, sizeof to, "%s/backup.db.files", root);
    tk_error err;
    cr_assert_eq(tk_attach_dir_open(from, &err), TK_OK);
    cr_assert_eq(tk_attach_dir_open(to, &err), TK_OK);
    static const char jpeg[] = "\xFF\xD8\xFF\xE0 a photo";
    char sha[65];
    cr_assert_eq(tk_attach_store(from, jpeg, sizeof jpeg - 1, sha, &err), TK_OK);

    cr_assert_eq(tk_attach_copy(from, to, sha, &err), TK_OK, "%s", err.detail);
    int fd;
    int64_t size;
    const char *mime;
    cr_assert_eq(tk_attach_open(to, sha, &fd, &size, &mime, &err), TK_OK, "%s", err.detail);
    char got[64] = {0};
    cr_assert_eq(pread(fd, got, sizeof got, 0), (ssize_t)(sizeof jpeg - 1));
    close(fd);
    cr_assert_eq(memcmp(got, jpeg, sizeof jpeg - 1), 0, "the same bytes");

    /* A file whose bytes no longer match its name is refused, not copied on. */
    char path[256];
    snprintf(path, sizeof path, "%s/%.2s/%s", from, sha, sha);
    FILE *f = fopen(path, "r+");
    cr_assert_not_null(f);
    fseek(f, 5, SEEK_SET);
    fputc('X', f);
    fclose(f);
    snprintf(to, sizeof to, "%s/second.db.files", root);
    cr_assert_eq(tk_attach_dir_open(to, &err), TK_OK);
    cr_assert_eq(tk_attach_copy(from, to, sha, &err), TK_EIO);
    cr_assert_str_eq(err.code, "attachment_corrupt");
    snprintf(path, sizeof path, "%s/%.2s/%s", to, sha, sha);
    cr_assert_neq(access(path, F_OK), 0, "nothing under the photo's name in the copy");
    /* A missing one says so. */
    static const char none[] = "0000000000000000000000000000000000000000000000000000000000000000";
    cr_assert_eq(tk_attach_copy(from, to, none, &err), TK_EIO);
    cr_assert_str_eq(err.code, "attachment_missing");

    nftw(root, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}
