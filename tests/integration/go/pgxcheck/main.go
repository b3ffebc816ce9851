// pgx v5 (pinned in ../go.mod) against runnel's SQL, run by
// tests/integration/test_sql_pgx.py as
//
//	pgxcheck SQL_PORT RUNNEL BOOTSTRAP TOPIC KEYED_TOPIC
//
// (`RUNNEL produce TOPIC -b BOOTSTRAP` writes records to TOPIC and
// KEYED_TOPIC, which the test made). The simple protocol, pgx's default extended mode (a named
// statement per query, described first so that parameters are encoded as the
// server's types, binary results where pgx has a binary codec), typed scans,
// the type map, a source over a topic with a view that follows it, an upsert
// table over a keyed topic, SQLSTATE errors and a SUBSCRIBE cursor with a
// cancel. Each check prints PASS/FAIL; the last line is 'N passed, M failed'.
package main

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"os"
	"os/exec"
	"reflect"
	"runtime/debug"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgconn/ctxwatch"
	"github.com/jackc/pgx/v5/pgtype"
)

var port, runnel, bootstrap, topic, keyedTopic string

type failure string

func expect(cond bool, format string, args ...any) {
	if !cond {
		panic(failure(fmt.Sprintf(format, args...)))
	}
}

func expectEq(want, got any, what string) {
	if !reflect.DeepEqual(want, got) {
		panic(failure(fmt.Sprintf("%s: want %#v, got %#v", what, want, got)))
	}
}

func must(err error, what string) {
	if err != nil {
		panic(failure(what + ": " + err.Error()))
	}
}

// waitUntil polls cond every 50 ms until it holds or timeout passes.
func waitUntil(timeout time.Duration, what string, cond func() bool) {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	panic(failure("timed out waiting for " + what))
}

// rootCtx bounds the whole run: a statement that never answers fails it.
var rootCtx context.Context

func ctx() context.Context { return rootCtx }

func connect() *pgx.Conn {
	c, err := pgx.Connect(ctx(), "postgres://root@127.0.0.1:"+port+"/dev?sslmode=disable&connect_timeout=10")
	must(err, "connect")
	return c
}

// rows runs a query and returns each row as "a|b|c" (fmt of each value).
func rows(c *pgx.Conn, sql string, args ...any) []string {
	rs, err := c.Query(ctx(), sql, args...)
	must(err, sql)
	defer rs.Close()
	out := []string{}
	for rs.Next() {
		vals, err := rs.Values()
		must(err, "values")
		parts := make([]string, len(vals))
		for i, v := range vals {
			parts[i] = fmt.Sprint(v)
		}
		out = append(out, strings.Join(parts, "|"))
	}
	must(rs.Err(), sql)
	return out
}

func produce(lines ...string) {
	produceTo(exec.Command(runnel, "produce", topic, "-q", "-b", bootstrap), lines)
}

// produceKeyed writes "key|value" records to KEYED_TOPIC; an empty value is a tombstone.
func produceKeyed(lines ...string) {
	produceTo(exec.Command(runnel, "produce", keyedTopic, "-q", "-b", bootstrap, "-K", "|", "-Z"), lines)
}

func produceTo(cmd *exec.Cmd, lines []string) {
	cmd.Stdin = strings.NewReader(strings.Join(lines, "\n") + "\n")
	out, err := cmd.CombinedOutput()
	must(err, "runnel produce: "+string(out))
}

func exec1(c *pgx.Conn, sql string, args ...any) pgconn.CommandTag {
	tag, err := c.Exec(ctx(), sql, args...)
	must(err, sql)
	return tag
}

func connectAndServerInfo() {
	c := connect()
	defer c.Close(ctx())
	v := c.PgConn().ParameterStatus("server_version")
	expect(strings.HasPrefix(v, "15"), "server_version %q", v)
	expectEq("UTF8", c.PgConn().ParameterStatus("client_encoding"), "client_encoding")
	must(c.Ping(ctx()), "ping")
	fmt.Println("  server", v)
}

