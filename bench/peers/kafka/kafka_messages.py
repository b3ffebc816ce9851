"""The Kafka messages kafka_wire.py speaks, at one version each (a recent one
that runnel and Apache Kafka 4.x both serve), written from the protocol spec
(shared/reference/kafka-protocol). Field names are the spec's in
snake_case; tagged fields are left out (sent empty, skipped when read).

A schema is a list of (name, type); a type is a primitive name (int8, int16,
int32, int64, bool, uuid, string, nstring = nullable string, bytes, records)
or ("array" | "narray", element), element being a primitive or a schema.
"""


def A(*fields):
    return ("array", list(fields))


def NA(*fields):
    return ("narray", list(fields))


I32S = ("array", "int32")

# name: (api key, version, first flexible version, request, response)
MESSAGES = {
    "Produce": (0, 9, 9, [
        ("transactional_id", "nstring"), ("acks", "int16"), ("timeout_ms", "int32"),
        ("topic_data", A(("name", "string"), ("partition_data", A(("index", "int32"), ("records", "records"))))),
    ], [
        ("responses", A(("name", "string"), ("partition_responses", A(
            ("index", "int32"), ("error_code", "int16"), ("base_offset", "int64"),
            ("log_append_time_ms", "int64"), ("log_start_offset", "int64"),
            ("record_errors", A(("batch_index", "int32"), ("batch_index_error_message", "nstring"))),
            ("error_message", "nstring"))))),
        ("throttle_time_ms", "int32"),
    ]),
    "Fetch": (1, 12, 12, [
        ("replica_id", "int32"), ("max_wait_ms", "int32"), ("min_bytes", "int32"), ("max_bytes", "int32"),
        ("isolation_level", "int8"), ("session_id", "int32"), ("session_epoch", "int32"),
        ("topics", A(("topic", "string"), ("partitions", A(
            ("partition", "int32"), ("current_leader_epoch", "int32"), ("fetch_offset", "int64"),
            ("last_fetched_epoch", "int32"), ("log_start_offset", "int64"), ("partition_max_bytes", "int32"))))),
        ("forgotten_topics_data", A(("topic", "string"), ("partitions", I32S))),
        ("rack_id", "string"),
    ], [
        ("throttle_time_ms", "int32"), ("error_code", "int16"), ("session_id", "int32"),
        ("responses", A(("topic", "string"), ("partitions", A(
            ("partition_index", "int32"), ("error_code", "int16"), ("high_watermark", "int64"),
            ("last_stable_offset", "int64"), ("log_start_offset", "int64"),
            ("aborted_transactions", NA(("producer_id", "int64"), ("first_offset", "int64"))),
            ("preferred_read_replica", "int32"), ("records", "records"))))),
    ]),
    "ListOffsets": (2, 7, 6, [
        ("replica_id", "int32"), ("isolation_level", "int8"),
        ("topics", A(("name", "string"), ("partitions", A(
            ("partition_index", "int32"), ("current_leader_epoch", "int32"), ("timestamp", "int64"))))),
    ], [
        ("throttle_time_ms", "int32"),
        ("topics", A(("name", "string"), ("partitions", A(
            ("partition_index", "int32"), ("error_code", "int16"), ("timestamp", "int64"),
            ("offset", "int64"), ("leader_epoch", "int32"))))),
    ]),
    "Metadata": (3, 12, 9, [
        ("topics", NA(("topic_id", "uuid"), ("name", "nstring"))),
        ("allow_auto_topic_creation", "bool"), ("include_topic_authorized_operations", "bool"),
    ], [
        ("throttle_time_ms", "int32"),
        ("brokers", A(("node_id", "int32"), ("host", "string"), ("port", "int32"), ("rack", "nstring"))),
        ("cluster_id", "nstring"), ("controller_id", "int32"),
        ("topics", A(("error_code", "int16"), ("name", "nstring"), ("topic_id", "uuid"), ("is_internal", "bool"),
                     ("partitions", A(("error_code", "int16"), ("partition_index", "int32"), ("leader_id", "int32"),
                                      ("leader_epoch", "int32"), ("replica_nodes", I32S), ("isr_nodes", I32S),
                                      ("offline_replicas", I32S))),
                     ("topic_authorized_operations", "int32"))),
    ]),
    "OffsetCommit": (8, 8, 8, [
        ("group_id", "string"), ("generation_id_or_member_epoch", "int32"), ("member_id", "string"),
        ("group_instance_id", "nstring"),
        ("topics", A(("name", "string"), ("partitions", A(
            ("partition_index", "int32"), ("committed_offset", "int64"), ("committed_leader_epoch", "int32"),
            ("committed_metadata", "nstring"))))),
    ], [
        ("throttle_time_ms", "int32"),
        ("topics", A(("name", "string"), ("partitions", A(("partition_index", "int32"), ("error_code", "int16"))))),
    ]),
    "OffsetFetch": (9, 7, 6, [
        ("group_id", "string"), ("topics", NA(("name", "string"), ("partition_indexes", I32S))),
        ("require_stable", "bool"),
    ], [
        ("throttle_time_ms", "int32"),
        ("topics", A(("name", "string"), ("partitions", A(
            ("partition_index", "int32"), ("committed_offset", "int64"), ("committed_leader_epoch", "int32"),
            ("metadata", "nstring"), ("error_code", "int16"))))),
        ("error_code", "int16"),
    ]),
    "FindCoordinator": (10, 3, 3, [("key", "string"), ("key_type", "int8")], [
        ("throttle_time_ms", "int32"), ("error_code", "int16"), ("error_message", "nstring"),
        ("node_id", "int32"), ("host", "string"), ("port", "int32"),
    ]),
    "JoinGroup": (11, 7, 6, [
        ("group_id", "string"), ("session_timeout_ms", "int32"), ("rebalance_timeout_ms", "int32"),
        ("member_id", "string"), ("group_instance_id", "nstring"), ("protocol_type", "string"),
        ("protocols", A(("name", "string"), ("metadata", "bytes"))),
    ], [
        ("throttle_time_ms", "int32"), ("error_code", "int16"), ("generation_id", "int32"),
        ("protocol_type", "nstring"), ("protocol_name", "nstring"), ("leader", "string"), ("member_id", "string"),
        ("members", A(("member_id", "string"), ("group_instance_id", "nstring"), ("metadata", "bytes"))),
    ]),
    "Heartbeat": (12, 4, 4, [
        ("group_id", "string"), ("generation_id", "int32"), ("member_id", "string"), ("group_instance_id", "nstring"),
    ], [("throttle_time_ms", "int32"), ("error_code", "int16")]),
    "LeaveGroup": (13, 4, 4, [
        ("group_id", "string"), ("members", A(("member_id", "string"), ("group_instance_id", "nstring"))),
    ], [
        ("throttle_time_ms", "int32"), ("error_code", "int16"),
        ("members", A(("member_id", "string"), ("group_instance_id", "nstring"), ("error_code", "int16"))),
    ]),
    "SyncGroup": (14, 5, 4, [
        ("group_id", "string"), ("generation_id", "int32"), ("member_id", "string"), ("group_instance_id", "nstring"),
        ("protocol_type", "nstring"), ("protocol_name", "nstring"),
        ("assignments", A(("member_id", "string"), ("assignment", "bytes"))),
    ], [
        ("throttle_time_ms", "int32"), ("error_code", "int16"), ("protocol_type", "nstring"),
        ("protocol_name", "nstring"), ("assignment", "bytes"),
    ]),
    "DescribeGroups": (15, 5, 5, [("groups", ("array", "string")), ("include_authorized_operations", "bool")], [
        ("throttle_time_ms", "int32"),
        ("groups", A(("error_code", "int16"), ("group_id", "string"), ("group_state", "string"),
                     ("protocol_type", "string"), ("protocol_data", "string"),
                     ("members", A(("member_id", "string"), ("group_instance_id", "nstring"), ("client_id", "string"),
                                   ("client_host", "string"), ("member_metadata", "bytes"),
                                   ("member_assignment", "bytes"))),
                     ("authorized_operations", "int32"))),
    ]),
    "ListGroups": (16, 4, 3, [("states_filter", ("array", "string"))], [
        ("throttle_time_ms", "int32"), ("error_code", "int16"),
        ("groups", A(("group_id", "string"), ("protocol_type", "string"), ("group_state", "string"))),
    ]),
    "ApiVersions": (18, 3, 3, [("client_software_name", "string"), ("client_software_version", "string")], [
        ("error_code", "int16"),
        ("api_keys", A(("api_key", "int16"), ("min_version", "int16"), ("max_version", "int16"))),
        ("throttle_time_ms", "int32"),
    ]),
    "CreateTopics": (19, 7, 5, [
        ("topics", A(("name", "string"), ("num_partitions", "int32"), ("replication_factor", "int16"),
                     ("assignments", A(("partition_index", "int32"), ("broker_ids", I32S))),
                     ("configs", A(("name", "string"), ("value", "nstring"))))),
        ("timeout_ms", "int32"), ("validate_only", "bool"),
    ], [
        ("throttle_time_ms", "int32"),
        ("topics", A(("name", "string"), ("topic_id", "uuid"), ("error_code", "int16"), ("error_message", "nstring"),
                     ("num_partitions", "int32"), ("replication_factor", "int16"),
                     ("configs", NA(("name", "string"), ("value", "nstring"), ("read_only", "bool"),
                                    ("config_source", "int8"), ("is_sensitive", "bool"))))),
    ]),
    "DeleteTopics": (20, 6, 4, [
        ("topics", A(("name", "nstring"), ("topic_id", "uuid"))), ("timeout_ms", "int32"),
    ], [
        ("throttle_time_ms", "int32"),
        ("responses", A(("name", "nstring"), ("topic_id", "uuid"), ("error_code", "int16"),
                        ("error_message", "nstring"))),
    ]),
    "DeleteRecords": (21, 2, 2, [
        ("topics", A(("name", "string"), ("partitions", A(("partition_index", "int32"), ("offset", "int64"))))),
        ("timeout_ms", "int32"),
    ], [
        ("throttle_time_ms", "int32"),
        ("topics", A(("name", "string"), ("partitions", A(
            ("partition_index", "int32"), ("low_watermark", "int64"), ("error_code", "int16"))))),
    ]),
    "InitProducerId": (22, 4, 2, [
        ("transactional_id", "nstring"), ("transaction_timeout_ms", "int32"), ("producer_id", "int64"),
        ("producer_epoch", "int16"),
    ], [
        ("throttle_time_ms", "int32"), ("error_code", "int16"), ("producer_id", "int64"), ("producer_epoch", "int16"),
    ]),
    "OffsetForLeaderEpoch": (23, 4, 4, [
        ("replica_id", "int32"),
        ("topics", A(("topic", "string"), ("partitions", A(
            ("partition", "int32"), ("current_leader_epoch", "int32"), ("leader_epoch", "int32"))))),
    ], [
        ("throttle_time_ms", "int32"),
        ("topics", A(("topic", "string"), ("partitions", A(
            ("error_code", "int16"), ("partition", "int32"), ("leader_epoch", "int32"), ("end_offset", "int64"))))),
    ]),
    "DescribeConfigs": (32, 4, 4, [
        ("resources", A(("resource_type", "int8"), ("resource_name", "string"),
                        ("configuration_keys", ("narray", "string")))),
        ("include_synonyms", "bool"), ("include_documentation", "bool"),
    ], [
        ("throttle_time_ms", "int32"),
        ("results", A(("error_code", "int16"), ("error_message", "nstring"), ("resource_type", "int8"),
                      ("resource_name", "string"),
                      ("configs", A(("name", "string"), ("value", "nstring"), ("read_only", "bool"),
                                    ("config_source", "int8"), ("is_sensitive", "bool"),
                                    ("synonyms", A(("name", "string"), ("value", "nstring"), ("source", "int8"))),
                                    ("config_type", "int8"), ("documentation", "nstring"))))),
    ]),
    "AlterConfigs": (33, 2, 2, [
        ("resources", A(("resource_type", "int8"), ("resource_name", "string"),
                        ("configs", A(("name", "string"), ("value", "nstring"))))),
        ("validate_only", "bool"),
    ], [
        ("throttle_time_ms", "int32"),
        ("responses", A(("error_code", "int16"), ("error_message", "nstring"), ("resource_type", "int8"),
                        ("resource_name", "string"))),
    ]),
    "CreatePartitions": (37, 3, 2, [
        ("topics", A(("name", "string"), ("count", "int32"), ("assignments", NA(("broker_ids", I32S))))),
        ("timeout_ms", "int32"), ("validate_only", "bool"),
    ], [
        ("throttle_time_ms", "int32"),
        ("results", A(("name", "string"), ("error_code", "int16"), ("error_message", "nstring"))),
    ]),
    "DeleteGroups": (42, 2, 2, [("groups_names", ("array", "string"))], [
        ("throttle_time_ms", "int32"), ("results", A(("group_id", "string"), ("error_code", "int16"))),
    ]),
    "IncrementalAlterConfigs": (44, 1, 1, [
        ("resources", A(("resource_type", "int8"), ("resource_name", "string"),
                        ("configs", A(("name", "string"), ("config_operation", "int8"), ("value", "nstring"))))),
        ("validate_only", "bool"),
    ], [
        ("throttle_time_ms", "int32"),
        ("responses", A(("error_code", "int16"), ("error_message", "nstring"), ("resource_type", "int8"),
                        ("resource_name", "string"))),
    ]),
    "OffsetDelete": (47, 0, None, [
        ("group_id", "string"), ("topics", A(("name", "string"), ("partitions", A(("partition_index", "int32"))))),
    ], [
        ("error_code", "int16"), ("throttle_time_ms", "int32"),
        ("topics", A(("name", "string"), ("partitions", A(("partition_index", "int32"), ("error_code", "int16"))))),
    ]),
}

API_KEYS = {name: m[0] for name, m in MESSAGES.items()}


def _message(api, version):
    m = MESSAGES[api]
    if version != m[1]:
        raise ValueError("%s: only v%d is defined here, not v%d" % (api, m[1], version))
    return m


def is_flexible(api, version):
    first = MESSAGES[api][2]
    return first is not None and version >= first


def request_schema(api, version):
    return _message(api, version)[3]


def response_schema(api, version):
    return _message(api, version)[4]


def version(api):
    return MESSAGES[api][1]
