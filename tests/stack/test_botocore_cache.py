"""The process-wide botocore loader: every new session (moto makes one per mock_aws start) shares it."""

from __future__ import annotations

import boto3
import botocore.session
from moto import mock_aws

from local.aws import MOTO_CONFIG
from local.botocore_cache import share_botocore_loader


def test_given_shared_loader_when_two_mock_aws_sessions_then_one_loader_and_separate_moto_state():
    share_botocore_loader()
    share_botocore_loader()  # idempotent
    first, second = botocore.session.Session(), botocore.session.Session()
    assert first.get_component("data_loader") is second.get_component("data_loader")
    with mock_aws(config=MOTO_CONFIG):
        boto3.client("sqs", region_name="us-east-1").create_queue(QueueName="only-in-the-first")
        moto_session = boto3.DEFAULT_SESSION._session  # the session mock_aws had boto3 make anew
        assert moto_session.get_component("data_loader") is first.get_component("data_loader")
    with mock_aws(config=MOTO_CONFIG):  # a fresh moto: the queue of the first is gone, clients still work
        assert boto3.client("sqs", region_name="us-east-1").list_queues().get("QueueUrls", []) == []