func simpleProtocol() {
	c := connect()
	defer c.Close(ctx())
	simple := pgx.QueryExecModeSimpleProtocol
	exec1(c, "CREATE TABLE simple_t (id INT PRIMARY KEY, name TEXT)", simple)
	tag := exec1(c, "INSERT INTO simple_t VALUES ($1, $2), ($3, $4)", simple, 1, "one", 2, "it's")
	expectEq(int64(2), tag.RowsAffected(), "rows affected")
	expectEq([]string{"2|it's"}, rows(c, "SELECT id, name FROM simple_t WHERE id = $1", simple, 2), "simple query")
	// Several statements in one Query message.
	res, err := c.PgConn().Exec(ctx(), "INSERT INTO simple_t VALUES (3, 'three'); SELECT count(*) FROM simple_t").ReadAll()
	must(err, "multi-statement query")
	expectEq(2, len(res), "results")
	expectEq("3", string(res[1].Rows[0][0]), "count after the multi-statement query")
}

// Each pgx query mode; the default (cache statement) describes a named
// statement first and encodes each parameter as the type the server says.
func preparedTypedParameters() {
	c := connect()
	defer c.Close(ctx())
	exec1(c, "CREATE TABLE typed (id BIGINT PRIMARY KEY, n INT, name TEXT, ok BOOLEAN, score DOUBLE PRECISION, "+
		"at TIMESTAMP, amount NUMERIC(10,2), small SMALLINT, day DATE)")
	modes := []pgx.QueryExecMode{pgx.QueryExecModeCacheStatement, pgx.QueryExecModeCacheDescribe,
		pgx.QueryExecModeDescribeExec, pgx.QueryExecModeExec, pgx.QueryExecModeSimpleProtocol}
	for i, m := range modes {
		at := time.Date(2024, 3, 15, 10, 0, i, 123456000, time.UTC)
		amount := pgtype.Numeric{Int: big.NewInt(int64(100*i + 50)), Exp: -2, Valid: true}
		exec1(c, "INSERT INTO typed VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)", m,
			int64(10_000_000_000+i), int32(-i), fmt.Sprintf("name '%d'", i), i%2 == 0, float64(i)+0.25, at, amount,
			int16(i*100), time.Date(2024, 3, 10+i, 0, 0, 0, 0, time.UTC))
	}
	exec1(c, "INSERT INTO typed VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)", int64(1), nil, nil, nil, nil, nil, nil,
		nil, nil)
	for i, m := range modes {
		var (
			id     int64
			n      int32
			name   string
			ok     bool
			score  float64
			at     time.Time
			amount pgtype.Numeric
			small  int16
			day    time.Time
		)
		err := c.QueryRow(ctx(), "SELECT id, n, name, ok, score, at, amount, small, day FROM typed "+
			"WHERE id = $1 AND ok = $2 AND score > $3 AND name <> $4 AND at >= $5", m,
			int64(10_000_000_000+i), i%2 == 0, -0.5, "nobody", time.Date(2024, 3, 15, 0, 0, 0, 0, time.UTC)).
			Scan(&id, &n, &name, &ok, &score, &at, &amount, &small, &day)
		must(err, fmt.Sprintf("query in mode %v", m))
		expectEq(int64(10_000_000_000+i), id, "bigint")
		expectEq(int32(-i), n, "int")
		expectEq(fmt.Sprintf("name '%d'", i), name, "text")
		expectEq(i%2 == 0, ok, "boolean")
		expectEq(float64(i)+0.25, score, "double")
		expect(at.Equal(time.Date(2024, 3, 15, 10, 0, i, 123456000, time.UTC)), "timestamp %v (mode %v)", at, m)
		f, err := amount.Float64Value()
		must(err, "numeric as float")
		expectEq(float64(i)+0.5, f.Float64, fmt.Sprintf("numeric (mode %v)", m))
		expectEq(int16(i*100), small, "smallint")
		expect(day.Equal(time.Date(2024, 3, 10+i, 0, 0, 0, 0, time.UTC)), "date %v", day)
	}
	// NULLs into pointers.
	var n *int32
	var name *string
	var at *time.Time
	must(c.QueryRow(ctx(), "SELECT n, name, at FROM typed WHERE id = $1", int64(1)).Scan(&n, &name, &at), "NULL row")
	expect(n == nil && name == nil && at == nil, "NULLs scan as nil")
	// A prepared statement by name, run again and again.
	sd, err := c.Prepare(ctx(), "by_id", "SELECT name FROM typed WHERE id = $1")
	must(err, "prepare")
	expectEq(1, len(sd.ParamOIDs), "parameters")
	expectEq(uint32(pgtype.Int8OID), sd.ParamOIDs[0], "the parameter's type, as the server inferred it")
	for i := 0; i < 3; i++ {
		var s string
		must(c.QueryRow(ctx(), "by_id", int64(10_000_000_000+i)).Scan(&s), "prepared")
		expectEq(fmt.Sprintf("name '%d'", i), s, "prepared result")
	}
	// A batch: pgx pipelines the statements in one round trip.
	b := &pgx.Batch{}
	b.Queue("SELECT count(*) FROM typed")
	b.Queue("SELECT max(small) FROM typed WHERE ok = $1", true)
	br := c.SendBatch(ctx(), b)
	var cnt int64
	var mx int16
	must(br.QueryRow().Scan(&cnt), "batch 1")
	must(br.QueryRow().Scan(&mx), "batch 2")
	must(br.Close(), "batch close")
	expectEq(int64(len(modes)+1), cnt, "count")
	expectEq(int16(400), mx, "max")
}

