package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/jackc/pgx/v5"
)

func main() {
	ctx := context.Background()
	c, err := pgx.Connect(ctx, "postgres://root@127.0.0.1:"+os.Args[1]+"/dev?sslmode=disable")
	if err != nil {
		panic(err)
	}
	c.Exec(ctx, "CREATE TABLE typed (id BIGINT PRIMARY KEY, ok BOOLEAN, score DOUBLE PRECISION, name TEXT, at TIMESTAMP)")
	c.Exec(ctx, "INSERT INTO typed VALUES (4, true, 4.25, 'x', '2024-03-15 10:00:04')")
	for _, q := range []struct {
		sql string
		arg any
	}{{"id = $1", int64(4)}, {"ok = $1", true}, {"score > $1", 0.5}, {"name <> $1", "nobody"}, {"at >= $1", time.Date(2024, 3, 15, 0, 0, 0, 0, time.UTC)}} {
		sd, err := c.Prepare(ctx, "", "SELECT count(*) FROM typed WHERE "+q.sql)
		var n int64
		err2 := c.QueryRow(ctx, "SELECT count(*) FROM typed WHERE "+q.sql, q.arg).Scan(&n)
		fmt.Println(q.sql, sd.ParamOIDs, err, n, err2)
	}
}
