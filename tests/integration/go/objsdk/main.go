// The official Go SDKs (aws-sdk-go-v2's S3 client and azblob, pinned in
// ../go.mod) as independent readers and writers of objects for the
// object-store backend tests (tests/integration/objstore): what runnel
// writes, this reads back, and the other way round. Built and run by
// objstore_emulator_test, with the same verbs as sdk.py and sdk.mjs there:
//
//	objsdk s3-put ENDPOINT BUCKET KEY                      (content on stdin)
//	objsdk s3-get ENDPOINT BUCKET KEY                      (content on stdout)
//	objsdk azure-put ENDPOINT ACCOUNT KEY CONTAINER BLOB   (stdin)
//	objsdk azure-get ENDPOINT ACCOUNT KEY CONTAINER BLOB   (stdout)
//
// S3 credentials come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY; the
// S3 client is path-style in us-east-1. Any failure exits 1 with the SDK's
// error on stderr.
package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

func s3Client(endpoint string) *s3.Client {
	return s3.New(s3.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(endpoint),
		UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider(
			os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY"), ""),
	})
}

func blobClient(endpoint, account, key string) (*azblob.Client, error) {
	cred, err := azblob.NewSharedKeyCredential(account, key)
	if err != nil {
		return nil, err
	}
	return azblob.NewClientWithSharedKeyCredential(endpoint, cred, nil)
}

func run(ctx context.Context, op string, args []string) error {
	want := map[string]int{"s3-put": 3, "s3-get": 3, "azure-put": 5, "azure-get": 5}
	n, ok := want[op]
	if !ok {
		return fmt.Errorf("unknown operation %q", op)
	}
	if len(args) != n {
		return fmt.Errorf("%s takes %d arguments, got %d", op, n, len(args))
	}
	switch op {
	case "s3-put":
		body, err := io.ReadAll(os.Stdin)
		if err != nil {
			return err
		}
		_, err = s3Client(args[0]).PutObject(ctx, &s3.PutObjectInput{
			Bucket: aws.String(args[1]), Key: aws.String(args[2]), Body: bytes.NewReader(body),
		})
		return err
	case "s3-get":
		out, err := s3Client(args[0]).GetObject(ctx, &s3.GetObjectInput{
			Bucket: aws.String(args[1]), Key: aws.String(args[2]),
		})
		if err != nil {
			return err
		}
		defer out.Body.Close()
		_, err = io.Copy(os.Stdout, out.Body)
		return err
	case "azure-put":
		c, err := blobClient(args[0], args[1], args[2])
		if err != nil {
			return err
		}
		body, err := io.ReadAll(os.Stdin)
		if err != nil {
			return err
		}
		_, err = c.UploadBuffer(ctx, args[3], args[4], body, nil)
		return err
	default: // azure-get
		c, err := blobClient(args[0], args[1], args[2])
		if err != nil {
			return err
		}
		out, err := c.DownloadStream(ctx, args[3], args[4], nil)
		if err != nil {
			return err
		}
		defer out.Body.Close()
		_, err = io.Copy(os.Stdout, out.Body)
		return err
	}
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: objsdk s3-put|s3-get|azure-put|azure-get ARGS...")
		os.Exit(2)
	}
	// Bounded: a server that never answers fails the call, not the test run.
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := run(ctx, os.Args[1], os.Args[2:]); err != nil {
		fmt.Fprintf(os.Stderr, "objsdk %s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
}
