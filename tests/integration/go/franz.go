package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

const (
	franzTopic      = "go-franz"
	franzPartitions = 3
	franzRecords    = 3000
	franzGroupID    = "go-franz-group"
)

var franzFirstTS = time.Now().Add(-time.Minute).UnixMilli()

func ctx30() context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	time.AfterFunc(31*time.Second, cancel)
	return c
}

func franzClient(opts ...kgo.Opt) *kgo.Client {
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(bootstrap)}, opts...)...)
	must(err, "kgo.NewClient")
	return cl
}

func franzAdmin() {
	cl := franzClient()
	defer cl.Close()
	adm := kadm.NewClient(cl)

	brokers, err := adm.ListBrokers(ctx30())
	must(err, "ListBrokers")
	expect(len(brokers) == 1, "one broker: %v", brokers)
	meta, err := adm.BrokerMetadata(ctx30())
	must(err, "BrokerMetadata")
	expect(meta.Cluster != "" && meta.Controller == brokers[0].NodeID, "cluster %q controller %d", meta.Cluster, meta.Controller)

	retention := "86400000"
	_, err = adm.CreateTopic(ctx30(), franzPartitions, 1, map[string]*string{"retention.ms": &retention}, franzTopic)
	must(err, "CreateTopic")
	_, err = adm.CreateTopic(ctx30(), 1, 1, nil, "go-franz-scratch")
	must(err, "CreateTopic scratch")
	_, err = adm.CreateTopic(ctx30(), 1, 1, nil, franzTopic)
	expect(errors.Is(err, kerr.TopicAlreadyExists), "creating an existing topic: %v", err)

	// Metadata catches up with a new topic soon after CreateTopics (on Kafka
	// too); kadm may also answer from the client's metadata cache.
	waitUntil(15*time.Second, "the new topics in ListTopics", func() bool {
		topics, err := adm.ListTopics(ctx30())
		return err == nil && topics.Has(franzTopic) && len(topics[franzTopic].Partitions) == franzPartitions
	})

	cfgs, err := adm.DescribeTopicConfigs(ctx30(), franzTopic)
	must(err, "DescribeTopicConfigs")
	rc, err := cfgs.On(franzTopic, nil)
	must(err, "config of "+franzTopic)
	found := false
	for _, c := range rc.Configs {
		if c.Key == "retention.ms" {
			found = c.Value != nil && *c.Value == retention
		}
	}
	expect(found, "retention.ms = %s in %v", retention, rc.Configs)

	hour := "3600000"
	resp, err := adm.AlterTopicConfigs(ctx30(), []kadm.AlterConfig{{Op: kadm.SetConfig, Name: "retention.ms", Value: &hour}}, franzTopic)
	must(err, "AlterTopicConfigs")
	for _, r := range resp {
		must(r.Err, "alter "+r.Name)
	}
	cfgs, err = adm.DescribeTopicConfigs(ctx30(), franzTopic)
	must(err, "DescribeTopicConfigs after alter")
	rc, _ = cfgs.On(franzTopic, nil)
	for _, c := range rc.Configs {
		if c.Key == "retention.ms" {
			expect(c.Value != nil && *c.Value == hour, "altered retention.ms: %v", c.Value)
		}
	}
	bcfgs, err := adm.DescribeBrokerConfigs(ctx30())
	must(err, "DescribeBrokerConfigs")
	expect(len(bcfgs) == 1 && len(bcfgs[0].Configs) > 0, "broker configs: %v", bcfgs)

	cp, err := adm.CreatePartitions(ctx30(), 2, "go-franz-scratch")
	must(err, "CreatePartitions")
	must(cp[`go-franz-scratch`].Err, "CreatePartitions result")
	waitUntil(15*time.Second, "3 partitions", func() bool {
		t, err := adm.ListTopics(ctx30(), "go-franz-scratch")
		return err == nil && len(t["go-franz-scratch"].Partitions) == 3
	})
	cp, err = adm.UpdatePartitions(ctx30(), 1, "go-franz-scratch")
	expect(err == nil && errors.Is(cp["go-franz-scratch"].Err, kerr.InvalidPartitions), "shrinking: %v %v", err, cp)

	dt, err := adm.DeleteTopics(ctx30(), "go-franz-scratch")
	must(err, "DeleteTopics")
	must(dt["go-franz-scratch"].Err, "DeleteTopics result")
}

// Produced offsets per partition, in send order.
var franzAcked = map[int32][]int64{}

