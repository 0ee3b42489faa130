/*
 * test_config.c - defaults, then file, then environment, then flags.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/config.h"

extern char **environ;

#define ARGC(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* The suite must not depend on the environment it is run in. */
static void clear_tiaokuai_env(void)
{
    for (;;) {
        char name[128] = "";
        for (char **e = environ; e && *e; e++) {
            if (strncmp(*e, "TIAOKUAI_", 9) != 0)
                continue;
            const char *eq = strchr(*e, '=');
            size_t n = eq ? (size_t)(eq - *e) : strlen(*e);
            if (n < sizeof name) {
                memcpy(name, *e, n);
                name[n] = '\0';
                break;
            }
        }
        if (!name[0])
            return;
        unsetenv(name);
    }
}

static char config_path[64];

static void setup(void)
{
    clear_tiaokuai_env();
    config_path[0] = '\0';
}

static void teardown(void)
{
    if (config_path[0])
        unlink(config_path);
}

TestSuite(config, .init = setup, .fini = teardown);

static const char *write_config(const char *text)
{
    snprintf(config_path, sizeof config_path, "/tmp/tk-config-XXXXXX");
    int fd = mkstemp(config_path);
    cr_assert_geq(fd, 0);
    size_t n = strlen(text);
    cr_assert_eq(write(fd, text, n), (ssize_t)n);
    close(fd);
    return config_path;
}

static tk_status load(tk_config *cfg, int argc, char **argv, unsigned mask, tk_error *err)
{
    tk_config_defaults(cfg);
    tk_error_clear(err);
    return tk_config_load(cfg, argc, argv, mask, NULL, NULL, err);
}

Test(config, defaults)
{
    tk_config c;
    memset(&c, 0x5A, sizeof c);
    tk_config_defaults(&c);
    cr_assert_str_eq(c.listen, "127.0.0.1:8080");
    cr_assert_str_eq(c.db, "var/tiaokuai.db");
    cr_assert_str_eq(c.web, "web");
    cr_assert_str_eq(c.log_level, "info");
    cr_assert_str_eq(c.manual_clock, "");
    cr_assert_eq(c.threads, 0);
    cr_assert_eq(c.max_body, 8 << 20);
    cr_assert_eq(c.max_json, 1 << 20);
    cr_assert_eq(c.write_queue, 100000);
    cr_assert_eq(c.write_batch, 1024);
    cr_assert_eq(c.probe, 0);
}

Test(config, nothing_given_keeps_defaults)
{
    tk_config c;
    tk_error err;
    char **rest = NULL;
    int nrest = -1;
    tk_config_defaults(&c);
    cr_assert_eq(tk_config_load(&c, 0, NULL, TK_CMD_SERVE, &rest, &nrest, &err), TK_OK);
    cr_assert_str_eq(c.listen, "127.0.0.1:8080");
    cr_assert_str_eq(c.db, "var/tiaokuai.db");
    cr_assert_eq(nrest, 0);
    cr_assert_not_null(rest);
    cr_assert_null(rest[0]);
    free(rest);
}

Test(config, flag_forms)
{
    tk_config c;
    tk_error err;
    char *argv[] = {"--listen=0.0.0.0:9000",
                    "--db",
                    "sqlite:/tmp/a.db",
                    "--max-body=4096",
                    "--max_json",
                    "2048",
                    "--threads",
                    "3"};
    cr_assert_eq(load(&c, ARGC(argv), argv, TK_CMD_SERVE, &err), TK_OK, "%s", err.detail);
    cr_assert_str_eq(c.listen, "0.0.0.0:9000");
    cr_assert_str_eq(c.db, "sqlite:/tmp/a.db");
    cr_assert_eq(c.max_body, 4096);
    cr_assert_eq(c.max_json, 2048);
    cr_assert_eq(c.threads, 3);
}

Test(config, value_may_contain_equals_and_be_empty)
{
    tk_config c;
    tk_error err;
    char *argv[] = {"--db=sqlite:/tmp/a=b.db", "--web="};
    cr_assert_eq(load(&c, ARGC(argv), argv, TK_CMD_SERVE, &err), TK_OK, "%s", err.detail);
    cr_assert_str_eq(c.db, "sqlite:/tmp/a=b.db");
    cr_assert_str_eq(c.web, "");
}

Test(config, last_flag_wins)
{
    tk_config c;
    tk_error err;
    char *argv[] = {"--threads=2", "--threads", "5"};
    cr_assert_eq(load(&c, ARGC(argv), argv, TK_CMD_SERVE, &err), TK_OK);
    cr_assert_eq(c.threads, 5);
}

Test(config, file_is_read)
{
    const char *path = write_config("# settings\n"
                                    "\n"
                                    "listen = 10.0.0.1:81\n"
                                    "   max-body=5000   \n"
                                    "db=sqlite:var/x.db\n"
                                    "  # indented comment\n"
                                    "log_level = debug\n");
    tk_config c;
    tk_error err;
    char *argv[] = {"--config", (char *)path};
    cr_assert_eq(load(&c, ARGC(argv), argv, TK_CMD_SERVE, &err), TK_OK, "%s", err.detail);
    cr_assert_str_eq(c.listen, "10.0.0.1:81");
    cr_assert_eq(c.max_body, 5000);
    cr_assert_str_eq(c.db, "sqlite:var/x.db");
    cr_assert_str_eq(c.log_level, "debug");
    cr_assert_str_eq(c.web, "web", "untouched options keep defaults");
}

