"""The official Python SDKs (boto3, azure-storage-blob) as independent
readers and writers of objects for the object-store backend tests: what
runnel writes, the SDK reads back, and the other way round. Run by
objstore_emulator_test with this folder's .venv python. sdk.mjs (the
JavaScript SDKs) and ../go/objsdk (the Go SDKs) have its s3-put, s3-get,
azure-put and azure-get verbs too.

  sdk.py moto-setup ENDPOINT BUCKET...    (prints "ACCESS_KEY SECRET")
  sdk.py s3-put ENDPOINT BUCKET KEY        (content on stdin)
  sdk.py s3-put-many ENDPOINT BUCKET PREFIX N  (PREFIX000.json … one line {"n":i} each)
  sdk.py s3-get ENDPOINT BUCKET KEY        (content on stdout)
  sdk.py s3-create-bucket ENDPOINT BUCKET
  sdk.py s3-notify ENDPOINT BUCKET QUEUE  (a queue for the bucket's
                                          ObjectCreated events; prints its URL)
  sdk.py sqs-send ENDPOINT URL             (a message, the body on stdin)
  sdk.py sqs-purge ENDPOINT URL            (drops every message: lost events)
  sdk.py sqs-count ENDPOINT URL            (messages visible + in flight)
  sdk.py azure-create-container ENDPOINT ACCOUNT KEY CONTAINER
  sdk.py azure-put ENDPOINT ACCOUNT KEY CONTAINER BLOB    (stdin)
  sdk.py azure-get ENDPOINT ACCOUNT KEY CONTAINER BLOB    (stdout)
  sdk.py azqueue-create QENDPOINT ACCOUNT KEY QUEUE
  sdk.py azqueue-blob-created QENDPOINT BENDPOINT ACCOUNT KEY QUEUE CONTAINER BLOB
        (what Event Grid delivers for a BlobCreated event: the event JSON,
         base64-encoded, in the queue; Azurite has no Event Grid)
  sdk.py azqueue-count QENDPOINT ACCOUNT KEY QUEUE
  sdk.py azure-sas ACCOUNT KEY CONTAINER   (a container SAS token, 1 hour)
  sdk.py rpc ENDPOINT                      (S3 and SQS calls as JSON lines on
                                          stdin, one JSON answer a line on
                                          stdout: test_connect_torture.py)

S3 credentials come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY.
"""
import datetime
import json
import sys


def s3(endpoint):
    import boto3
    from botocore.config import Config

    return boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                        config=Config(s3={"addressing_style": "path"}))


def blob_service(endpoint, account, key):
    from azure.storage.blob import BlobServiceClient

    return BlobServiceClient(account_url=endpoint,
                             credential={"account_name": account, "account_key": key})