func franzProduce() {
	// kgo producers are idempotent with acks=all unless told otherwise.
	cl := franzClient(kgo.RecordPartitioner(kgo.ManualPartitioner()),
		kgo.ProducerBatchCompression(kgo.ZstdCompression()), kgo.ProducerLinger(5*time.Millisecond))
	defer cl.Close()
	recs := make([]*kgo.Record, franzRecords)
	for i := range recs {
		recs[i] = &kgo.Record{Topic: franzTopic, Partition: int32(i % franzPartitions),
			Key: []byte("k" + strconv.Itoa(i)), Value: []byte("v" + strconv.Itoa(i)),
			Timestamp: time.UnixMilli(franzFirstTS + int64(i)),
			Headers:   []kgo.RecordHeader{{Key: "n", Value: []byte(strconv.Itoa(i))}}}
	}
	res := cl.ProduceSync(ctx30(), recs...)
	must(res.FirstErr(), "ProduceSync")
	for _, r := range res {
		franzAcked[r.Record.Partition] = append(franzAcked[r.Record.Partition], r.Record.Offset)
	}
	for p, offs := range franzAcked {
		for i, o := range offs {
			expect(o == int64(i), "partition %d offsets 0..%d, got %d at %d", p, len(offs)-1, o, i)
		}
		expect(res[0].Record.ProducerID >= 0, "a producer id")
	}
	expect(len(franzAcked) == franzPartitions, "all partitions written")
}

func franzListOffsets() {
	cl := franzClient()
	defer cl.Close()
	adm := kadm.NewClient(cl)
	start, err := adm.ListStartOffsets(ctx30(), franzTopic)
	must(err, "ListStartOffsets")
	end, err := adm.ListEndOffsets(ctx30(), franzTopic)
	must(err, "ListEndOffsets")
	for p := int32(0); p < franzPartitions; p++ {
		s, _ := start.Lookup(franzTopic, p)
		e, _ := end.Lookup(franzTopic, p)
		expect(s.Offset == 0 && e.Offset == int64(len(franzAcked[p])), "partition %d: start %d end %d", p, s.Offset, e.Offset)
	}
	// Partition 0 holds records 0, 3, 6, ... at first+i: the first at or after
	// first+301 is record 303, offset 101.
	at, err := adm.ListOffsetsAfterMilli(ctx30(), franzFirstTS+301, franzTopic)
	must(err, "ListOffsetsAfterMilli")
	o, _ := at.Lookup(franzTopic, 0)
	expect(o.Offset == 101 && o.Timestamp == franzFirstTS+303, "after milli: %+v", o)
	mx, err := adm.ListMaxTimestampOffsets(ctx30(), franzTopic)
	must(err, "ListMaxTimestampOffsets")
	o, _ = mx.Lookup(franzTopic, 0)
	expect(o.Offset == int64(len(franzAcked[0])-1), "max timestamp: %+v", o)
}

// franzGroup runs two members of one group (cooperative-sticky, kgo's
// default) that commit after every poll, and checks every record is read once.
func franzGroup() {
	newMember := func() *kgo.Client {
		return franzClient(kgo.ConsumerGroup(franzGroupID), kgo.ConsumeTopics(franzTopic),
			kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.DisableAutoCommit(),
			kgo.BlockRebalanceOnPoll(), kgo.SessionTimeout(6*time.Second), kgo.HeartbeatInterval(500*time.Millisecond))
	}
	a, b := newMember(), newMember()
	seen := map[string]bool{}
	deadline := time.Now().Add(60 * time.Second)
	for len(seen) < franzRecords && time.Now().Before(deadline) {
		for _, m := range []*kgo.Client{a, b} {
			ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
			fs := m.PollFetches(ctx)
			cancel()
			fs.EachError(func(t string, p int32, err error) {
				if !errors.Is(err, context.DeadlineExceeded) {
					panic(failure(fmt.Sprintf("fetch %s/%d: %v", t, p, err)))
				}
			})
			fs.EachRecord(func(r *kgo.Record) {
				expect(!seen[string(r.Key)], "record %s read twice", r.Key)
				expect(len(r.Headers) == 1 && "k"+string(r.Headers[0].Value) == string(r.Key), "header of %s", r.Key)
				seen[string(r.Key)] = true
			})
			must(m.CommitUncommittedOffsets(ctx30()), "commit")
			m.AllowRebalance()
		}
	}
	expect(len(seen) == franzRecords, "read %d of %d", len(seen), franzRecords)

	adm := kadm.NewClient(a)
	waitUntil(30*time.Second, "two members sharing the partitions", func() bool {
		for _, m := range []*kgo.Client{a, b} {
			ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
			m.PollFetches(ctx)
			cancel()
			m.AllowRebalance()
		}
		d, err := adm.DescribeGroups(ctx30(), franzGroupID)
		if err != nil {
			return false
		}
		g := d[franzGroupID]
		return g.State == "Stable" && len(g.Members) == 2 && len(g.AssignedPartitions()[franzTopic]) == franzPartitions
	})
	lag, err := adm.Lag(ctx30(), franzGroupID)
	must(err, "Lag")
	expect(lag[franzGroupID].Lag.Total() == 0, "lag 0: %v", lag[franzGroupID].Lag.Total())
	a.Close()
	b.Close()
}