// The OIDs of result columns as pgx's type map names them.
func typeMap() {
	c := connect()
	defer c.Close(ctx())
	rs, err := c.Query(ctx(), "SELECT 1::int2, 2::int4, 3::int8, 1.5::real, 2.5::double precision, 1.25::numeric, "+
		"'t'::text, true, '2024-03-15'::date, '10:00:00'::time, '2024-03-15 10:00:00'::timestamp, "+
		"'2024-03-15 10:00:00+00'::timestamptz, '1 day'::interval, '{\"a\": 1}'::jsonb, '\\x0102'::bytea")
	must(err, "query")
	want := []string{"int2", "int4", "int8", "float4", "float8", "numeric", "text", "bool", "date", "time",
		"timestamp", "timestamptz", "interval", "jsonb", "bytea"}
	got := []string{}
	for _, fd := range rs.FieldDescriptions() {
		t, ok := c.TypeMap().TypeForOID(fd.DataTypeOID)
		expect(ok, "no pgx type for OID %d", fd.DataTypeOID)
		got = append(got, t.Name)
	}
	expectEq(want, got, "result column types")
	expect(rs.Next(), "a row")
	vals, err := rs.Values()
	must(err, "values")
	rs.Close()
	must(rs.Err(), "rows")
	expectEq(int16(1), vals[0], "int2 value")
	expectEq(int64(3), vals[2], "int8 value")
	expectEq(float32(1.5), vals[3], "float4 value")
	expectEq("t", vals[6], "text value")
	expectEq(true, vals[7], "bool value")
	expectEq(map[string]any{"a": float64(1)}, vals[13], "jsonb value")
	expectEq([]byte{1, 2}, vals[14], "bytea value")
	iv, ok := vals[12].(pgtype.Interval)
	expect(ok && iv.Days == 1 && iv.Microseconds == 0, "interval value %#v", vals[12])
	tm, ok := vals[9].(pgtype.Time)
	expect(ok && tm.Microseconds == 10*3600*1_000_000, "time value %#v", vals[9])
	// LoadType asks the server for a type by name ($1::text::regtype, then pg_type's typtype,
	// typelem and typdelim): text[], the one array type there is.
	t, err := c.LoadType(ctx(), "_text")
	must(err, "LoadType")
	expectEq(uint32(pgtype.TextArrayOID), t.OID, "LoadType's OID")
	ac, ok := t.Codec.(*pgtype.ArrayCodec)
	expect(ok && ac.ElementType.OID == pgtype.TextOID, "LoadType's codec %#v", t.Codec)
	var oid uint32
	must(c.QueryRow(ctx(), "SELECT $1::text::regclass::oid", "typed").Scan(&oid), "regclass")
	expect(oid >= 16384, "a user relation's oid %d", oid)
}

