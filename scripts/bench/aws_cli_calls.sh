#!/usr/bin/env bash
# The benchmark's aws CLI peer: the calls bucket-preflight makes, one command each, as a support
# engineer would type them. Usage: aws_cli_calls.sh AWS ENDPOINT BUCKET
set -u
aws=$1 endpoint=$2 bucket=$3
key=bucket-preflight-bench.txt
body=$(mktemp)
trap 'rm -f "$body"' EXIT
echo probe > "$body"
s3() { "$aws" --endpoint-url "$endpoint" --region us-east-1 s3api "$@" >/dev/null 2>&1; }
"$aws" --endpoint-url "$endpoint" --region us-east-1 sts get-caller-identity >/dev/null
s3 head-bucket --bucket "$bucket"
s3 get-bucket-location --bucket "$bucket"
s3 get-public-access-block --bucket "$bucket"
s3 get-bucket-ownership-controls --bucket "$bucket"
s3 get-bucket-versioning --bucket "$bucket"
s3 get-bucket-encryption --bucket "$bucket"
s3 get-bucket-policy --bucket "$bucket"
s3 get-object-lock-configuration --bucket "$bucket"
s3 list-objects-v2 --bucket "$bucket" --prefix "$key" --max-keys 1
s3 put-object --bucket "$bucket" --key "$key" --body "$body" --acl public-read
curl -fsS "$endpoint/$bucket/$key" >/dev/null
s3 delete-object --bucket "$bucket" --key "$key"
