"""The benchmark's boto3 peer: the calls bucket-preflight makes, one after another, as a
careful script would write them. Usage: boto3_calls.py ENDPOINT BUCKET"""

import sys
import urllib.request

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

endpoint, bucket = sys.argv[1], sys.argv[2]
session = boto3.session.Session(region_name="us-east-1")
config = Config(s3={"addressing_style": "path"})
s3 = session.client("s3", endpoint_url=endpoint, config=config)
sts = session.client("sts", endpoint_url=endpoint)


def ask(call, **kwargs):
    try:
        return call(**kwargs)
    except ClientError as err:  # "not configured" answers are answers too
        return err.response


sts.get_caller_identity()
s3.head_bucket(Bucket=bucket)
ask(s3.get_bucket_location, Bucket=bucket)
ask(s3.get_public_access_block, Bucket=bucket)
ask(s3.get_bucket_ownership_controls, Bucket=bucket)
ask(s3.get_bucket_versioning, Bucket=bucket)
ask(s3.get_bucket_encryption, Bucket=bucket)
ask(s3.get_bucket_policy, Bucket=bucket)
ask(s3.get_object_lock_configuration, Bucket=bucket)
key = "bucket-preflight-bench.txt"
s3.list_objects_v2(Bucket=bucket, Prefix=key, MaxKeys=1)
s3.put_object(Bucket=bucket, Key=key, Body=b"probe", ACL="public-read")
urllib.request.urlopen(f"{endpoint}/{bucket}/{key}").read()
s3.delete_object(Bucket=bucket, Key=key)