func sourceViewFollowsTopic() {
	produce(`{"user_id": 1, "page": "/home", "ts": "2024-03-15 10:00:00"}`,
		`{"user_id": 2, "page": "/home", "ts": "2024-03-15 10:00:01"}`,
		`{"user_id": 3, "page": "/about", "ts": "2024-03-15 10:00:02"}`)
	c := connect()
	defer c.Close(ctx())
	exec1(c, "CREATE SOURCE clicks (user_id INT, page TEXT, ts TIMESTAMP) WITH (connector = 'kafka', topic = '"+
		topic+"', scan.startup.mode = 'earliest') FORMAT PLAIN ENCODE JSON")
	exec1(c, "CREATE MATERIALIZED VIEW visits AS SELECT page, count(*) AS n, max(ts) AS last FROM clicks GROUP BY page")
	view := func() []string {
		rs, err := c.Query(ctx(), "SELECT page, n, last FROM visits WHERE n >= $1 ORDER BY page", 1)
		must(err, "select from the view")
		out, err := pgx.CollectRows(rs, func(r pgx.CollectableRow) (string, error) {
			var page string
			var n int64
			var last time.Time
			err := r.Scan(&page, &n, &last)
			return fmt.Sprintf("%s|%d|%s", page, n, last.Format("15:04:05")), err
		})
		must(err, "collect")
		return out
	}
	waitUntil(30*time.Second, "the view over the topic", func() bool {
		return reflect.DeepEqual(view(), []string{"/about|1|10:00:02", "/home|2|10:00:01"})
	})
	produce(`{"user_id": 4, "page": "/home", "ts": "2024-03-15 10:05:00"}`,
		`{"user_id": 5, "page": "/new", "ts": "2024-03-15 10:06:00"}`)
	waitUntil(30*time.Second, "the view after more records", func() bool {
		return reflect.DeepEqual(view(), []string{"/about|1|10:00:02", "/home|3|10:05:00", "/new|1|10:06:00"})
	})
	expectEq([]string{"5"}, rows(c, "SELECT count(*) FROM clicks"), "the source's rows")
}

func upsertTableFollowsKeys() {
	c := connect()
	defer c.Close(ctx())
	exec1(c, "CREATE TABLE users (id INT PRIMARY KEY, name TEXT) WITH (connector = 'kafka', topic = '"+keyedTopic+
		"') FORMAT UPSERT ENCODE JSON")
	users := func() []string { return rows(c, "SELECT id, name FROM users WHERE id > $1 ORDER BY id", 0) }
	produceKeyed(`1|{"id": 1, "name": "ann"}`, `2|{"id": 2, "name": "bob"}`)
	waitUntil(30*time.Second, "the table over the keyed topic", func() bool {
		return reflect.DeepEqual(users(), []string{"1|ann", "2|bob"})
	})
	produceKeyed(`1|{"id": 1, "name": "anne"}`, `2|`)
	waitUntil(30*time.Second, "the update and the tombstone", func() bool {
		return reflect.DeepEqual(users(), []string{"1|anne"})
	})
}

func errorsCarrySqlstate() {
	c := connect()
	defer c.Close(ctx())
	sqlstate := func(err error) string {
		var pe *pgconn.PgError
		expect(errors.As(err, &pe), "a PgError, got %v", err)
		return pe.Code
	}
	_, err := c.Exec(ctx(), "SELECT nope FROM missing")
	expectEq("42P01", sqlstate(err), "missing relation")
	var x int32
	err = c.QueryRow(ctx(), "SELECT 1 / $1::int", int32(0)).Scan(&x)
	expectEq("22012", sqlstate(err), "division by zero")
	_, err = c.Exec(ctx(), "SELEC 1")
	expectEq("42601", sqlstate(err), "syntax error")
	expectEq([]string{"2"}, rows(c, "SELECT 1 + 1"), "the connection after errors")
	// In a transaction: an error, a rollback, and on.
	tx, err := c.Begin(ctx())
	must(err, "begin")
	_, err = tx.Exec(ctx(), "SELECT * FROM missing_too")
	expectEq("42P01", sqlstate(err), "in a transaction")
	must(tx.Rollback(ctx()), "rollback")
	expectEq([]string{"3"}, rows(c, "SELECT 1 + 2"), "after the rollback")
}

