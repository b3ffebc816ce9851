// PostgreSQL's JDBC driver (pgJDBC, profile pgjdbc) against runnel's SQL:
// the simple and the extended query protocol, prepared statements with typed
// parameters (also past prepareThreshold, where pgJDBC switches to named
// server-side statements and binary results), typed getters and
// ResultSetMetaData, DatabaseMetaData (pg_catalog queries), a source over a
// Kafka topic with a materialized view that follows new records, SQLSTATE
// errors after which the connection goes on, and a SUBSCRIBE cursor through
// DECLARE/FETCH. Run by test_sql_pgjdbc.py.
//
// Usage: java -cp 'lib/pgjdbc/*:classes' PgJdbcCheck SQL_PORT RUNNEL BOOTSTRAP TOPIC KEYED_TOPIC
// (RUNNEL BOOTSTRAP: `runnel produce` writes to TOPIC and KEYED_TOPIC, which the test made.)
// Prints PASS/FAIL per check and 'N passed, M failed' last; exit 1 on failure.

import java.io.OutputStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

public final class PgJdbcCheck {
  static int port;
  static String runnel, bootstrap, topic, keyedTopic;
  static int passed = 0, failed = 0;

  interface Check {
    void run() throws Exception;
  }

  interface Cond {
    boolean get() throws Exception;
  }

  static void check(String name, Check c) {
    long start = System.nanoTime();
    try {
      c.run();
      passed++;
      System.out.printf("PASS %s (%.1fs)%n", name, (System.nanoTime() - start) / 1e9);
    } catch (Throwable t) {
      failed++;
      System.out.println("FAIL " + name);
      t.printStackTrace(System.out);
    }
    System.out.flush();
  }

  static void expect(boolean cond, String what) {
    if (!cond) throw new AssertionError(what);
  }

  static void expectEq(Object want, Object got, String what) {
    if (want == null ? got != null : !want.equals(got))
      throw new AssertionError(what + ": want <" + want + ">, got <" + got + ">");
  }

  static void waitUntil(Cond cond, long timeoutMs, String what) throws Exception {
    long deadline = System.currentTimeMillis() + timeoutMs;
    while (System.currentTimeMillis() < deadline) {
      if (cond.get()) return;
      Thread.sleep(50);
    }
    throw new AssertionError("timed out after " + timeoutMs + " ms waiting for " + what);
  }

  static Connection connect(String... props) throws SQLException {
    Properties p = new Properties();
    p.setProperty("user", "root");
    p.setProperty("connectTimeout", "10");
    p.setProperty("socketTimeout", "60");
    for (int i = 0; i + 1 < props.length; i += 2) p.setProperty(props[i], props[i + 1]);
    return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/dev", p);
  }