Test(config, file_from_environment_and_config_equals)
{
    const char *path = write_config("listen=1.2.3.4:5\n");
    tk_config c;
    tk_error err;
    setenv("TIAOKUAI_CONFIG", path, 1);
    cr_assert_eq(load(&c, 0, NULL, TK_CMD_SERVE, &err), TK_OK, "%s", err.detail);
    cr_assert_str_eq(c.listen, "1.2.3.4:5");
    unsetenv("TIAOKUAI_CONFIG");

    char flag[96];
    snprintf(flag, sizeof flag, "--config=%s", path);
    char *argv[] = {flag};
    cr_assert_eq(load(&c, ARGC(argv), argv, TK_CMD_SERVE, &err), TK_OK, "%s", err.detail);
    cr_assert_str_eq(c.listen, "1.2.3.4:5");
}

Test(config, environment_is_read)
{
    tk_config c;
    tk_error err;
    setenv("TIAOKUAI_LISTEN", "127.0.0.1:0", 1);
    setenv("TIAOKUAI_MAX_BODY", "65536", 1);
    setenv("TIAOKUAI_WRITE_BATCH", "7", 1);
    cr_assert_eq(load(&c, 0, NULL, TK_CMD_SERVE, &err), TK_OK, "%s", err.detail);
    cr_assert_str_eq(c.listen, "127.0.0.1:0");
    cr_assert_eq(c.max_body, 65536);
    cr_assert_eq(c.write_batch, 7);
}

Test(config, environment_of_other_commands_is_ignored)
{
    tk_config c;
    tk_error err;
    setenv("TIAOKUAI_LISTEN", "9.9.9.9:9", 1);
    setenv("TIAOKUAI_THREADS", "not-a-number", 1); /* serve-only: not even validated */
    setenv("TIAOKUAI_DB", "other.db", 1);
    cr_assert_eq(load(&c, 0, NULL, TK_CMD_DB, &err), TK_OK, "%s", err.detail);
    cr_assert_str_eq(c.listen, "127.0.0.1:8080");
    cr_assert_str_eq(c.db, "other.db");
}

Test(config, flag_beats_environment_beats_file)
{
    const char *path = write_config("listen = file:1\n"
                                    "web = file-web\n"
                                    "threads = 3\n"
                                    "db = file.db\n");
    setenv("TIAOKUAI_LISTEN", "env:2", 1);
    setenv("TIAOKUAI_WEB", "env-web", 1);
    setenv("TIAOKUAI_THREADS", "4", 1);
    tk_config c;
    tk_error err;
    char *argv[] = {"--listen", "flag:3", "--config", (char *)path, "--threads=5"};
    cr_assert_eq(load(&c, ARGC(argv), argv, TK_CMD_SERVE, &err), TK_OK, "%s", err.detail);
    cr_assert_str_eq(c.listen, "flag:3"); /* flag > env > file */
    cr_assert_eq(c.threads, 5);           /* flag > env > file */
    cr_assert_str_eq(c.web, "env-web");   /* env > file */
    cr_assert_str_eq(c.db, "file.db");    /* file > default */
}

Test(config, unknown_flag_is_an_error)
{
    tk_config c;
    tk_error err;
    char *argv[] = {"--listne=1.2.3.4:5"};
    cr_assert_eq(load(&c, ARGC(argv), argv, TK_CMD_SERVE, &err), TK_EINVAL);
    cr_assert_eq(err.status, TK_EINVAL);
    cr_assert_str_eq(err.code, "config_unknown");
    cr_assert_not_null(strstr(err.detail, "--listne"), "detail: %s", err.detail);
}

Test(config, flag_of_another_command_is_unknown)
{
    tk_config c;
    tk_error err;
    char *argv[] = {"--listen", "1.2.3.4:5"};
    cr_assert_eq(load(&c, ARGC(argv), argv, TK_CMD_DB, &err), TK_EINVAL);
    cr_assert_str_eq(err.code, "config_unknown");
}

Test(config, bad_int_is_an_error_with_a_message)
{
    tk_config c;
    tk_error err;
    char *argv[] = {"--threads=abc"};
    cr_assert_eq(load(&c, ARGC(argv), argv, TK_CMD_SERVE, &err), TK_EINVAL);
    cr_assert_str_eq(err.code, "config_bad_value");
    cr_assert_not_null(strstr(err.detail, "threads"), "detail: %s", err.detail);
    cr_assert_not_null(strstr(err.detail, "\"abc\""), "detail: %s", err.detail);
    cr_assert_not_null(strstr(err.detail, "256"), "the range is named: %s", err.detail);

    const char *bad[] = {"--threads=257", "--threads=-1", "--threads=",
                         "--threads= 4",  "--threads=4x", "--threads=99999999999999999999",
                         "--probe=2"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *one[] = {(char *)bad[i]};
        cr_assert_eq(load(&c, 1, one, TK_CMD_SERVE, &err), TK_EINVAL, "%s accepted", bad[i]);
        cr_assert_str_eq(err.code, "config_bad_value");
    }
    char *edge[] = {"--threads=256", "--probe=1"};
    cr_assert_eq(load(&c, 2, edge, TK_CMD_SERVE, &err), TK_OK);
    cr_assert_eq(c.threads, 256);
    cr_assert_eq(c.probe, 1);
}

