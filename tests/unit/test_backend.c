/*  test_backend.c - the backend wrapper: an incomplete operations table is
 *  refused (and the implementation freed), every call reaches the right
 *  operation with the right implementation, and NULL arguments are errors.
 *
 *  A fake backend records what it was called with, so a dispatch that went
 *  to the wrong operation or lost an argument fails here.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "mt5/backend.h"
#include "mt5/error.h"

typedef struct {
    int opens, closes, accounts, positions, destroys; /* calls per operation */
    const void *last_req;                             /* request last seen */
} fake_t;

static const mt5_position_t s_fake_positions[2] = {{.ticket = 11}, {.ticket = 12}};

static mt5_wire_code s_fake_open(void *impl, const mt5_request_t *req, mt5_fill_t *fill, char *msg,
                                 size_t msgcap)
{
    fake_t *fake = impl;
    fake->opens++;
    fake->last_req = req;
    fill->ticket = 77;
    snprintf(msg, msgcap, "fake open");
    return MT5_WIRE_RISK_REJECTED;
}

static mt5_wire_code s_fake_close(void *impl, const mt5_request_t *req, mt5_close_t *out, char *msg,
                                  size_t msgcap)
{
    fake_t *fake = impl;
    fake->closes++;
    fake->last_req = req;
    out->ticket = req->ticket;
    snprintf(msg, msgcap, "fake close");
    return MT5_WIRE_UNKNOWN_TICKET;
}

static int s_fake_account(void *impl, mt5_account_t *out)
{
    fake_t *fake = impl;
    fake->accounts++;
    out->login = 4242;
    return MT5_OK;
}

static int s_fake_list(void *impl, const mt5_position_t **list, size_t *count)
{
    fake_t *fake = impl;
    fake->positions++;
    *list = s_fake_positions;
    *count = 2;
    return MT5_EIO;
}

static void s_fake_destroy(void *impl)
{
    fake_t *fake = impl;
    if (fake)
        fake->destroys++;
}

static const mt5_backend_ops s_fake_ops = {
    .name = "fake",
    .open = s_fake_open,
    .close = s_fake_close,
    .account = s_fake_account,
    .positions = s_fake_list,
    .destroy = s_fake_destroy,
};

static void test_backend__new_rejects_incomplete_ops(void **state)
{
    (void)state;
    /* Each row leaves one member out; the impl must still be destroyed
     * whenever there is a destroy to do it with. */
    struct {
        const char *missing;
        int destroys;
    } rows[] = {
        {"name", 1}, {"open", 1}, {"close", 1}, {"account", 1}, {"positions", 1}, {"destroy", 0},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        mt5_backend_ops ops = s_fake_ops;
        if (strcmp(rows[i].missing, "name") == 0)
            ops.name = NULL;
        else if (strcmp(rows[i].missing, "open") == 0)
            ops.open = NULL;
        else if (strcmp(rows[i].missing, "close") == 0)
            ops.close = NULL;
        else if (strcmp(rows[i].missing, "account") == 0)
            ops.account = NULL;
        else if (strcmp(rows[i].missing, "positions") == 0)
            ops.positions = NULL;
        else
            ops.destroy = NULL;
        fake_t fake = {0};
        mt5_error_clear();
        assert_null(mt5_backend_new(&ops, &fake));
        assert_int_equal(fake.destroys, rows[i].destroys);
        const char *expected = i == 0 ? "backend (unnamed): the operations table is incomplete "
                                        "(name, open, close, account, positions and destroy are "
                                        "required)"
                                      : "backend fake: the operations table is incomplete "
                                        "(name, open, close, account, positions and destroy are "
                                        "required)";
        assert_string_equal(mt5_error_detail(), expected);
    }
    fake_t fake = {0};
    assert_null(mt5_backend_new(NULL, &fake));
    assert_string_equal(mt5_error_detail(), "backend: no operations table");
    assert_int_equal(fake.destroys, 0);
}