func subscribeCursor() {
	c, w := connect(), connect()
	defer c.Close(ctx())
	defer w.Close(ctx())
	exec1(w, "CREATE TABLE sub_t (id INT, name TEXT)")
	exec1(w, "INSERT INTO sub_t VALUES (1, 'first')")
	exec1(c, "DECLARE c CURSOR FOR SUBSCRIBE sub_t")
	fetch := func(sql string) []string {
		rs, err := c.Query(ctx(), sql)
		must(err, sql)
		out, err := pgx.CollectRows(rs, func(r pgx.CollectableRow) (string, error) {
			m, err := pgx.RowToMap(r)
			return fmt.Sprintf("%v|%v|%v", m["id"], m["name"], m["op"]), err
		})
		must(err, "collect")
		return out
	}
	expectEq([]string{"1|first|Insert"}, fetch("FETCH ALL FROM c WITH (timeout = '5s')"), "the contents")
	exec1(w, "INSERT INTO sub_t VALUES (2, 'second')")
	exec1(w, "DELETE FROM sub_t WHERE id = 1")
	got := []string{}
	deadline := time.Now().Add(30 * time.Second)
	for len(got) < 2 && time.Now().Before(deadline) {
		got = append(got, fetch("FETCH 10 FROM c WITH (timeout = '5s')")...)
	}
	expectEq([]string{"2|second|Insert", "1|first|Delete"}, got, "the changes")
	// PgConn.CancelRequest (a CancelRequest on a connection of its own, safe from another
	// goroutine) ends a FETCH that waits for changes with 57014, and the connection goes on.
	// Sent until the FETCH ends: a cancel that comes before the FETCH waits is forgotten.
	done := make(chan struct{})
	sent := make(chan struct{})
	go func() {
		defer close(sent)
		for {
			select {
			case <-done:
				return
			case <-time.After(200 * time.Millisecond):
				_ = c.PgConn().CancelRequest(ctx())
			}
		}
	}()
	start := time.Now()
	_, err := c.Exec(ctx(), "FETCH ALL FROM c WITH (timeout = '60s')")
	close(done)
	<-sent
	var pe *pgconn.PgError
	expect(errors.As(err, &pe) && pe.Code == "57014", "a cancelled FETCH: 57014, got %v", err)
	expect(time.Since(start) < 30*time.Second, "cancelled promptly")
	expectEq([]string{"1"}, rows(c, "SELECT count(*) FROM sub_t"), "the connection after the cancel")
	exec1(c, "CLOSE c")
}

