/* test_edn.c -- the EDN reader and the history loader on small inputs. */
#include <string.h>

#include "jepsen/checker/edn.h"
#include "jepsen/checker/history.h"
#include "tests/unit/check.h"

static arena A;

/* Reads the only form in s; returns the rc of edn_read. */
static int read1(const char *s, edn_val *v, edn_reader *r)
{
    arena_reset(&A);
    edn_init(r, s, strlen(s), &A);
    int rc = edn_read(r, v);
    edn_dispose(r);
    return rc;
}

static void test_scalars(void)
{
    edn_val v;
    edn_reader r;
    REQUIRE(read1("  -9223372036854775808 ", &v, &r) == 1);
    CHECK(v.type == EDN_INT && v.u.i == INT64_MIN);
    REQUIRE(read1("42N", &v, &r) == 1);
    CHECK(v.type == EDN_INT && v.u.i == 42);
    REQUIRE(read1("1.5e3", &v, &r) == 1);
    CHECK(v.type == EDN_FLOAT && v.u.f == 1500.0);
    REQUIRE(read1(":ok", &v, &r) == 1);
    CHECK(edn_is_kw(&v, "ok"));
    REQUIRE(read1("nil", &v, &r) == 1);
    CHECK(v.type == EDN_NIL);
    REQUIRE(read1("false", &v, &r) == 1);
    CHECK(v.type == EDN_BOOL && v.u.i == 0);
    REQUIRE(read1("\"a \\\"q\\\" b\"", &v, &r) == 1);
    CHECK(v.type == EDN_STRING && v.u.str.n == 9);
    REQUIRE(read1("\\newline", &v, &r) == 1);
    CHECK(v.type == EDN_CHAR);
    REQUIRE(read1("jepsen.nemesis/partition", &v, &r) == 1);
    CHECK(v.type == EDN_SYMBOL);
}

static void test_collections(void)
{
    edn_val v;
    edn_reader r;
    REQUIRE(read1("{:a [1, 2 ,3] ; c\n :b #{(x) \"y\"} :c #inst \"2020\" #_ :gone :d nil}",
                  &v, &r) == 1);
    REQUIRE(v.type == EDN_MAP && v.u.coll.n == 8);
    const edn_val *a = edn_map_get(&v, "a");
    REQUIRE(a && a->type == EDN_VECTOR && a->u.coll.n == 3);
    CHECK(a->u.coll.items[2].u.i == 3);
    CHECK(edn_map_get(&v, "b")->type == EDN_SET);
    CHECK(edn_map_get(&v, "c")->type == EDN_TAGGED);
    CHECK(edn_map_get(&v, "d")->type == EDN_NIL);
    CHECK(v.srclen == strlen(v.src)); /* the span covers the whole form */
}

static void test_errors(void)
{
    edn_val v;
    edn_reader r;
    CHECK(read1("{:a 1 :b}", &v, &r) < 0);
    CHECK(read1("[1 2", &v, &r) < 0);
    CHECK(read1("\n\n[1 2)", &v, &r) < 0 && r.err_line == 3);
    CHECK(read1("99999999999999999999", &v, &r) < 0);
    CHECK(read1("012", &v, &r) < 0);
    CHECK(read1("1x", &v, &r) < 0);
    CHECK(read1("\"open", &v, &r) < 0);
    CHECK(read1("::kw", &v, &r) < 0);
    CHECK(read1("#_", &v, &r) < 0);
    CHECK(read1("}", &v, &r) < 0);
}

static void test_loader(void)
{
    const char *s =
        "{:type :invoke, :f :append, :value 1, :process 0}\n"
        "{:type :info, :f :start, :process :nemesis}\n"
        "{:type :invoke, :f :read, :value nil, :process 1}\n"
        "{:type :ok, :f :append, :value [1], :process 0}\n"
        "{:type :ok, :f :read, :value {:length 1}, :process 1}\n"
        "{:type :invoke, :f :append, :value 2, :process 0}\n";
    history h;
    REQUIRE(history_load_mem(&h, s, strlen(s), 0) == 0);
    REQUIRE(h.nops == 3);
    CHECK(h.ops[0].status == HS_OK && h.ops[0].form == HR_LIST && h.ops[0].obs == 1);
    CHECK(h.ops[0].inv == 1 && h.ops[0].cmp == 3);
    CHECK(h.ops[1].form == HR_LENGTH && h.ops[1].inv_line == 3 && h.ops[1].cmp_line == 5);
    CHECK(h.ops[2].status == HS_PENDING && h.ops[2].cmp == PX_INF);
    CHECK(h.npin == 1 && h.pin_val[0] == 1 && h.pin_op[0] == 0);
    history_free(&h);

    const char *dup = "{:type :invoke, :f :append, :value 1, :process 0}\n"
                      "{:type :fail, :f :append, :process 0}\n"
                      "{:type :invoke, :f :append, :value 1, :process 0}\n";
    CHECK(history_load_mem(&h, dup, strlen(dup), 0) < 0 && h.err_line == 3);
    history_free(&h);

    const char *orphan = "[{:type :invoke, :f :read, :value nil, :process 0}\n"
                         " {:type :ok, :f :read, :value [], :process 1}]";
    CHECK(history_load_mem(&h, orphan, strlen(orphan), 0) < 0 && h.err_line == 2);
    history_free(&h);
}

int main(void)
{
    RUN(test_scalars);
    RUN(test_collections);
    RUN(test_errors);
    RUN(test_loader);
    arena_free(&A);
    return check_summary();
}
