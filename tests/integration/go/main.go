// Go Kafka clients against runnel: franz-go (kgo, kadm) and Sarama, run by
// tests/integration/test_go_clients.py as `go run . BOOTSTRAP`. Each check
// prints PASS/FAIL; the last line is 'N passed, M failed'.
package main

import (
	"fmt"
	"os"
	"runtime/debug"
	"time"
)

var bootstrap string

type failure string

// expect fails the running check with a message when cond is false.
func expect(cond bool, format string, args ...any) {
	if !cond {
		panic(failure(fmt.Sprintf(format, args...)))
	}
}

// must fails the running check on an error.
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

func main() {
	bootstrap = os.Args[1]
	checks := []struct {
		name string
		fn   func()
	}{
		{"franz_admin_topics_configs", franzAdmin},
		{"franz_idempotent_produce", franzProduce},
		{"franz_list_offsets", franzListOffsets},
		{"franz_consumer_group", franzGroup},
		{"franz_group_offsets_admin", franzGroupAdmin},
		{"franz_delete_records", franzDeleteRecords},
		{"sarama_admin_topics_configs", saramaAdmin},
		{"sarama_idempotent_produce", saramaProduce},
		{"sarama_consumer_group", saramaGroup},
		{"sarama_group_offsets_admin", saramaGroupAdmin},
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
		os.Exit(1)
	}
}