  // Every row of a query as "a|b|c" lines (getString of each column).
  static List<String> rows(Connection c, String sql) throws SQLException {
    List<String> out = new ArrayList<>();
    try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
      int n = rs.getMetaData().getColumnCount();
      while (rs.next()) {
        StringBuilder b = new StringBuilder();
        for (int i = 1; i <= n; i++) b.append(i > 1 ? "|" : "").append(rs.getString(i));
        out.add(b.toString());
      }
    }
    return out;
  }

  // `runnel produce TOPIC -b BOOTSTRAP`, one record per line.
  static void produce(String... lines) throws Exception {
    produceTo(List.of(runnel, "produce", topic, "-q", "-b", bootstrap), lines);
  }

  // Keyed records "key|value" to KEYED_TOPIC; an empty value is a tombstone.
  static void produceKeyed(String... lines) throws Exception {
    produceTo(List.of(runnel, "produce", keyedTopic, "-q", "-b", bootstrap, "-K", "|", "-Z"), lines);
  }

  static void produceTo(List<String> cmd, String... lines) throws Exception {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    try (OutputStream in = p.getOutputStream()) {
      for (String l : lines) in.write((l + "\n").getBytes(StandardCharsets.UTF_8));
    }
    expect(p.waitFor(60, TimeUnit.SECONDS), "runnel produce did not finish");
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    expectEq(0, p.exitValue(), "runnel produce's exit code (" + out + ")");
  }

  static void connectAndServerInfo() throws Exception {
    try (Connection c = connect()) {
      DatabaseMetaData md = c.getMetaData();
      expectEq("PostgreSQL", md.getDatabaseProductName(), "database product");
      expect(md.getDatabaseProductVersion().startsWith("15"), "server version " + md.getDatabaseProductVersion());
      expectEq(15, md.getDatabaseMajorVersion(), "major version");
      expectEq("dev", c.getCatalog(), "catalog (database)");
      expectEq("root", md.getUserName(), "user");
      System.out.println("  pgJDBC " + md.getDriverVersion() + ", server " + md.getDatabaseProductVersion());
    }
  }

  // preferQueryMode=simple: every statement as one Query message, parameters
  // written in by the driver.
  static void simpleProtocol() throws Exception {
    try (Connection c = connect("preferQueryMode", "simple"); Statement st = c.createStatement()) {
      st.execute("CREATE TABLE simple_t (id INT PRIMARY KEY, name TEXT)");
      expectEq(2, st.executeUpdate("INSERT INTO simple_t VALUES (1, 'one'), (2, 'it''s')"), "insert count");
      try (PreparedStatement ps = c.prepareStatement("SELECT name FROM simple_t WHERE id = ?")) {
        ps.setInt(1, 2);
        try (ResultSet rs = ps.executeQuery()) {
          expect(rs.next(), "a row");
          expectEq("it's", rs.getString(1), "name");
          expect(!rs.next(), "one row");
        }
      }
      expectEq(List.of("1|one", "2|it's"), rows(c, "SELECT id, name FROM simple_t ORDER BY id"), "rows");
    }
  }

  // The default (extended) protocol: Parse/Bind/Describe/Execute/Sync. Past
  // prepareThreshold (here 2) pgJDBC names the statement on the server, asks
  // for binary results and sends int/bigint/double parameters in binary.
  static void preparedTypedParameters() throws Exception {
    try (Connection c = connect("prepareThreshold", "2"); Statement st = c.createStatement()) {
      st.execute("CREATE TABLE typed (id BIGINT PRIMARY KEY, n INT, name TEXT, ok BOOLEAN, score DOUBLE PRECISION, "
                 + "at TIMESTAMP, amount NUMERIC(10,2), small SMALLINT, day DATE)");
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO typed VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
        for (int i = 1; i <= 6; i++) {
          ps.setLong(1, 10_000_000_000L + i);
          ps.setInt(2, -i);
          ps.setString(3, i % 2 == 0 ? "even 'quoted'" : "odd");
          ps.setBoolean(4, i % 2 == 0);
          ps.setDouble(5, i + 0.25);
          ps.setTimestamp(6, Timestamp.valueOf(LocalDateTime.of(2024, 3, 15, 10, 0, i, 123_456_000)));
          ps.setBigDecimal(7, new BigDecimal(i + ".50"));
          ps.setShort(8, (short) (i * 100));
          ps.setDate(9, java.sql.Date.valueOf("2024-03-1" + i));
          expectEq(1, ps.executeUpdate(), "insert " + i);
        }
        // NULLs of each type.
        ps.setLong(1, 1);
        ps.setNull(2, Types.INTEGER);
        ps.setNull(3, Types.VARCHAR);
        ps.setNull(4, Types.BOOLEAN);
        ps.setNull(5, Types.DOUBLE);
        ps.setNull(6, Types.TIMESTAMP);
        ps.setNull(7, Types.NUMERIC);
        ps.setNull(8, Types.SMALLINT);
        ps.setNull(9, Types.DATE);
        expectEq(1, ps.executeUpdate(), "insert of NULLs");
      }
      String q = "SELECT id, n, name, ok, score, at, amount, small, day FROM typed WHERE id = ? AND ok = ? "
                 + "AND score > ? AND name <> ? AND at >= ?";
      try (PreparedStatement ps = c.prepareStatement(q)) {
        for (int round = 0; round < 4; round++) {  // unnamed, then named with binary results
          ps.setLong(1, 10_000_000_004L);
          ps.setBoolean(2, true);
          ps.setDouble(3, 1.5);
          ps.setString(4, "nobody");
          ps.setTimestamp(5, Timestamp.valueOf("2024-03-15 10:00:00"));
          try (ResultSet rs = ps.executeQuery()) {
            expect(rs.next(), "round " + round + ": a row");
            expectEq(10_000_000_004L, rs.getLong("id"), "getLong");
            expectEq(-4, rs.getInt("n"), "getInt");
            expectEq("even 'quoted'", rs.getString("name"), "getString");
            expectEq(true, rs.getBoolean("ok"), "getBoolean");
            expectEq(4.25, rs.getDouble("score"), "getDouble");
            expectEq(Timestamp.valueOf(LocalDateTime.of(2024, 3, 15, 10, 0, 4, 123_456_000)),
                     rs.getTimestamp("at"), "getTimestamp");
            expectEq(LocalDateTime.of(2024, 3, 15, 10, 0, 4, 123_456_000), rs.getObject("at", LocalDateTime.class),
                     "getObject(LocalDateTime)");
            expectEq(new BigDecimal("4.50"), rs.getBigDecimal("amount"), "getBigDecimal");
            expectEq((short) 400, rs.getShort("small"), "getShort");
            expectEq(java.sql.Date.valueOf("2024-03-14"), rs.getDate("day"), "getDate");
            expectEq(Long.class, rs.getObject("id").getClass(), "getObject(bigint) class");
            expectEq(Integer.class, rs.getObject("n").getClass(), "getObject(int) class");
            expectEq(Boolean.class, rs.getObject("ok").getClass(), "getObject(boolean) class");
            expectEq(Double.class, rs.getObject("score").getClass(), "getObject(double) class");
            ResultSetMetaData md = rs.getMetaData();
            int[] want = {Types.BIGINT, Types.INTEGER, Types.VARCHAR, Types.BIT, Types.DOUBLE, Types.TIMESTAMP,
                          Types.NUMERIC, Types.SMALLINT, Types.DATE};
            String[] names = {"int8", "int4", "text", "bool", "float8", "timestamp", "numeric", "int2", "date"};
            for (int i = 0; i < want.length; i++) {
              expectEq(want[i], md.getColumnType(i + 1), "column type of " + md.getColumnName(i + 1));
              expectEq(names[i], md.getColumnTypeName(i + 1), "column type name of " + md.getColumnName(i + 1));
            }
            expect(!rs.next(), "one row");
          }
        }
      }
      // The NULL row through the getters.
      try (PreparedStatement ps = c.prepareStatement("SELECT n, name, ok, score, at, amount FROM typed WHERE id = ?")) {
        ps.setLong(1, 1);
        try (ResultSet rs = ps.executeQuery()) {
          expect(rs.next(), "the NULL row");
          expectEq(0, rs.getInt(1), "getInt of NULL");
          expect(rs.wasNull(), "wasNull");
          expectEq(null, rs.getString(2), "getString of NULL");
          expectEq(null, rs.getObject(3), "getObject of NULL");
          expectEq(null, rs.getTimestamp(5), "getTimestamp of NULL");
          expectEq(null, rs.getBigDecimal(6), "getBigDecimal of NULL");
        }
      }
      // setObject with java.time values and a batch.
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO typed (id, at, name) VALUES (?, ?, ?)")) {
        for (int i = 0; i < 3; i++) {
          ps.setObject(1, 100L + i);
          ps.setObject(2, LocalDateTime.of(2025, 1, 1, 0, 0, i));
          ps.setObject(3, "batch " + i);
          ps.addBatch();
        }
        int[] counts = ps.executeBatch();
        expectEq(3, counts.length, "batch counts");
        for (int n : counts) expectEq(1, n, "batch count");
      }
      expectEq(List.of("100|2025-01-01 00:00:00|batch 0", "102|2025-01-01 00:00:02|batch 2"),
               rows(c, "SELECT id, at, name FROM typed WHERE id IN (100, 102) ORDER BY id"), "batch rows");
    }
  }

  // setFetchSize outside autocommit: pgJDBC reads the result in portions
  // (Execute with a row limit, PortalSuspended, Execute again).
  static void fetchSizeInPortions() throws Exception {
    try (Connection c = connect(); Statement st = c.createStatement()) {
      st.execute("CREATE TABLE many (i INT)");
      st.execute("INSERT INTO many SELECT * FROM (VALUES (1), (2), (3), (4), (5), (6), (7)) AS v(i)");
      c.setAutoCommit(false);
      try (Statement s2 = c.createStatement()) {
        s2.setFetchSize(3);
        try (ResultSet rs = s2.executeQuery("SELECT i FROM many ORDER BY i")) {
          int want = 1;
          while (rs.next()) expectEq(want++, rs.getInt(1), "row in order");
          expectEq(8, want, "all seven rows");
        }
      }
      c.commit();
    }
  }

  static void databaseMetaData() throws Exception {
    try (Connection c = connect(); Statement st = c.createStatement()) {
      st.execute("CREATE TABLE md_orders (id INT PRIMARY KEY, item VARCHAR, amount NUMERIC(10,2), at TIMESTAMP)");
      st.execute("CREATE MATERIALIZED VIEW md_per_item AS SELECT item, count(*) AS n FROM md_orders GROUP BY item");
      st.execute("CREATE VIEW md_ids AS SELECT id FROM md_orders");
      DatabaseMetaData md = c.getMetaData();
      List<String> got = new ArrayList<>();
      try (ResultSet rs = md.getTables(null, "public", "md_%", null)) {
        while (rs.next())
          got.add(rs.getString("TABLE_SCHEM") + "." + rs.getString("TABLE_NAME") + ":" + rs.getString("TABLE_TYPE"));
      }
      expectEq(List.of("public.md_per_item:MATERIALIZED VIEW", "public.md_orders:TABLE", "public.md_ids:VIEW"),
               got, "getTables");
      got.clear();
      try (ResultSet rs = md.getTables(null, null, "%", new String[] {"TABLE"})) {
        while (rs.next()) got.add(rs.getString("TABLE_NAME"));
      }
      expect(got.contains("md_orders") && !got.contains("md_ids"), "getTables of type TABLE: " + got);
      got.clear();
      try (ResultSet rs = md.getColumns(null, "public", "md_orders", "%")) {
        while (rs.next())
          got.add(rs.getString("COLUMN_NAME") + ":" + rs.getInt("DATA_TYPE") + ":" + rs.getString("TYPE_NAME") + ":"
                  + rs.getInt("ORDINAL_POSITION") + ":" + rs.getInt("NULLABLE"));
      }
      expectEq(List.of("id:" + Types.INTEGER + ":int4:1:" + DatabaseMetaData.columnNoNulls,
                       "item:" + Types.VARCHAR + ":varchar:2:" + DatabaseMetaData.columnNullable,
                       "amount:" + Types.NUMERIC + ":numeric:3:" + DatabaseMetaData.columnNullable,
                       "at:" + Types.TIMESTAMP + ":timestamp:4:" + DatabaseMetaData.columnNullable),
               got, "getColumns");
      got.clear();
      try (ResultSet rs = md.getColumns(null, null, "md_per_item", null)) {
        while (rs.next()) got.add(rs.getString("COLUMN_NAME") + ":" + rs.getString("TYPE_NAME"));
      }
      expectEq(List.of("item:varchar", "n:int8"), got, "getColumns of a materialized view");
      got.clear();
      // Primary keys, in key order (not column order), as PostgreSQL answers;
      // none for a view or a table without one.
      st.execute("CREATE TABLE md_pairs (a INT, b VARCHAR, v INT, PRIMARY KEY (b, a))");
      for (String t : new String[] {"md_orders", "md_pairs", "md_per_item"}) {
        try (ResultSet rs = md.getPrimaryKeys(null, "public", t)) {
          while (rs.next())
            got.add(rs.getString("TABLE_CAT") + "." + rs.getString("TABLE_SCHEM") + "."
                    + rs.getString("TABLE_NAME") + ":" + rs.getString("COLUMN_NAME") + ":"
                    + rs.getShort("KEY_SEQ") + ":" + rs.getString("PK_NAME"));
        }
      }
      try (ResultSet rs = md.getPrimaryKeys(null, null, "md_pairs")) {
        while (rs.next()) got.add(rs.getString("COLUMN_NAME"));
      }
      expectEq(List.of("dev.public.md_orders:id:1:md_orders_pkey", "dev.public.md_pairs:b:1:md_pairs_pkey",
                       "dev.public.md_pairs:a:2:md_pairs_pkey", "b", "a"),
               got, "getPrimaryKeys");
      got.clear();
      try (ResultSet rs = md.getSchemas()) {
        while (rs.next()) got.add(rs.getString("TABLE_SCHEM"));
      }
      expectEq(List.of("information_schema", "pg_catalog", "public"), got, "getSchemas");
      got.clear();
      try (ResultSet rs = md.getCatalogs()) {
        while (rs.next()) got.add(rs.getString("TABLE_CAT"));
      }
      expectEq(List.of("dev"), got, "getCatalogs");
      got.clear();
      try (ResultSet rs = md.getTableTypes()) {
        while (rs.next()) got.add(rs.getString("TABLE_TYPE"));
      }
      expect(got.containsAll(List.of("TABLE", "VIEW", "MATERIALIZED VIEW", "FOREIGN TABLE")), "getTableTypes: " + got);
      // A primary key is a unique index named <table>_pkey, as in PostgreSQL; its columns in
      // key order. No index for a table without a key or a view.
      got.clear();
      for (String t : new String[] {"md_orders", "md_pairs", "md_per_item"}) {
        for (boolean unique : new boolean[] {false, true}) {
          try (ResultSet rs = md.getIndexInfo(null, "public", t, unique, true)) {
            while (rs.next())
              got.add(rs.getString("TABLE_NAME") + ":" + rs.getString("INDEX_NAME") + ":" + rs.getBoolean("NON_UNIQUE")
                      + ":" + rs.getShort("TYPE") + ":" + rs.getShort("ORDINAL_POSITION") + ":"
                      + rs.getString("COLUMN_NAME") + ":" + rs.getString("ASC_OR_DESC"));
          }
        }
      }
      String other = ":" + DatabaseMetaData.tableIndexOther;
      expectEq(List.of("md_orders:md_orders_pkey:false" + other + ":1:id:A", "md_orders:md_orders_pkey:false" + other + ":1:id:A",
                       "md_pairs:md_pairs_pkey:false" + other + ":1:b:A", "md_pairs:md_pairs_pkey:false" + other + ":2:a:A",
                       "md_pairs:md_pairs_pkey:false" + other + ":1:b:A", "md_pairs:md_pairs_pkey:false" + other + ":2:a:A"),
               got, "getIndexInfo");
      try (ResultSet rs = md.getIndexInfo(null, null, "md_pairs", false, false)) {
        expect(rs.next() && rs.getString("INDEX_NAME").equals("md_pairs_pkey"), "getIndexInfo without a schema");
      }
      // No foreign keys: the queries run and answer with JDBC's columns, no rows.
      try (ResultSet rs = md.getImportedKeys(null, "public", "md_orders")) {
        expectEq(14, rs.getMetaData().getColumnCount(), "getImportedKeys columns");
        expectEq("FKCOLUMN_NAME", rs.getMetaData().getColumnLabel(8), "getImportedKeys column 8");
        expect(!rs.next(), "no imported keys");
      }
      try (ResultSet rs = md.getExportedKeys(null, "public", "md_orders")) {
        expect(!rs.next(), "no exported keys");
      }
      try (ResultSet rs = md.getCrossReference(null, "public", "md_orders", null, "public", "md_pairs")) {
        expect(!rs.next(), "no cross references");
      }
      // Functions: runnel's scalar functions, generate_series as one returning a table.
      got.clear();
      for (String f : new String[] {"abs", "lower", "current_setting", "generate_series", "no_such_fn"}) {
        try (ResultSet rs = md.getFunctions(null, null, f)) {
          while (rs.next())
            got.add(rs.getString("FUNCTION_SCHEM") + "." + rs.getString("FUNCTION_NAME") + ":"
                    + rs.getShort("FUNCTION_TYPE"));
        }
      }
      expectEq(List.of("pg_catalog.abs:" + DatabaseMetaData.functionNoTable,
                       "pg_catalog.lower:" + DatabaseMetaData.functionNoTable,
                       "pg_catalog.current_setting:" + DatabaseMetaData.functionNoTable,
                       "pg_catalog.generate_series:" + DatabaseMetaData.functionReturnsTable),
               got, "getFunctions");
      try (ResultSet rs = md.getFunctions(null, "pg_catalog", "%")) {
        int n = 0;
        while (rs.next()) ++n;
        expect(n > 50, "getFunctions of pg_catalog: " + n);
      }
      try (ResultSet rs = md.getProcedures(null, null, "%")) {
        expect(!rs.next(), "no procedures");
      }
      try (ResultSet rs = md.getFunctionColumns(null, null, "abs", null)) {
        while (rs.next()) {}  // runs; runnel does not list argument types
      }
      // getTypeInfo: every type runnel has, with its JDBC type.
      got.clear();
      try (ResultSet rs = md.getTypeInfo()) {
        while (rs.next()) got.add(rs.getString("TYPE_NAME") + ":" + rs.getInt("DATA_TYPE"));
      }
      for (String want : new String[] {"bool:" + Types.BIT, "int2:" + Types.SMALLINT, "int4:" + Types.INTEGER,
                                       "int8:" + Types.BIGINT, "numeric:" + Types.NUMERIC, "float8:" + Types.DOUBLE,
                                       "text:" + Types.VARCHAR, "varchar:" + Types.VARCHAR, "date:" + Types.DATE,
                                       "timestamp:" + Types.TIMESTAMP, "jsonb:" + Types.OTHER, "bytea:" + Types.BINARY})
        expect(got.contains(want), "getTypeInfo has " + want + ": " + got);
      // getColumns of each type.
      st.execute("CREATE TABLE md_types (b BOOLEAN, s SMALLINT, l BIGINT, f DOUBLE PRECISION, r REAL, t TEXT, "
                 + "c CHAR(3), d DATE, tz TIMESTAMPTZ, tm TIME, iv INTERVAL, j JSONB, y BYTEA)");
      got.clear();
      try (ResultSet rs = md.getColumns(null, "public", "md_types", "%")) {
        while (rs.next()) got.add(rs.getString("COLUMN_NAME") + ":" + rs.getInt("DATA_TYPE") + ":" + rs.getString("TYPE_NAME"));
      }
      expectEq(List.of("b:" + Types.BIT + ":bool", "s:" + Types.SMALLINT + ":int2", "l:" + Types.BIGINT + ":int8",
                       "f:" + Types.DOUBLE + ":float8", "r:" + Types.REAL + ":float4", "t:" + Types.VARCHAR + ":text",
                       "c:" + Types.CHAR + ":bpchar", "d:" + Types.DATE + ":date", "tz:" + Types.TIMESTAMP + ":timestamptz",
                       "tm:" + Types.TIME + ":time", "iv:" + Types.OTHER + ":interval", "j:" + Types.OTHER + ":jsonb",
                       "y:" + Types.BINARY + ":bytea"),
               got, "getColumns of every type");
    }
  }

  // Types outside pgJDBC's built-in list (jsonb, interval) make it ask the
  // server about them (TypeInfoCache: pg_type, regproc, generate_series,
  // array_upper); the rest through their getters, text and binary.
  static void otherTypes() throws Exception {
    try (Connection c = connect("prepareThreshold", "1"); Statement st = c.createStatement()) {
      st.execute("CREATE TABLE other (id INT PRIMARY KEY, j JSONB, iv INTERVAL, b BYTEA, tz TIMESTAMPTZ, t TIME)");
      st.execute("INSERT INTO other VALUES (1, '{\"a\": [1, 2]}', '1 day 02:00:00', '\\x0102ff', "
                 + "'2024-03-15 10:00:00+00', '10:30:00.5')");
      int[] want = {Types.INTEGER, Types.OTHER, Types.OTHER, Types.BINARY, Types.TIMESTAMP, Types.TIME};
      String[] names = {"int4", "jsonb", "interval", "bytea", "timestamptz", "time"};
      for (int round = 0; round < 2; round++) {  // unnamed, then named with binary results
        try (PreparedStatement ps = c.prepareStatement("SELECT id, j, iv, b, tz, t FROM other WHERE id = ?")) {
          ps.setInt(1, 1);
          try (ResultSet rs = ps.executeQuery()) {
            ResultSetMetaData md = rs.getMetaData();
            for (int i = 0; i < want.length; i++) {
              expectEq(want[i], md.getColumnType(i + 1), "column type of " + md.getColumnName(i + 1));
              expectEq(names[i], md.getColumnTypeName(i + 1), "column type name of " + md.getColumnName(i + 1));
            }
            expect(rs.next(), "a row");
            expectEq("{\"a\": [1, 2]}", rs.getString("j"), "jsonb");
            expectEq("1 day 02:00:00", rs.getString("iv"), "interval");
            expect(java.util.Arrays.equals(new byte[] {1, 2, (byte) 0xff}, rs.getBytes("b")), "bytea");
            expectEq(java.time.OffsetDateTime.parse("2024-03-15T10:00:00Z"),
                     rs.getObject("tz", java.time.OffsetDateTime.class), "timestamptz");
            expectEq(java.time.LocalTime.parse("10:30:00.5"), rs.getObject("t", java.time.LocalTime.class), "time");
          }
        }
      }
      List<String> got = new ArrayList<>();
      try (ResultSet rs = c.getMetaData().getColumns(null, "public", "other", null)) {
        while (rs.next()) got.add(rs.getString("COLUMN_NAME") + ":" + rs.getInt("DATA_TYPE") + ":" + rs.getString("TYPE_NAME"));
      }
      expectEq(List.of("id:" + Types.INTEGER + ":int4", "j:" + Types.OTHER + ":jsonb", "iv:" + Types.OTHER + ":interval",
                       "b:" + Types.BINARY + ":bytea", "tz:" + Types.TIMESTAMP + ":timestamptz",
                       "t:" + Types.TIME + ":time"), got, "getColumns");
    }
  }

  static void sourceViewFollowsTopic() throws Exception {
    produce("{\"user_id\": 1, \"page\": \"/home\", \"ts\": \"2024-03-15 10:00:00\"}",
            "{\"user_id\": 2, \"page\": \"/home\", \"ts\": \"2024-03-15 10:00:01\"}",
            "{\"user_id\": 3, \"page\": \"/about\", \"ts\": \"2024-03-15 10:00:02\"}");
    try (Connection c = connect(); Statement st = c.createStatement()) {
      st.execute("CREATE SOURCE clicks (user_id INT, page TEXT, ts TIMESTAMP) WITH (connector = 'kafka', topic = '"
                 + topic + "', scan.startup.mode = 'earliest') FORMAT PLAIN ENCODE JSON");
      st.execute("CREATE MATERIALIZED VIEW visits AS SELECT page, count(*) AS n, max(ts) AS last FROM clicks GROUP BY page");
      String q = "SELECT page, n, last FROM visits WHERE n >= ? ORDER BY page";
      try (PreparedStatement ps = c.prepareStatement(q)) {
        Cond seen = () -> {
          ps.setLong(1, 1);
          List<String> got = new ArrayList<>();
          try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) got.add(rs.getString(1) + "|" + rs.getLong(2) + "|" + rs.getTimestamp(3));
          }
          return got.equals(List.of("/about|1|2024-03-15 10:00:02.0", "/home|2|2024-03-15 10:00:01.0"));
        };
        waitUntil(seen, 30000, "the view over the topic");
        produce("{\"user_id\": 4, \"page\": \"/home\", \"ts\": \"2024-03-15 10:05:00\"}",
                "{\"user_id\": 5, \"page\": \"/new\", \"ts\": \"2024-03-15 10:06:00\"}");
        Cond updated = () -> {
          ps.setLong(1, 1);
          List<String> got = new ArrayList<>();
          try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) got.add(rs.getString(1) + "|" + rs.getLong(2) + "|" + rs.getTimestamp(3));
          }
          return got.equals(List.of("/about|1|2024-03-15 10:00:02.0", "/home|3|2024-03-15 10:05:00.0",
                                    "/new|1|2024-03-15 10:06:00.0"));
        };
        waitUntil(updated, 30000, "the view after more records");
      }
      expectEq(List.of("5"), rows(c, "SELECT count(*) FROM clicks"), "the source's rows");
    }
  }

  // An upsert table over a keyed topic: a record replaces its key's row, a
  // tombstone deletes it; a view over the table follows.
  static void upsertTableFollowsKeys() throws Exception {
    try (Connection c = connect(); Statement st = c.createStatement()) {
      st.execute("CREATE TABLE users (id INT PRIMARY KEY, name TEXT, score NUMERIC) WITH (connector = 'kafka', "
                 + "topic = '" + keyedTopic + "') FORMAT UPSERT ENCODE JSON");
      st.execute("CREATE MATERIALIZED VIEW user_total AS SELECT count(*) AS n, sum(score) AS s FROM users");
      produceKeyed("1|{\"id\": 1, \"name\": \"ann\", \"score\": 10.25}", "2|{\"id\": 2, \"name\": \"bob\", \"score\": 1}");
      waitUntil(() -> rows(c, "SELECT id, name, score FROM users ORDER BY id").equals(List.of("1|ann|10.25", "2|bob|1")),
                30000, "the table over the keyed topic");
      produceKeyed("1|{\"id\": 1, \"name\": \"ann\", \"score\": 0.75}", "2|");
      waitUntil(() -> rows(c, "SELECT id, name, score FROM users ORDER BY id").equals(List.of("1|ann|0.75")), 30000,
                "the update and the tombstone");
      try (ResultSet rs = st.executeQuery("SELECT n, s FROM user_total")) {
        expect(rs.next(), "a row");
        expectEq(1L, rs.getLong(1), "count");
        expectEq(new BigDecimal("0.75"), rs.getBigDecimal(2), "sum");
      }
    }
  }

  static void errorsCarrySqlstate() throws Exception {
    try (Connection c = connect(); Statement st = c.createStatement()) {
      try {
        st.executeQuery("SELECT nope FROM missing");
        throw new AssertionError("no error");
      } catch (SQLException e) {
        expectEq("42P01", e.getSQLState(), "SQLSTATE of a missing relation (" + e.getMessage() + ")");
        expect(e.getMessage().contains("relation \"missing\" does not exist"), e.getMessage());
      }
      // The same through a prepared statement with a parameter.
      try (PreparedStatement ps = c.prepareStatement("SELECT 1 / ?")) {
        ps.setInt(1, 0);
        ps.executeQuery();
        throw new AssertionError("no error");
      } catch (SQLException e) {
        expectEq("22012", e.getSQLState(), "SQLSTATE of a division by zero (" + e.getMessage() + ")");
      }
      try {
        st.execute("SELEC 1");
        throw new AssertionError("no error");
      } catch (SQLException e) {
        expectEq("42601", e.getSQLState(), "SQLSTATE of a syntax error (" + e.getMessage() + ")");
      }
      expectEq(List.of("2"), rows(c, "SELECT 1 + 1"), "the connection after errors");
      // In a transaction (pgJDBC sends BEGIN): an error, a rollback, and on.
      c.setAutoCommit(false);
      try {
        st.executeQuery("SELECT * FROM missing_too");
        throw new AssertionError("no error");
      } catch (SQLException e) {
        expectEq("42P01", e.getSQLState(), "SQLSTATE in a transaction");
      }
      c.rollback();
      expectEq(List.of("3"), rows(c, "SELECT 1 + 2"), "after the rollback");
      c.commit();
    }
  }

  // A one-off query that alone runs for about a minute: a cross join of two
  // 20,000-row tables (400 million rows) under an aggregate.
  static final String LONG_QUERY = "SELECT count(*), sum(x * y) FROM jc_a, jc_b";

  // Statement.cancel() from another thread (then PGConnection.cancelQuery()
  // until the statement ends: a cancel that comes before it starts is
  // forgotten, as PostgreSQL's is), setQueryTimeout
  // (pgJDBC's own timer, then a cancel) and statement_timeout from the
  // `options` connection property: 57014 within a bounded time, the
  // connection goes on, a cancelled INSERT ... SELECT inserts nothing.
  static void cancelAndTimeouts() throws Exception {
    try (Connection c = connect(); Statement st = c.createStatement()) {
      st.execute("CREATE TABLE jc_a (x BIGINT)");
      st.execute("CREATE TABLE jc_b (y BIGINT)");
      st.execute("CREATE TABLE jc_c (n BIGINT)");
      st.execute("INSERT INTO jc_a SELECT * FROM generate_series(1, 20000)");
      st.execute("INSERT INTO jc_b SELECT * FROM generate_series(1, 20000)");
      java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean();
      java.util.concurrent.atomic.AtomicLong lastCancel = new java.util.concurrent.atomic.AtomicLong();
      // Statement.cancel() sends one CancelRequest per execution (pgJDBC's
      // statement state), which may reach the server before the query does;
      // after it, PGConnection.cancelQuery() sends the same request again.
      org.postgresql.PGConnection pg = c.unwrap(org.postgresql.PGConnection.class);
      Thread canceller = new Thread(() -> {
        try {
          long giveUp = System.currentTimeMillis() + 30000;
          boolean first = true;
          while (!done.get() && System.currentTimeMillis() < giveUp) {
            lastCancel.set(System.currentTimeMillis());
            if (first)
              st.cancel();
            else
              pg.cancelQuery();
            first = false;
            Thread.sleep(100);
          }
        } catch (Exception e) {
          // ends the thread; the query then fails the check by running on
        }
      });
      canceller.start();
      try {
        st.executeQuery(LONG_QUERY);
        throw new AssertionError("not cancelled");
      } catch (SQLException e) {
        long ended = System.currentTimeMillis();
        expectEq("57014", e.getSQLState(), "SQLSTATE of a cancelled query (" + e.getMessage() + ")");
        expect(e.getMessage().contains("user request"), "message: " + e.getMessage());
        expect(ended - lastCancel.get() < 1000, "stopped within 1 s of the cancel: " + (ended - lastCancel.get()));
      } finally {
        done.set(true);
        canceller.join();
      }
      expectEq(List.of("1"), rows(c, "SELECT 1"), "the connection after the cancel");
      // setQueryTimeout: pgJDBC cancels the statement itself after 1 s.
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO jc_c SELECT x * y FROM jc_a, jc_b")) {
        ps.setQueryTimeout(1);
        long start = System.currentTimeMillis();
        try {
          ps.executeUpdate();
          throw new AssertionError("no timeout");
        } catch (SQLException e) {
          long took = System.currentTimeMillis() - start;
          expectEq("57014", e.getSQLState(), "SQLSTATE after setQueryTimeout (" + e.getMessage() + ")");
          expect(took >= 1000 && took < 5000, "setQueryTimeout(1) took " + took + " ms");
        }
      }
      expectEq(List.of("0"), rows(c, "SELECT count(*) FROM jc_c"), "a cancelled INSERT ... SELECT inserted nothing");
    }
    // statement_timeout from the options property (pgJDBC sends it in the startup message).
    try (Connection c = connect("options", "-c statement_timeout=500"); Statement st = c.createStatement()) {
      expectEq(List.of("500ms"), rows(c, "SHOW statement_timeout"), "statement_timeout from options");
      long start = System.currentTimeMillis();
      try {
        st.executeQuery(LONG_QUERY);
        throw new AssertionError("no timeout");
      } catch (SQLException e) {
        long took = System.currentTimeMillis() - start;
        expectEq("57014", e.getSQLState(), "SQLSTATE of statement_timeout (" + e.getMessage() + ")");
        expect(e.getMessage().contains("statement timeout"), "message: " + e.getMessage());
        expect(took >= 500 && took < 5000, "statement_timeout=500 took " + took + " ms");
      }
      st.execute("SET statement_timeout = '2s'");
      expectEq(List.of("2s"), rows(c, "SHOW statement_timeout"), "SET statement_timeout");
      st.execute("RESET statement_timeout");
      expectEq(List.of("0"), rows(c, "SHOW statement_timeout"), "RESET statement_timeout");
      expectEq(List.of("20000"), rows(c, "SELECT count(*) FROM jc_a"), "the connection after the timeout");
    }
  }

  static void subscribeCursor() throws Exception {
    try (Connection c = connect(); Connection w = connect(); Statement st = c.createStatement();
         Statement ws = w.createStatement()) {
      ws.execute("CREATE TABLE sub_t (id INT, name TEXT)");
      ws.execute("INSERT INTO sub_t VALUES (1, 'first')");
      st.execute("DECLARE c CURSOR FOR SUBSCRIBE sub_t");
      List<String> got = new ArrayList<>();
      try (ResultSet rs = st.executeQuery("FETCH ALL FROM c WITH (timeout = '5s')")) {
        ResultSetMetaData md = rs.getMetaData();
        expectEq("op", md.getColumnName(3), "the op column");
        while (rs.next()) got.add(rs.getInt(1) + "|" + rs.getString(2) + "|" + rs.getString("op"));
      }
      expectEq(List.of("1|first|Insert"), got, "the contents");
      ws.execute("INSERT INTO sub_t VALUES (2, 'second')");
      ws.execute("DELETE FROM sub_t WHERE id = 1");
      got.clear();
      long deadline = System.currentTimeMillis() + 30000;
      while (got.size() < 2 && System.currentTimeMillis() < deadline) {
        try (ResultSet rs = st.executeQuery("FETCH 10 FROM c WITH (timeout = '5s')")) {
          while (rs.next()) got.add(rs.getInt(1) + "|" + rs.getString(2) + "|" + rs.getString("op"));
        }
      }
      expectEq(List.of("2|second|Insert", "1|first|Delete"), got, "the changes");
      // Statement.cancel() (a CancelRequest on a connection of its own) ends a FETCH that
      // waits for changes with 57014, and the connection goes on. Cancelled until it ends:
      // a cancel that comes before the FETCH waits is forgotten.
      java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean();
      Thread canceller = new Thread(() -> {
        try {
          while (!done.get()) {
            Thread.sleep(200);
            st.cancel();
          }
        } catch (Exception e) {
          // ends the thread; the FETCH then fails the check by its own timeout
        }
      });
      canceller.start();
      long start = System.currentTimeMillis();
      try {
        st.executeQuery("FETCH ALL FROM c WITH (timeout = '60s')");
        throw new AssertionError("not cancelled");
      } catch (SQLException e) {
        expectEq("57014", e.getSQLState(), "SQLSTATE of a cancelled FETCH (" + e.getMessage() + ")");
      } finally {
        done.set(true);
        canceller.join();
      }
      expect(System.currentTimeMillis() - start < 30000, "cancelled promptly");
      expectEq(List.of("1"), rows(c, "SELECT count(*) FROM sub_t"), "the connection after the cancel");
      st.execute("CLOSE c");
    }
  }

  // SUBSCRIBE run as a query over the extended protocol with a fetch size:
  // the rows come at most two per Execute (PortalSuspended between), each
  // change as it is made, until a cancel. Statement.cancel() sends nothing
  // once executeQuery has returned (pgJDBC deems the statement idle while
  // ResultSet.next() fetches), so the cancel is PGConnection.cancelQuery().
  static void subscribeStreamed() throws Exception {
    try (Connection c = connect(); Connection w = connect(); Statement ws = w.createStatement()) {
      ws.execute("CREATE TABLE sub_s (id INT, name TEXT)");
      ws.execute("INSERT INTO sub_s VALUES (1, 'first')");
      c.setAutoCommit(false);
      PreparedStatement st = c.prepareStatement("SUBSCRIBE sub_s");
      st.setFetchSize(2);
      List<String> got = new ArrayList<>();
      java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean();
      java.util.concurrent.atomic.AtomicBoolean cancelling = new java.util.concurrent.atomic.AtomicBoolean();
      Thread canceller = new Thread(() -> {
        try {
          while (!done.get()) {
            Thread.sleep(100);
            if (cancelling.get()) c.unwrap(org.postgresql.PGConnection.class).cancelQuery();
          }
        } catch (Exception e) {
          // ends the thread; the stream then fails the check by the row bound
        }
      });
      canceller.start();
      try (ResultSet rs = st.executeQuery()) {
        expectEq("rw_timestamp", rs.getMetaData().getColumnName(4), "the columns");
        while (rs.next()) {
          got.add(rs.getInt(1) + "|" + rs.getString(2) + "|" + rs.getString("op"));
          if (got.size() == 1) ws.execute("INSERT INTO sub_s VALUES (2, 'second'), (3, 'third')");
          if (got.size() == 3) ws.execute("DELETE FROM sub_s WHERE id = 1");
          if (got.size() == 4) cancelling.set(true);
          if (got.size() > 100) break;
        }
        throw new AssertionError("not cancelled: " + got);
      } catch (SQLException e) {
        expectEq("57014", e.getSQLState(), "SQLSTATE of a cancelled SUBSCRIBE (" + e.getMessage() + ")");
      } finally {
        done.set(true);
        canceller.join();
      }
      List<String> changes = new ArrayList<>(got.subList(1, 3));
      java.util.Collections.sort(changes);
      expectEq(List.of("1|first|Insert"), got.subList(0, 1), "the contents");
      expectEq(List.of("2|second|Insert", "3|third|Insert"), changes, "the insert");
      expectEq("1|first|Delete", got.get(3), "the delete");
      c.rollback();
      c.setAutoCommit(true);
      expectEq(List.of("2"), rows(c, "SELECT count(*) FROM sub_s"), "the connection after the cancel");
    }
  }

  public static void main(String[] args) throws Exception {
    port = Integer.parseInt(args[0]);
    runnel = args[1];
    bootstrap = args[2];
    topic = args[3];
    keyedTopic = args[4];
    check("connect_and_server_info", PgJdbcCheck::connectAndServerInfo);
    check("simple_protocol", PgJdbcCheck::simpleProtocol);
    check("prepared_typed_parameters", PgJdbcCheck::preparedTypedParameters);
    check("fetch_size_in_portions", PgJdbcCheck::fetchSizeInPortions);
    check("database_metadata", PgJdbcCheck::databaseMetaData);
    check("other_types", PgJdbcCheck::otherTypes);
    check("source_view_follows_topic", PgJdbcCheck::sourceViewFollowsTopic);
    check("upsert_table_follows_keys", PgJdbcCheck::upsertTableFollowsKeys);
    check("errors_carry_sqlstate", PgJdbcCheck::errorsCarrySqlstate);
    check("cancel_and_timeouts", PgJdbcCheck::cancelAndTimeouts);
    check("subscribe_cursor", PgJdbcCheck::subscribeCursor);
    check("subscribe_streamed", PgJdbcCheck::subscribeStreamed);
    System.out.printf("%d passed, %d failed%n", passed, failed);
    System.exit(failed == 0 ? 0 : 1);
  }
}
