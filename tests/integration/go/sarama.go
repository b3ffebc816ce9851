package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/IBM/sarama"
)

const (
	saramaTopic      = "go-sarama"
	saramaPartitions = 3
	saramaRecords    = 1500
	saramaGroupID    = "go-sarama-group"
)

// saramaConfig states a Kafka 4 broker, as a user of Kafka 4 would: Sarama
// clamps its request versions to the ranges runnel advertises (ApiVersions).
func saramaConfig() *sarama.Config {
	c := sarama.NewConfig()
	c.Version = sarama.V4_0_0_0
	c.ClientID = "runnel-sarama-test"
	c.Metadata.Retry.Backoff = 100 * time.Millisecond
	return c
}

func saramaAdmin() {
	adm, err := sarama.NewClusterAdmin([]string{bootstrap}, saramaConfig())
	must(err, "NewClusterAdmin")
	defer adm.Close()

	brokers, controller, err := adm.DescribeCluster()
	must(err, "DescribeCluster")
	expect(len(brokers) == 1 && controller == brokers[0].ID(), "brokers %d controller %d", len(brokers), controller)

	retention := "86400000"
	must(adm.CreateTopic(saramaTopic, &sarama.TopicDetail{NumPartitions: saramaPartitions, ReplicationFactor: 1,
		ConfigEntries: map[string]*string{"retention.ms": &retention}}, false), "CreateTopic")
	must(adm.CreateTopic("go-sarama-scratch", &sarama.TopicDetail{NumPartitions: 1, ReplicationFactor: 1}, false), "CreateTopic scratch")
	err = adm.CreateTopic(saramaTopic, &sarama.TopicDetail{NumPartitions: 1, ReplicationFactor: 1}, false)
	expect(errors.Is(err, sarama.ErrTopicAlreadyExists), "creating an existing topic: %v", err)

	topics, err := adm.ListTopics()
	must(err, "ListTopics")
	expect(topics[saramaTopic].NumPartitions == saramaPartitions, "listed: %+v", topics[saramaTopic])
	md, err := adm.DescribeTopics([]string{saramaTopic})
	must(err, "DescribeTopics")
	expect(len(md) == 1 && len(md[0].Partitions) == saramaPartitions, "described: %+v", md)

	entries, err := adm.DescribeConfig(sarama.ConfigResource{Type: sarama.TopicResource, Name: saramaTopic})
	must(err, "DescribeConfig")
	found := false
	for _, e := range entries {
		if e.Name == "retention.ms" {
			found = e.Value == retention && e.Source == sarama.SourceTopic
		}
	}
	expect(found, "retention.ms = %s from the topic", retention)
	hour := "3600000"
	must(adm.IncrementalAlterConfig(sarama.TopicResource, saramaTopic, map[string]sarama.IncrementalAlterConfigsEntry{
		"retention.ms": {Operation: sarama.IncrementalAlterConfigsOperationSet, Value: &hour}}, false), "IncrementalAlterConfig")
	big := "2000000"
	must(adm.AlterConfig(sarama.TopicResource, "go-sarama-scratch", map[string]*string{"max.message.bytes": &big}, false), "AlterConfig")
	entries, err = adm.DescribeConfig(sarama.ConfigResource{Type: sarama.TopicResource, Name: saramaTopic})
	must(err, "DescribeConfig after alter")
	for _, e := range entries {
		if e.Name == "retention.ms" {
			expect(e.Value == hour, "altered retention.ms: %s", e.Value)
		}
	}
	bentries, err := adm.DescribeConfig(sarama.ConfigResource{Type: sarama.BrokerResource, Name: strconv.Itoa(int(brokers[0].ID()))})
	must(err, "DescribeConfig broker")
	expect(len(bentries) > 0, "broker configs")

	must(adm.CreatePartitions("go-sarama-scratch", 2, nil, false), "CreatePartitions")
	must(adm.DeleteTopic("go-sarama-scratch"), "DeleteTopic")
}

var saramaAcked = map[int32][]int64{}