static void test_backend__dispatch_reaches_impl(void **state)
{
    (void)state;
    fake_t fake = {0};
    mt5_backend_t *backend = mt5_backend_new(&s_fake_ops, &fake);
    assert_non_null(backend);
    assert_string_equal(mt5_backend_name(backend), "fake");
    assert_ptr_equal(mt5_backend_impl(backend, &s_fake_ops), &fake);

    mt5_request_t req = {.action = MT5_ACTION_CLOSE, .ticket = 5};
    mt5_fill_t fill = {0};
    char msg[64] = "";
    assert_int_equal(mt5_backend_open(backend, &req, &fill, msg, sizeof msg),
                     MT5_WIRE_RISK_REJECTED);
    assert_int_equal(fill.ticket, 77);
    assert_string_equal(msg, "fake open");
    assert_ptr_equal(fake.last_req, &req);

    mt5_close_t out = {0};
    assert_int_equal(mt5_backend_close(backend, &req, &out, msg, sizeof msg),
                     MT5_WIRE_UNKNOWN_TICKET);
    assert_int_equal(out.ticket, 5);
    assert_string_equal(msg, "fake close");

    mt5_account_t account = {0};
    assert_int_equal(mt5_backend_account(backend, &account), MT5_OK);
    assert_int_equal(account.login, 4242);

    const mt5_position_t *list = NULL;
    size_t count = 0;
    assert_int_equal(mt5_backend_positions(backend, &list, &count), MT5_EIO);
    assert_ptr_equal(list, s_fake_positions);
    assert_int_equal(count, 2);

    assert_int_equal(fake.opens, 1);
    assert_int_equal(fake.closes, 1);
    assert_int_equal(fake.accounts, 1);
    assert_int_equal(fake.positions, 1);
    assert_int_equal(fake.destroys, 0);

    mt5_backend_destroy(&backend);
    assert_null(backend);
    assert_int_equal(fake.destroys, 1);
    mt5_backend_destroy(&backend); /* already NULL: nothing happens */
    mt5_backend_destroy(NULL);
    assert_int_equal(fake.destroys, 1);
}

static void test_backend__impl_is_a_checked_downcast(void **state)
{
    (void)state;
    fake_t fake = {0};
    mt5_backend_ops other = s_fake_ops;
    mt5_backend_t *backend = mt5_backend_new(&s_fake_ops, &fake);
    assert_non_null(backend);
    assert_null(mt5_backend_impl(backend, &other));
    assert_null(mt5_backend_impl(backend, NULL));
    assert_null(mt5_backend_impl(NULL, &s_fake_ops));
    mt5_backend_destroy(&backend);
}

static void test_backend__null_arguments_are_errors(void **state)
{
    (void)state;
    fake_t fake = {0};
    mt5_backend_t *backend = mt5_backend_new(&s_fake_ops, &fake);
    assert_non_null(backend);
    mt5_request_t req = {0};
    mt5_fill_t fill = {0};
    mt5_close_t out = {0};
    mt5_account_t account = {0};
    const mt5_position_t *list = NULL;
    size_t count = 0;
    char msg[128] = "";

    assert_int_equal(mt5_backend_open(NULL, &req, &fill, msg, sizeof msg), MT5_WIRE_BACKEND_ERROR);
    assert_string_equal(msg, "internal error: open called without a backend, request or fill");
    assert_int_equal(mt5_backend_open(backend, NULL, &fill, NULL, 0), MT5_WIRE_BACKEND_ERROR);
    assert_int_equal(mt5_backend_open(backend, &req, NULL, msg, 0), MT5_WIRE_BACKEND_ERROR);

    assert_int_equal(mt5_backend_close(NULL, &req, &out, msg, sizeof msg), MT5_WIRE_BACKEND_ERROR);
    assert_string_equal(msg, "internal error: close called without a backend, request or result");
    assert_int_equal(mt5_backend_close(backend, NULL, &out, NULL, 0), MT5_WIRE_BACKEND_ERROR);
    assert_int_equal(mt5_backend_close(backend, &req, NULL, NULL, 0), MT5_WIRE_BACKEND_ERROR);

    assert_int_equal(mt5_backend_account(NULL, &account), MT5_EINVAL);
    assert_string_equal(mt5_error_detail(), "backend account: NULL backend or output");
    assert_int_equal(mt5_backend_account(backend, NULL), MT5_EINVAL);

    assert_int_equal(mt5_backend_positions(NULL, &list, &count), MT5_EINVAL);
    assert_string_equal(mt5_error_detail(), "backend positions: NULL backend or output");
    assert_int_equal(mt5_backend_positions(backend, NULL, &count), MT5_EINVAL);
    assert_int_equal(mt5_backend_positions(backend, &list, NULL), MT5_EINVAL);

    assert_string_equal(mt5_backend_name(NULL), "");
    /* None of the refused calls reached the implementation. */
    assert_int_equal(fake.opens + fake.closes + fake.accounts + fake.positions, 0);
    mt5_backend_destroy(&backend);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_backend__new_rejects_incomplete_ops),
        cmocka_unit_test(test_backend__dispatch_reaches_impl),
        cmocka_unit_test(test_backend__impl_is_a_checked_downcast),
        cmocka_unit_test(test_backend__null_arguments_are_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