Test(config, bad_int_in_environment_names_the_variable)
{
    tk_config c;
    tk_error err;
    setenv("TIAOKUAI_MAX_BODY", "lots", 1);
    cr_assert_eq(load(&c, 0, NULL, TK_CMD_SERVE, &err), TK_EINVAL);
    cr_assert_str_eq(err.code, "config_bad_value");
    cr_assert_not_null(strstr(err.detail, "TIAOKUAI_MAX_BODY"), "detail: %s", err.detail);
}

Test(config, missing_value_is_an_error)
{
    tk_config c;
    tk_error err;
    char *argv[] = {"serve", "--listen"};
    cr_assert_eq(load(&c, ARGC(argv), argv, TK_CMD_SERVE, &err), TK_EINVAL);
    cr_assert_str_eq(err.code, "config_missing_value");
    cr_assert_not_null(strstr(err.detail, "--listen"));
}

Test(config, too_long_string_is_an_error)
{
    tk_config c;
    tk_error err;
    char flag[300] = "--listen=";
    memset(flag + 9, 'a', 200);
    flag[209] = '\0';
    char *argv[] = {flag};
    cr_assert_eq(load(&c, ARGC(argv), argv, TK_CMD_SERVE, &err), TK_EINVAL);
    cr_assert_str_eq(err.code, "config_too_long");
    cr_assert_str_eq(c.listen, "127.0.0.1:8080", "a refused value is not half-applied");
}

Test(config, bad_file_line_names_file_and_line)
{
    const char *path = write_config("listen = a:1\n# ok\nbogus = 1\n");
    tk_config c;
    tk_error err;
    char *argv[] = {"--config", (char *)path};
    cr_assert_eq(load(&c, ARGC(argv), argv, TK_CMD_SERVE, &err), TK_EINVAL);
    cr_assert_str_eq(err.code, "config_unknown");
    char where[96];
    snprintf(where, sizeof where, "%s:3", path);
    cr_assert_not_null(strstr(err.detail, where), "detail: %s", err.detail);
    cr_assert_not_null(strstr(err.detail, "bogus"), "detail: %s", err.detail);
}

Test(config, file_line_without_equals_is_an_error)
{
    const char *path = write_config("listen\n");
    tk_config c;
    tk_error err;
    char *argv[] = {"--config", (char *)path};
    cr_assert_eq(load(&c, ARGC(argv), argv, TK_CMD_SERVE, &err), TK_EINVAL);
    cr_assert_str_eq(c.listen, "127.0.0.1:8080");
}

Test(config, missing_file_is_an_error)
{
    tk_config c;
    tk_error err;
    char *argv[] = {"--config=/nonexistent/tiaokuai.conf"};
    cr_assert_eq(load(&c, ARGC(argv), argv, TK_CMD_SERVE, &err), TK_EINVAL);
    cr_assert_str_eq(err.code, "config_unreadable");
}

Test(config, positional_arguments_are_returned_in_order)
{
    const char *path = write_config("threads = 2\n");
    tk_config c;
    tk_error err;
    char *argv[] = {"migrate",         "--db", "x.db", "first", "--config", (char *)path, "second",
                    "--write-batch=9", "-v",   "third"};
    char **rest = NULL;
    int nrest = 0;
    tk_config_defaults(&c);
    cr_assert_eq(
        tk_config_load(&c, ARGC(argv), argv, TK_CMD_SERVE | TK_CMD_DB, &rest, &nrest, &err), TK_OK,
        "%s", err.detail);
    cr_assert_eq(nrest, 5);
    cr_assert_str_eq(rest[0], "migrate");
    cr_assert_str_eq(rest[1], "first");
    cr_assert_str_eq(rest[2], "second");
    cr_assert_str_eq(rest[3], "-v");
    cr_assert_str_eq(rest[4], "third");
    cr_assert_null(rest[5]);
    cr_assert_eq(rest[1], argv[3], "positionals point into argv");
    cr_assert_str_eq(c.db, "x.db");
    cr_assert_eq(c.write_batch, 9);
    cr_assert_eq(c.threads, 2);
    free(rest);
}

Test(config, usage_lists_options_of_the_command)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    cr_assert_not_null(f);
    tk_config_usage(f, TK_CMD_DB);
    fclose(f);
    cr_assert_not_null(strstr(text, "--db"));
    cr_assert_not_null(strstr(text, "--write-batch"));
    cr_assert_null(strstr(text, "--listen"), "serve-only option listed for db commands");
    free(text);
}
