"""AWS emulated by moto, every resource created from template.yaml so local and deployed cannot drift.

Usage (inside an active `moto.mock_aws(config=MOTO_CONFIG)`):

    resources = create_resources(parameters={"RolloutMode": "auto"}, secrets={...})
    os.environ.update(resources.environment())
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3

from local.template import REPO_ROOT, Resolver, cached_template, parameter_defaults, resources_of_type

REGION = "us-east-1"
ACCOUNT_ID = "123456789012"
PREFIX = "fivetran-recovery-local"
MOTO_CONFIG: dict[str, Any] = {
    "stepfunctions": {"execute_state_machine": True},
    "lambda": {"use_docker": False},
}
FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
}


@dataclass
class FunctionSpec:
    logical_id: str
    name: str
    arn: str
    code_dir: Path
    handler: str
    timeout: int
    environment: dict[str, str]

    @property
    def short_name(self) -> str:
        """`ingest` for functions/ingest/."""
        return self.code_dir.name


@dataclass
class LocalResources:
    tables: dict[str, str] = field(default_factory=dict)  # logical id -> table name
    queues: dict[str, str] = field(default_factory=dict)  # logical id -> queue URL
    secrets: dict[str, str] = field(default_factory=dict)  # logical id -> secret ARN
    functions: dict[str, FunctionSpec] = field(default_factory=dict)
    state_machines: dict[str, str] = field(default_factory=dict)  # logical id -> ARN
    parameters: dict[str, str] = field(default_factory=dict)

    def environment(self) -> dict[str, str]:
        """Union of every function's environment: in-process handlers share one process."""
        merged: dict[str, str] = {}
        for spec in self.functions.values():
            for key, value in spec.environment.items():
                if key in merged and merged[key] != value:
                    raise ValueError(f"functions disagree on environment variable {key}")
                merged[key] = value
        return merged

    def function(self, short_name: str) -> FunctionSpec:
        for spec in self.functions.values():
            if spec.short_name == short_name:
                return spec
        raise KeyError(short_name)


def _table_args(name: str, props: dict[str, Any]) -> dict[str, Any]:
    args: dict[str, Any] = {
        "TableName": name,
        "KeySchema": props["KeySchema"],
        "AttributeDefinitions": props["AttributeDefinitions"],
        "BillingMode": props.get("BillingMode", "PAY_PER_REQUEST"),
    }
    if props.get("GlobalSecondaryIndexes"):
        args["GlobalSecondaryIndexes"] = props["GlobalSecondaryIndexes"]
    return args


def _zip_placeholder() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", "# the local stack runs the handler in-process\n")
    return buffer.getvalue()


def create_resources(
    *,
    parameters: dict[str, str] | None = None,
    secrets: dict[str, dict[str, Any]] | None = None,
    template: dict[str, Any] | None = None,
) -> LocalResources:
    """Create tables, queues, secrets, functions and state machines of the template in moto."""
    template = template or cached_template()
    params = parameter_defaults(template) | {k: str(v) for k, v in (parameters or {}).items()}
    resolver = Resolver(parameters=params, region=REGION, account_id=ACCOUNT_ID)
    resolver.evaluate_conditions(template.get("Conditions", {}))
    out = LocalResources(parameters=params)

    dynamodb = boto3.client("dynamodb", region_name=REGION)
    for logical_id, spec in resources_of_type(template, "AWS::DynamoDB::Table").items():
        name = f"{PREFIX}-{logical_id}"
        props = spec["Properties"]
        dynamodb.create_table(**_table_args(name, props))
        ttl = props.get("TimeToLiveSpecification")
        if ttl:
            dynamodb.update_time_to_live(TableName=name, TimeToLiveSpecification=ttl)
        out.tables[logical_id] = name
        resolver.refs[logical_id] = name
        resolver.attributes[(logical_id, "Arn")] = f"arn:aws:dynamodb:{REGION}:{ACCOUNT_ID}:table/{name}"

    sqs = boto3.client("sqs", region_name=REGION)
    queue_specs = resources_of_type(template, "AWS::SQS::Queue")
    for logical_id, spec in queue_specs.items():
        props = spec.get("Properties", {})
        fifo = bool(props.get("FifoQueue"))
        name = f"{PREFIX}-{logical_id}" + (".fifo" if fifo else "")
        attributes = {
            key: str(props[key]).lower() if isinstance(props[key], bool) else str(props[key])
            for key in ("FifoQueue", "ContentBasedDeduplication", "VisibilityTimeout", "MessageRetentionPeriod",
                        "DeduplicationScope", "FifoThroughputLimit")
            if key in props
        }
        url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
        out.queues[logical_id] = url
        resolver.refs[logical_id] = url
        resolver.attributes[(logical_id, "Arn")] = f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:{name}"
        resolver.attributes[(logical_id, "QueueName")] = name
    for logical_id, spec in queue_specs.items():
        redrive = spec.get("Properties", {}).get("RedrivePolicy")
        if redrive:
            sqs.set_queue_attributes(
                QueueUrl=out.queues[logical_id],
                Attributes={"RedrivePolicy": json.dumps(resolver.resolve(redrive))},
            )

    secretsmanager = boto3.client("secretsmanager", region_name=REGION)
    for logical_id, spec in resources_of_type(template, "AWS::SecretsManager::Secret").items():
        if "Condition" in spec and not resolver.conditions[spec["Condition"]]:
            continue  # not deployed with these parameters
        name = f"{PREFIX}/{logical_id}"
        value = (secrets or {}).get(logical_id, {})
        arn = secretsmanager.create_secret(Name=name, SecretString=json.dumps(value))["ARN"]
        out.secrets[logical_id] = arn
        resolver.refs[logical_id] = arn

    _create_keys_and_buckets(template, resolver)
    for logical_id in resources_of_type(template, "AWS::Serverless::Function"):
        name = f"{PREFIX}-{logical_id}"
        resolver.refs[logical_id] = name
        resolver.attributes[(logical_id, "Arn")] = f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{name}"
    for logical_id in resources_of_type(template, "AWS::Serverless::StateMachine"):
        name = f"{PREFIX}-{logical_id}"
        arn = f"arn:aws:states:{REGION}:{ACCOUNT_ID}:stateMachine:{name}"
        resolver.refs[logical_id] = arn
        resolver.attributes[(logical_id, "Arn")] = arn
        resolver.attributes[(logical_id, "Name")] = name

    _create_functions(template, resolver, out)
    _create_state_machines(template, resolver, out)
    return out