def rpc(endpoint):
    """One request a line, {"op": …, …}; one answer a line, {"ok": …} or
    {"error": "…"}: the torture tests drive boto3 from the system Python
    without a process per call."""
    import time

    import boto3

    client = s3(endpoint)
    sqs = boto3.client("sqs", endpoint_url=endpoint, region_name="us-east-1")

    def call(r):
        op = r["op"]
        if op == "create-bucket":
            client.create_bucket(Bucket=r["bucket"])
        elif op == "notify":
            # An empty queue ARN list stops the events (lost notifications).
            if r.get("queue_arn") is None:
                client.put_bucket_notification_configuration(
                    Bucket=r["bucket"], NotificationConfiguration={})
                return None
            client.put_bucket_notification_configuration(
                Bucket=r["bucket"],
                NotificationConfiguration={"QueueConfigurations": [
                    {"QueueArn": r["queue_arn"], "Events": ["s3:ObjectCreated:*"]}]})
        elif op == "create-queue":
            url = sqs.create_queue(QueueName=r["queue"])["QueueUrl"]
            arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])[
                "Attributes"]["QueueArn"]
            return {"url": url, "arn": arn}
        elif op == "put":
            return client.put_object(Bucket=r["bucket"], Key=r["key"],
                                     Body=r["body"].encode())["ETag"].strip('"')
        elif op == "put-many":
            # As fast as one boto3 client goes: [key, body] pairs.
            t0 = time.monotonic()
            for key, body in r["objects"]:
                client.put_object(Bucket=r["bucket"], Key=key, Body=body.encode())
            return time.monotonic() - t0
        elif op == "head":
            h = client.head_object(Bucket=r["bucket"], Key=r["key"])
            return {"etag": h["ETag"].strip('"'), "size": h["ContentLength"],
                    "last_modified": h["LastModified"].timestamp()}
        elif op == "list":
            out = []
            for page in client.get_paginator("list_objects_v2").paginate(Bucket=r["bucket"]):
                for o in page.get("Contents", []):
                    out.append([o["Key"], o["LastModified"].timestamp()])
            return out
        elif op == "get-all":
            # Every object's key and body (text): what a sink wrote.
            out = {}
            for page in client.get_paginator("list_objects_v2").paginate(Bucket=r["bucket"]):
                for o in page.get("Contents", []):
                    body = client.get_object(Bucket=r["bucket"], Key=o["Key"])["Body"].read()
                    out[o["Key"]] = body.decode()
            return out
        elif op == "mpu-start":
            return client.create_multipart_upload(Bucket=r["bucket"], Key=r["key"])["UploadId"]
        elif op == "mpu-part":
            return client.upload_part(Bucket=r["bucket"], Key=r["key"], UploadId=r["upload"],
                                      PartNumber=r["part"],
                                      Body=r["body"].encode())["ETag"]
        elif op == "mpu-complete":
            parts = [{"PartNumber": i + 1, "ETag": e} for i, e in enumerate(r["etags"])]
            client.complete_multipart_upload(Bucket=r["bucket"], Key=r["key"],
                                             UploadId=r["upload"],
                                             MultipartUpload={"Parts": parts})
        elif op == "sqs-send":
            sqs.send_message(QueueUrl=r["url"], MessageBody=r["body"])
        elif op == "sqs-count":
            a = sqs.get_queue_attributes(QueueUrl=r["url"], AttributeNames=[
                "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])
            a = a["Attributes"]
            return int(a["ApproximateNumberOfMessages"]) + \
                int(a["ApproximateNumberOfMessagesNotVisible"])
        else:
            raise ValueError("unknown rpc op %r" % op)
        return None

    for line in sys.stdin:
        try:
            answer = {"ok": call(json.loads(line))}
        except Exception as e:  # the caller raises it
            answer = {"error": "%s: %s" % (type(e).__name__, e)}
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


def main(argv):
    op, args = argv[1], argv[2:]
    if op == "rpc":
        rpc(args[0])
        return
    if op == "moto-setup":
        # A user with a key and a policy that allows everything: moto checks
        # signatures against it once its free initial requests are used.
        import boto3

        iam = boto3.client("iam", endpoint_url=args[0], region_name="us-east-1")
        iam.create_user(UserName="runnel")
        key = iam.create_access_key(UserName="runnel")["AccessKey"]
        policy = {"Version": "2012-10-17",
                  "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
        iam.put_user_policy(UserName="runnel", PolicyName="all",
                            PolicyDocument=json.dumps(policy))
        for bucket in args[1:]:
            s3(args[0]).create_bucket(Bucket=bucket)
        print(key["AccessKeyId"], key["SecretAccessKey"])
    elif op == "s3-create-bucket":
        s3(args[0]).create_bucket(Bucket=args[1])
    elif op == "s3-notify":
        import boto3

        sqs = boto3.client("sqs", endpoint_url=args[0], region_name="us-east-1")
        url = sqs.create_queue(QueueName=args[2])["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])[
            "Attributes"]["QueueArn"]
        s3(args[0]).put_bucket_notification_configuration(
            Bucket=args[1],
            NotificationConfiguration={"QueueConfigurations": [
                {"QueueArn": arn, "Events": ["s3:ObjectCreated:*"]}]})
        print(url)
    elif op in ("sqs-send", "sqs-purge", "sqs-count"):
        import boto3

        sqs = boto3.client("sqs", endpoint_url=args[0], region_name="us-east-1")
        if op == "sqs-send":
            sqs.send_message(QueueUrl=args[1], MessageBody=sys.stdin.read())
        elif op == "sqs-purge":
            sqs.purge_queue(QueueUrl=args[1])
        else:
            a = sqs.get_queue_attributes(QueueUrl=args[1], AttributeNames=[
                "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])
            a = a["Attributes"]
            print(int(a["ApproximateNumberOfMessages"]) +
                  int(a["ApproximateNumberOfMessagesNotVisible"]))
    elif op == "s3-put":
        s3(args[0]).put_object(Bucket=args[1], Key=args[2], Body=sys.stdin.buffer.read())
    elif op == "s3-put-many":
        client = s3(args[0])
        for i in range(int(args[3])):
            client.put_object(Bucket=args[1], Key="%s%03d.json" % (args[2], i),
                              Body=b'{"n":%d}\n' % i)
    elif op == "s3-get":
        body = s3(args[0]).get_object(Bucket=args[1], Key=args[2])["Body"].read()
        sys.stdout.buffer.write(body)
    elif op == "azure-create-container":
        blob_service(*args[:3]).create_container(args[3])
    elif op == "azure-put":
        c = blob_service(*args[:3]).get_container_client(args[3])
        c.upload_blob(args[4], sys.stdin.buffer.read(), overwrite=True)
    elif op == "azure-get":
        c = blob_service(*args[:3]).get_container_client(args[3])
        sys.stdout.buffer.write(c.download_blob(args[4]).readall())
    elif op.startswith("azqueue-"):
        import base64
        from azure.storage.queue import QueueClient

        q = QueueClient(account_url=args[0], queue_name=args[3] if op != "azqueue-blob-created"
                        else args[4],
                        credential={"account_name": args[1 if op != "azqueue-blob-created" else 2],
                                    "account_key": args[2 if op != "azqueue-blob-created" else 3]})
        if op == "azqueue-create":
            q.create_queue()
        elif op == "azqueue-count":
            print(q.get_queue_properties().approximate_message_count)
        else:
            endpoint, account, key, container, blob = args[1], args[2], args[3], args[5], args[6]
            props = blob_service(endpoint, account, key).get_blob_client(container, blob) \
                .get_blob_properties()
            event = [{
                "topic": f"/subscriptions/0/resourceGroups/rg/providers/"
                         f"Microsoft.Storage/storageAccounts/{account}",
                "subject": f"/blobServices/default/containers/{container}/blobs/{blob}",
                "eventType": "Microsoft.Storage.BlobCreated",
                "eventTime": props.last_modified.strftime("%Y-%m-%dT%H:%M:%S.%f0Z"),
                "id": "0", "dataVersion": "", "metadataVersion": "1",
                "data": {"api": "PutBlob", "eTag": props.etag,
                         "contentType": "application/octet-stream",
                         "contentLength": props.size, "blobType": "BlockBlob",
                         "url": f"{endpoint}/{container}/{blob}"}}]
            q.send_message(base64.b64encode(json.dumps(event).encode()).decode())
    elif op == "azure-sas":
        from azure.storage.blob import ContainerSasPermissions, generate_container_sas

        expiry = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=1)
        perms = ContainerSasPermissions(read=True, write=True, delete=True, list=True,
                                        add=True, create=True)
        print(generate_container_sas(args[0], args[2], account_key=args[1],
                                     permission=perms, expiry=expiry))
    else:
        sys.exit(f"sdk.py: unknown operation {op}")


if __name__ == "__main__":
    main(sys.argv)