func franzGroupAdmin() {
	cl := franzClient()
	defer cl.Close()
	adm := kadm.NewClient(cl)
	waitUntil(15*time.Second, "the group to be empty", func() bool {
		d, err := adm.DescribeGroups(ctx30(), franzGroupID)
		return err == nil && d[franzGroupID].State == "Empty"
	})
	listed, err := adm.ListGroups(ctx30())
	must(err, "ListGroups")
	_, ok := listed[franzGroupID]
	expect(ok, "listed groups: %v", listed.Groups())

	var os kadm.Offsets
	os.Add(kadm.Offset{Topic: franzTopic, Partition: 0, At: int64(len(franzAcked[0]) - 10), LeaderEpoch: -1, Metadata: "reset"})
	must(adm.CommitAllOffsets(ctx30(), franzGroupID, os), "CommitAllOffsets")
	fetched, err := adm.FetchOffsets(ctx30(), franzGroupID)
	must(err, "FetchOffsets")
	o, _ := fetched.Lookup(franzTopic, 0)
	expect(o.At == int64(len(franzAcked[0])-10) && o.Metadata == "reset", "fetched: %+v", o)
	lag, err := adm.Lag(ctx30(), franzGroupID)
	must(err, "Lag")
	expect(lag[franzGroupID].Lag.Total() == 10, "lag 10 after the reset: %d", lag[franzGroupID].Lag.Total())

	del, err := adm.DeleteOffsets(ctx30(), franzGroupID, kadm.TopicsSet{franzTopic: {1: {}}})
	must(err, "DeleteOffsets")
	must(del.Error(), "DeleteOffsets result")
	fetched, err = adm.FetchOffsets(ctx30(), franzGroupID)
	must(err, "FetchOffsets after delete")
	_, has1 := fetched.Lookup(franzTopic, 1)
	_, has0 := fetched.Lookup(franzTopic, 0)
	expect(!has1 && has0, "partition 1's offset deleted: %v", fetched)

	dg, err := adm.DeleteGroup(ctx30(), franzGroupID)
	must(err, "DeleteGroup")
	must(dg.Err, "DeleteGroup result")
	d, err := adm.DescribeGroups(ctx30(), franzGroupID)
	must(err, "DescribeGroups after delete")
	expect(d[franzGroupID].State == "Dead", "deleted group state: %q", d[franzGroupID].State)
}

func franzDeleteRecords() {
	cl := franzClient()
	defer cl.Close()
	adm := kadm.NewClient(cl)
	var os kadm.Offsets
	os.Add(kadm.Offset{Topic: franzTopic, Partition: 2, At: 500, LeaderEpoch: -1})
	dr, err := adm.DeleteRecords(ctx30(), os)
	must(err, "DeleteRecords")
	r, _ := dr.Lookup(franzTopic, 2)
	must(r.Err, "DeleteRecords result")
	expect(r.LowWatermark == 500, "low watermark: %d", r.LowWatermark)
	start, err := adm.ListStartOffsets(ctx30(), franzTopic)
	must(err, "ListStartOffsets")
	s, _ := start.Lookup(franzTopic, 2)
	expect(s.Offset == 500, "start offset after delete: %d", s.Offset)

	// A direct consumer from the start begins at 500.
	c := franzClient(kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{franzTopic: {2: kgo.NewOffset().AtStart()}}))
	defer c.Close()
	var first int64 = -1
	waitUntil(30*time.Second, "a record from partition 2", func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		c.PollFetches(ctx).EachRecord(func(r *kgo.Record) {
			if first < 0 {
				first = r.Offset
			}
		})
		return first >= 0
	})
	expect(first == 500, "first offset read: %d", first)
}
