// The official JavaScript SDKs (@aws-sdk/client-s3, @azure/storage-blob,
// pinned in package.json beside this file) as independent readers and
// writers of objects for the object-store backend tests: what runnel
// writes, this reads back, and the other way round. Run by
// objstore_emulator_test with node, with the same verbs as sdk.py:
//
//   sdk.mjs s3-put ENDPOINT BUCKET KEY                      (content on stdin)
//   sdk.mjs s3-get ENDPOINT BUCKET KEY                      (content on stdout)
//   sdk.mjs azure-put ENDPOINT ACCOUNT KEY CONTAINER BLOB   (stdin)
//   sdk.mjs azure-get ENDPOINT ACCOUNT KEY CONTAINER BLOB   (stdout)
//
// S3 credentials come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY; the
// S3 client is path-style in us-east-1. Any failure exits 1 with the SDK's
// error on stderr.
import { GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { BlobServiceClient, StorageSharedKeyCredential } from "@azure/storage-blob";

async function readStdin() {
  const chunks = [];
  for await (const c of process.stdin) chunks.push(c);
  return Buffer.concat(chunks);
}

async function readAll(stream) {
  const chunks = [];
  for await (const c of stream) chunks.push(c);
  return Buffer.concat(chunks);
}

function s3(endpoint) {
  return new S3Client({
    endpoint,
    region: "us-east-1",
    forcePathStyle: true,
    credentials: {
      accessKeyId: process.env.AWS_ACCESS_KEY_ID ?? "",
      secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY ?? "",
    },
  });
}

function container(endpoint, account, key, name) {
  const cred = new StorageSharedKeyCredential(account, key);
  return new BlobServiceClient(endpoint, cred).getContainerClient(name);
}

const arity = { "s3-put": 3, "s3-get": 3, "azure-put": 5, "azure-get": 5 };

async function main(op, args) {
  if (!(op in arity)) throw new Error(`unknown operation ${op}`);
  if (args.length !== arity[op]) {
    throw new Error(`${op} takes ${arity[op]} arguments, got ${args.length}`);
  }
  if (op === "s3-put") {
    const body = await readStdin();
    await s3(args[0]).send(new PutObjectCommand({ Bucket: args[1], Key: args[2], Body: body }));
  } else if (op === "s3-get") {
    const out = await s3(args[0]).send(new GetObjectCommand({ Bucket: args[1], Key: args[2] }));
    process.stdout.write(Buffer.from(await out.Body.transformToByteArray()));
  } else if (op === "azure-put") {
    const body = await readStdin();
    await container(...args.slice(0, 4)).getBlockBlobClient(args[4]).upload(body, body.length);
  } else {
    const out = await container(...args.slice(0, 4)).getBlobClient(args[4]).download();
    process.stdout.write(await readAll(out.readableStreamBody));
  }
}

// Bounded: a server that never answers fails the call, not the test run.
const timer = setTimeout(() => {
  console.error(`sdk.mjs ${process.argv[2]}: no answer in 60 s`);
  process.exit(1);
}, 60_000);
main(process.argv[2], process.argv.slice(3)).then(
  () => clearTimeout(timer),
  (err) => {
    console.error(`sdk.mjs ${process.argv[2]}: ${err.stack ?? err}`);
    process.exit(1);
  },
);