func saramaProduce() {
	c := saramaConfig()
	c.Producer.Idempotent = true
	c.Producer.RequiredAcks = sarama.WaitForAll
	c.Net.MaxOpenRequests = 1
	c.Producer.Retry.Max = 5
	c.Producer.Return.Successes = true
	c.Producer.Partitioner = sarama.NewManualPartitioner
	c.Producer.Compression = sarama.CompressionLZ4
	p, err := sarama.NewSyncProducer([]string{bootstrap}, c)
	must(err, "NewSyncProducer")
	defer p.Close()
	msgs := make([]*sarama.ProducerMessage, saramaRecords)
	for i := range msgs {
		msgs[i] = &sarama.ProducerMessage{Topic: saramaTopic, Partition: int32(i % saramaPartitions),
			Key: sarama.StringEncoder("k" + strconv.Itoa(i)), Value: sarama.StringEncoder("v" + strconv.Itoa(i)),
			Headers: []sarama.RecordHeader{{Key: []byte("n"), Value: []byte(strconv.Itoa(i))}}}
	}
	must(p.SendMessages(msgs), "SendMessages")
	for _, m := range msgs {
		saramaAcked[m.Partition] = append(saramaAcked[m.Partition], m.Offset)
	}
	for part, offs := range saramaAcked {
		for i, o := range offs {
			expect(o == int64(i), "partition %d offsets 0..%d, got %d at %d", part, len(offs)-1, o, i)
		}
	}

	client, err := sarama.NewClient([]string{bootstrap}, saramaConfig())
	must(err, "NewClient")
	defer client.Close()
	for part := int32(0); part < saramaPartitions; part++ {
		newest, err := client.GetOffset(saramaTopic, part, sarama.OffsetNewest)
		must(err, "GetOffset newest")
		oldest, err := client.GetOffset(saramaTopic, part, sarama.OffsetOldest)
		must(err, "GetOffset oldest")
		expect(oldest == 0 && newest == int64(len(saramaAcked[part])), "partition %d: %d..%d", part, oldest, newest)
	}
}

// saramaHandler records what it reads and marks it; one per member.
type saramaHandler struct {
	mu   *sync.Mutex
	seen map[string]int
}

func (saramaHandler) Setup(sarama.ConsumerGroupSession) error   { return nil }
func (saramaHandler) Cleanup(sarama.ConsumerGroupSession) error { return nil }
func (h saramaHandler) ConsumeClaim(s sarama.ConsumerGroupSession, claim sarama.ConsumerGroupClaim) error {
	for {
		select {
		case m, ok := <-claim.Messages():
			if !ok {
				return nil
			}
			h.mu.Lock()
			h.seen[string(m.Key)]++
			h.mu.Unlock()
			s.MarkMessage(m, "")
			// Commit when caught up (and every 100 records on the way).
			if len(claim.Messages()) == 0 || m.Offset%100 == 0 {
				s.Commit()
			}
		case <-s.Context().Done():
			return nil
		}
	}
}