def _create_keys_and_buckets(template: dict[str, Any], resolver: Resolver) -> None:
    """KMS keys (the audit HMAC key) and S3 buckets (the Object Lock audit anchors) of the template."""
    kms = boto3.client("kms", region_name=REGION)
    for logical_id, spec in resources_of_type(template, "AWS::KMS::Key").items():
        props = spec.get("Properties", {})
        meta = kms.create_key(KeySpec=props.get("KeySpec", "SYMMETRIC_DEFAULT"),
                              KeyUsage=props.get("KeyUsage", "ENCRYPT_DECRYPT"))["KeyMetadata"]
        resolver.refs[logical_id] = meta["KeyId"]
        resolver.attributes[(logical_id, "Arn")] = meta["Arn"]
    s3 = boto3.client("s3", region_name=REGION)
    for logical_id, spec in resources_of_type(template, "AWS::S3::Bucket").items():
        name = f"{PREFIX}-{logical_id}".lower()
        locked = bool(spec.get("Properties", {}).get("ObjectLockEnabled"))
        s3.create_bucket(Bucket=name, ObjectLockEnabledForBucket=locked)
        resolver.refs[logical_id] = name
        resolver.attributes[(logical_id, "Arn")] = f"arn:aws:s3:::{name}"


def _create_functions(template: dict[str, Any], resolver: Resolver, out: LocalResources) -> None:
    lambda_client = boto3.client("lambda", region_name=REGION)
    iam = boto3.client("iam", region_name=REGION)
    role_arn = iam.create_role(
        RoleName=f"{PREFIX}-functions",
        AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []}),
    )["Role"]["Arn"]
    globals_fn = template.get("Globals", {}).get("Function", {})
    global_env = globals_fn.get("Environment", {}).get("Variables", {})
    for logical_id, spec in resources_of_type(template, "AWS::Serverless::Function").items():
        props = spec["Properties"]
        env = {**global_env, **props.get("Environment", {}).get("Variables", {})}
        environment = {key: str(resolver.resolve(value)) for key, value in env.items()}
        name = resolver.refs[logical_id]
        lambda_client.create_function(
            FunctionName=name,
            Runtime=props.get("Runtime", globals_fn.get("Runtime", "python3.12")),
            Role=role_arn,
            Handler=props["Handler"],
            Code={"ZipFile": _zip_placeholder()},
            Timeout=int(props.get("Timeout", globals_fn.get("Timeout", 3))),
        )
        out.functions[logical_id] = FunctionSpec(
            logical_id=logical_id,
            name=name,
            arn=resolver.attributes[(logical_id, "Arn")],
            code_dir=REPO_ROOT / props["CodeUri"],
            handler=props["Handler"],
            timeout=int(props.get("Timeout", globals_fn.get("Timeout", 3))),
            environment=environment,
        )


def render_definition(definition_uri: str, substitutions: dict[str, Any], resolver: Resolver) -> str:
    """The ASL text with `${Name}` substitutions applied, as CloudFormation does it."""
    text = (REPO_ROOT / definition_uri).read_text()
    for key, value in substitutions.items():
        text = text.replace("${" + key + "}", str(resolver.resolve(value)))
    return text


def _create_state_machines(template: dict[str, Any], resolver: Resolver, out: LocalResources) -> None:
    sfn = boto3.client("stepfunctions", region_name=REGION)
    for logical_id, spec in resources_of_type(template, "AWS::Serverless::StateMachine").items():
        props = spec["Properties"]
        definition = render_definition(props["DefinitionUri"], props.get("DefinitionSubstitutions", {}), resolver)
        json.loads(definition)  # a clear error here beats a confusing one from the emulator
        arn = sfn.create_state_machine(
            name=resolver.attributes[(logical_id, "Name")],
            definition=definition,
            roleArn=f"arn:aws:iam::{ACCOUNT_ID}:role/{PREFIX}-states",
            type=props.get("Type", "STANDARD"),
        )["stateMachineArn"]
        out.state_machines[logical_id] = arn