// cancelAndTimeouts: a context deadline on a long query (a cross join of two 20,000-row tables
// under an aggregate, about a minute alone) with pgx sending a CancelRequest when the context ends
// (CancelRequestContextWatcherHandler; pgx's default closes the connection instead): 57014 soon
// after the deadline, the connection goes on, a cancelled INSERT ... SELECT inserts nothing; and
// statement_timeout as a startup parameter (RuntimeParams) and with SET.
func cancelAndTimeouts() {
	cfg, err := pgx.ParseConfig("postgres://root@127.0.0.1:" + port + "/dev?sslmode=disable&connect_timeout=10")
	must(err, "config")
	cfg.BuildContextWatcherHandler = func(pc *pgconn.PgConn) ctxwatch.Handler {
		return &pgconn.CancelRequestContextWatcherHandler{Conn: pc, DeadlineDelay: 10 * time.Second}
	}
	c, err := pgx.ConnectConfig(ctx(), cfg)
	must(err, "connect")
	defer c.Close(ctx())
	exec1(c, "CREATE TABLE px_a (x BIGINT)")
	exec1(c, "CREATE TABLE px_b (y BIGINT)")
	exec1(c, "CREATE TABLE px_c (n BIGINT)")
	exec1(c, "INSERT INTO px_a SELECT * FROM generate_series(1, 20000)")
	exec1(c, "INSERT INTO px_b SELECT * FROM generate_series(1, 20000)")
	for _, sql := range []string{"SELECT count(*), sum(x * y) FROM px_a, px_b",
		"INSERT INTO px_c SELECT x * y FROM px_a, px_b"} {
		qctx, stop := context.WithTimeout(ctx(), time.Second)
		start := time.Now()
		_, err := c.Exec(qctx, sql)
		stop()
		took := time.Since(start)
		var pe *pgconn.PgError
		expect(errors.As(err, &pe) && pe.Code == "57014", "%s after its context's deadline: 57014, got %v", sql, err)
		expect(strings.Contains(pe.Message, "user request"), "message: %s", pe.Message)
		expect(took >= time.Second && took < 5*time.Second, "%s: stopped after %v", sql, took)
		expectEq([]string{"1"}, rows(c, "SELECT 1"), "the connection after the cancel")
	}
	expectEq([]string{"0"}, rows(c, "SELECT count(*) FROM px_c"), "a cancelled INSERT ... SELECT inserted nothing")
	// statement_timeout as a startup parameter of its own (pgx's RuntimeParams).
	cfg2, err := pgx.ParseConfig("postgres://root@127.0.0.1:" + port + "/dev?sslmode=disable&connect_timeout=10")
	must(err, "config")
	cfg2.RuntimeParams["statement_timeout"] = "500"
	t, err := pgx.ConnectConfig(ctx(), cfg2)
	must(err, "connect with statement_timeout")
	defer t.Close(ctx())
	expectEq([]string{"500ms"}, rows(t, "SHOW statement_timeout"), "statement_timeout from the startup message")
	start := time.Now()
	_, err = t.Exec(ctx(), "SELECT count(*), sum(x * y) FROM px_a, px_b")
	var pe *pgconn.PgError
	expect(errors.As(err, &pe) && pe.Code == "57014" && strings.Contains(pe.Message, "statement timeout"),
		"statement_timeout: 57014, got %v", err)
	expect(time.Since(start) >= 500*time.Millisecond && time.Since(start) < 5*time.Second, "statement_timeout took %v", time.Since(start))
	exec1(t, "SET statement_timeout = '3s'")
	expectEq([]string{"3s"}, rows(t, "SHOW statement_timeout"), "SET statement_timeout")
	exec1(t, "RESET statement_timeout")
	expectEq([]string{"0"}, rows(t, "SHOW statement_timeout"), "RESET statement_timeout")
	expectEq([]string{"20000"}, rows(t, "SELECT count(*) FROM px_a"), "the connection after the timeout")
}

func main() {
	port, runnel, bootstrap, topic, keyedTopic = os.Args[1], os.Args[2], os.Args[3], os.Args[4], os.Args[5]
	var cancel context.CancelFunc
	rootCtx, cancel = context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	checks := []struct {
		name string
		fn   func()
	}{
		{"connect_and_server_info", connectAndServerInfo},
		{"simple_protocol", simpleProtocol},
		{"prepared_typed_parameters", preparedTypedParameters},
		{"type_map", typeMap},
		{"source_view_follows_topic", sourceViewFollowsTopic},
		{"upsert_table_follows_keys", upsertTableFollowsKeys},
		{"errors_carry_sqlstate", errorsCarrySqlstate},
		{"subscribe_cursor", subscribeCursor},
		{"cancel_and_timeouts", cancelAndTimeouts},
	}
	passed, failed := 0, 0
	for _, c := range checks {
		start := time.Now()
		ok := func() (ok bool) {
			defer func() {
				if r := recover(); r != nil {
					fmt.Printf("FAIL %s: %v\n", c.name, r)
					if _, mine := r.(failure); !mine {
						fmt.Println(string(debug.Stack()))
					}
					ok = false
				}
			}()
			c.fn()
			return true
		}()
		if ok {
			passed++
			fmt.Printf("PASS %s (%.1fs)\n", c.name, time.Since(start).Seconds())
		} else {
			failed++
		}
	}
	fmt.Printf("%d passed, %d failed\n", passed, failed)
	if failed > 0 {
		cancel()
		os.Exit(1)
	}
}