func saramaGroup() {
	c := saramaConfig()
	c.Consumer.Offsets.Initial = sarama.OffsetOldest
	c.Consumer.Offsets.AutoCommit.Enable = false
	c.Consumer.Group.Session.Timeout = 6 * time.Second
	c.Consumer.Group.Heartbeat.Interval = 500 * time.Millisecond
	c.Consumer.Group.Rebalance.GroupStrategies = []sarama.BalanceStrategy{sarama.NewBalanceStrategyRoundRobin()}
	h := saramaHandler{mu: &sync.Mutex{}, seen: map[string]int{}}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	for i := 0; i < 2; i++ {
		g, err := sarama.NewConsumerGroup([]string{bootstrap}, saramaGroupID, c)
		must(err, "NewConsumerGroup")
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer g.Close()
			for ctx.Err() == nil {
				if err := g.Consume(ctx, []string{saramaTopic}, h); err != nil && ctx.Err() == nil {
					errs <- err
					return
				}
			}
		}()
	}
	defer func() { cancel(); wg.Wait() }()
	adm, err := sarama.NewClusterAdmin([]string{bootstrap}, saramaConfig())
	must(err, "NewClusterAdmin")
	defer adm.Close()
	state := ""
	defer func() {
		if r := recover(); r != nil {
			h.mu.Lock()
			n := len(h.seen)
			h.mu.Unlock()
			panic(failure(fmt.Sprintf("%v (read %d of %d, group %s)", r, n, saramaRecords, state)))
		}
	}()
	waitUntil(60*time.Second, "every record read and both members stable", func() bool {
		select {
		case err := <-errs:
			panic(failure("Consume: " + err.Error()))
		default:
		}
		h.mu.Lock()
		n := len(h.seen)
		h.mu.Unlock()
		if n < saramaRecords {
			return false
		}
		d, err := adm.DescribeConsumerGroups([]string{saramaGroupID})
		if err != nil || len(d) != 1 {
			state = fmt.Sprint(err)
			return false
		}
		state = fmt.Sprintf("%s with %d members", d[0].State, len(d[0].Members))
		return d[0].State == "Stable" && len(d[0].Members) == 2
	})
	// Commits follow every record: the group's offsets reach the end.
	waitUntil(15*time.Second, "committed offsets at the end", func() bool {
		r, err := adm.ListConsumerGroupOffsets(saramaGroupID, map[string][]int32{saramaTopic: {0, 1, 2}})
		if err != nil {
			return false
		}
		for part := int32(0); part < saramaPartitions; part++ {
			b := r.GetBlock(saramaTopic, part)
			if b == nil || b.Offset != int64(len(saramaAcked[part])) {
				return false
			}
		}
		return true
	})
	h.mu.Lock()
	defer h.mu.Unlock()
	for k, n := range h.seen {
		expect(n == 1, "record %s read %d times", k, n)
	}
}

func saramaGroupAdmin() {
	adm, err := sarama.NewClusterAdmin([]string{bootstrap}, saramaConfig())
	must(err, "NewClusterAdmin")
	defer adm.Close()
	groups, err := adm.ListConsumerGroups()
	must(err, "ListConsumerGroups")
	expect(groups[saramaGroupID] == "consumer", "listed: %v", groups)
	waitUntil(15*time.Second, "the group to be empty", func() bool {
		d, err := adm.DescribeConsumerGroups([]string{saramaGroupID})
		return err == nil && len(d) == 1 && d[0].State == "Empty"
	})
	_, err = adm.AlterConsumerGroupOffsets(saramaGroupID, map[string]map[int32]sarama.OffsetAndMetadata{
		saramaTopic: {0: {Offset: 7, Metadata: "reset", LeaderEpoch: -1}}}, nil)
	must(err, "AlterConsumerGroupOffsets")
	r, err := adm.ListConsumerGroupOffsets(saramaGroupID, map[string][]int32{saramaTopic: {0}})
	must(err, "ListConsumerGroupOffsets")
	expect(r.GetBlock(saramaTopic, 0).Offset == 7 && r.GetBlock(saramaTopic, 0).Metadata == "reset", "altered: %+v", r.GetBlock(saramaTopic, 0))

	lo, err := adm.ListOffsets(map[string]map[int32]int64{saramaTopic: {0: sarama.OffsetNewest, 1: sarama.OffsetOldest}}, nil)
	must(err, "ListOffsets")
	expect(lo[saramaTopic][0].Offset == int64(len(saramaAcked[0])) && lo[saramaTopic][1].Offset == 0, "ListOffsets: %+v %+v", lo[saramaTopic][0], lo[saramaTopic][1])

	must(adm.DeleteRecords(saramaTopic, map[int32]int64{1: 100}), "DeleteRecords")
	lo, err = adm.ListOffsets(map[string]map[int32]int64{saramaTopic: {1: sarama.OffsetOldest}}, nil)
	must(err, "ListOffsets after delete")
	expect(lo[saramaTopic][1].Offset == 100, "oldest after DeleteRecords: %d", lo[saramaTopic][1].Offset)

	must(adm.DeleteConsumerGroupOffset(saramaGroupID, saramaTopic, 1), "DeleteConsumerGroupOffset")
	must(adm.DeleteConsumerGroup(saramaGroupID), "DeleteConsumerGroup")
	groups, err = adm.ListConsumerGroups()
	must(err, "ListConsumerGroups after delete")
	_, still := groups[saramaGroupID]
	expect(!still, "group deleted: %v", groups)
}
