"""A deployment with secrets planted in every place a collector reads a free-form value from AWS, and a
template that declares the same resources with other values, so that each place is drift as well.

A planted text is a note: the name of its place, which reports must show, then secrets, which they must not.
Places where a password-like name holds a plain value (tags, policy conditions, event inputs, HTTP
parameters, environment variables) hold `PASSWORD`. Identifiers (names, ARNs, key ids) are not free-form
and hold no secret. Places the emulator cannot store, or that no collector reads, are said where they are.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.live import payment_env

ACCOUNT = payment_env.ACCOUNT
NOECHO = "Np3cho-db-pass-77"  # the NoEcho parameter's value, substituted into properties (tag-legal characters)
TEMPLATE_STRIPE = "sk_live_TEMPLATEabcdef123"
PASSWORD = "L1ve-db-pass-42"
ACCESS_KEY = "AKIAIOSFODNN7EXAMPLE"
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
STRIPE = "sk_live_LIVEabcdef1234567"
URL_PASSWORD = "kmsUrlPass99"
URL = f"postgres://admin:{URL_PASSWORD}@db.internal:5432/payments"
KEY_MATERIAL = "MIIEplantedKEYmaterial"
PRIVATE_KEY = f"-----BEGIN RSA PRIVATE KEY-----\n{KEY_MATERIAL}\n-----END RSA PRIVATE KEY-----"
PLANTED = (NOECHO, TEMPLATE_STRIPE, PASSWORD, ACCESS_KEY, SECRET_KEY, STRIPE, URL_PASSWORD, KEY_MATERIAL)
EVERY_KIND = (ACCESS_KEY, SECRET_KEY, URL, STRIPE, NOECHO, PRIVATE_KEY)  # for fields that take any text
ONE_LINE = (ACCESS_KEY, URL, STRIPE, NOECHO)  # for tag values and other single-line fields


@dataclass
class Notes:
    """Makes the planted texts, and remembers the places they name."""

    places: list[str] = field(default_factory=list)

    def __call__(self, place: str, secrets: tuple[str, ...] = ONE_LINE, read: bool = True) -> str:
        """The note of a place; `read=False` for a place no collector reads, which no report can show."""
        return " ".join((f"{self.mark(place) if read else place}:", *secrets))

    def mark(self, place: str) -> str:
        self.places.append(place)
        return place


@dataclass
class Planted:
    outputs: dict[str, str]  # the CI outputs file
    template: dict  # the template, declaring other values
    places: list[str]  # what reports must show


def _tags(note: Notes, place: str, read: bool = True) -> list[dict]:
    return [{"Key": "note", "Value": note(place, read=read)}, {"Key": "db_password", "Value": PASSWORD}]


def _statement(sid: str, **rest: Any) -> dict:
    return {"Sid": sid, "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, **rest}


def _document(*statements: dict) -> dict:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def _policy(*statements: dict) -> str:
    return json.dumps(_document(*statements))


def _secret_conditions(note: Notes, place: str) -> dict:
    """A policy condition naming a secret (a statement Sid may hold one too: Sids are alphanumeric)."""
    return {"StringLike": {"aws:UserAgent": note(place)}, "StringEquals": {"aws:PrincipalTag/api_token": PASSWORD}}


def _bucket(aws: Callable[..., Any], note: Notes, name: str, role_arn: str) -> None:
    s3 = aws("s3")
    for bucket in (name, f"{name}-replica"):
        s3.create_bucket(Bucket=bucket)
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": _tags(note, "S3 bucket tag")})
    s3.put_bucket_lifecycle_configuration(Bucket=name, LifecycleConfiguration={"Rules": [{
        "ID": note("S3 lifecycle rule id"), "Status": "Enabled", "Expiration": {"Days": 400},
        "Filter": {"And": {"Prefix": note("S3 lifecycle prefix"), "Tags": [{"Key": "api_key", "Value": PASSWORD}]}}}]})
    s3.put_bucket_replication(Bucket=name, ReplicationConfiguration={"Role": role_arn, "Rules": [{
        "ID": note("S3 replication rule id"), "Priority": 1, "Status": "Enabled",
        "Filter": {"Prefix": note("S3 replication prefix")}, "DeleteMarkerReplication": {"Status": "Disabled"},
        "Destination": {"Bucket": f"arn:aws:s3:::{name}-replica"}}]})
    s3.put_bucket_policy(Bucket=name, Policy=_policy(_statement(
        ACCESS_KEY, Action="s3:GetObject", Resource=f"arn:aws:s3:::{name}/*",
        Condition=_secret_conditions(note, "S3 bucket policy condition"))))


def _databases(aws: Callable[..., Any], note: Notes, name: str) -> tuple[dict, dict]:
    rds = aws("rds")
    cluster = rds.create_db_cluster(DBClusterIdentifier=name, Engine="aurora-mysql", MasterUsername="payments_admin",
                                    ManageMasterUserPassword=True, Tags=_tags(note, "RDS cluster tag"))["DBCluster"]
    instance = rds.create_db_instance(DBInstanceIdentifier=f"{name}-1", DBClusterIdentifier=name,
                                      Engine="aurora-mysql", DBInstanceClass="db.r6g.large",
                                      Tags=_tags(note, "RDS instance tag"))["DBInstance"]
    return cluster, instance


def _key(aws: Callable[..., Any], note: Notes) -> dict:
    return aws("kms").create_key(Description=note("KMS key description", EVERY_KIND), Policy=_policy(
        _statement("Administers", Action="kms:*", Resource="*"),
        _statement(ACCESS_KEY, Action="kms:Decrypt", Resource="*",
                   Condition=_secret_conditions(note, "KMS key policy condition"))))["KeyMetadata"]


def _role(aws: Callable[..., Any], note: Notes, name: str) -> dict:
    iam = aws("iam")
    trust = {"Sid": ACCESS_KEY, "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
             "Action": "sts:AssumeRole", "Condition": {"StringEquals": {"sts:ExternalId": STRIPE},
                                                       "StringLike": {"aws:UserAgent": note("IAM trust condition")}}}
    role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=_policy(trust),
                           Description=note("IAM role description", EVERY_KIND), Tags=_tags(note, "IAM role tag"))
    inline = {"Sid": ACCESS_KEY, "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
              "Condition": _secret_conditions(note, "IAM inline policy condition")}
    iam.put_role_policy(RoleName=name, PolicyName="read-objects", PolicyDocument=_policy(inline))
    return role["Role"]


def _function(aws: Callable[..., Any], note: Notes, name: str, role_arn: str) -> dict:
    functions = aws("lambda")
    function = functions.create_function(
        FunctionName=name, Runtime="python3.12", Handler="index.handler", Role=role_arn,
        Code={"ZipFile": payment_env._code()}, Description=note("Lambda description", (ACCESS_KEY, SECRET_KEY)),
        Environment={"Variables": {  # every value is secret-bearing: the names show, never a value
            "DB_PASSWORD": PASSWORD, "STRIPE_API_KEY": STRIPE, "TLS_KEY": PRIVATE_KEY,
            "DATABASE_URL": f"postgres://app:{NOECHO}@db.internal:5432/payments",
            note.mark("LAMBDA_ENVIRONMENT_NOTE"): " ".join(EVERY_KIND)}},
        # No collector reads a function's tags: planted for the day one does.
        Tags={"note": note("Lambda tag", read=False), "db_password": PASSWORD})
    # A statement added by hand to the function's policy (Live.Policy): its Sid and condition hold secrets.
    functions.add_permission(FunctionName=name, StatementId=ACCESS_KEY, Action="lambda:InvokeFunction",
                             Principal="s3.amazonaws.com", SourceAccount=ACCOUNT,
                             SourceArn=f"arn:aws:s3:::{note('Lambda policy source')}")
    return function


def _rule(aws: Callable[..., Any], note: Notes, name: str, function_arn: str) -> str:
    events = aws("events")
    pattern = {"source": ["payments"], "detail": {"password": [PASSWORD], "note": [note("EventBridge pattern")]}}
    arn = events.put_rule(Name=name, Description=note("EventBridge description", EVERY_KIND),
                          EventPattern=json.dumps(pattern), State="ENABLED")["RuleArn"]
    webhook = f"arn:aws:events:us-east-1:{ACCOUNT}:api-destination/payments-webhook/0a1b2c3d"
    events.put_targets(Rule=name, Targets=[
        {"Id": "input", "Arn": function_arn,
         "Input": json.dumps({"password": PASSWORD, "note": note("EventBridge input", EVERY_KIND)})},
        {"Id": "transformed", "Arn": function_arn, "InputTransformer": {
            "InputPathsMap": {"amount": "$.detail.amount"},
            "InputTemplate": json.dumps({"api_key": PASSWORD, "amount": "<amount>",
                                         "note": note("EventBridge input template")})}},
        {"Id": "webhook", "Arn": webhook, "RoleArn": f"arn:aws:iam::{ACCOUNT}:role/invoke-webhook", "HttpParameters": {
            "HeaderParameters": {"X-Api-Key": PASSWORD, "X-Note": note("EventBridge header")},
            "QueryStringParameters": {"token": PASSWORD, "note": note("EventBridge query")},
            "PathParameterValues": [note("EventBridge path")]}}])
    return arn


def _permission(aws: Callable[..., Any], note: Notes, function: str) -> str:
    # The emulator leaves EventSourceToken out of the statement it stores: that place is not planted.
    statement = "invoke-from-rule"
    aws("lambda").add_permission(
        FunctionName=function, StatementId=statement, Action="lambda:InvokeFunction",
        Principal=f"{STRIPE}.events.amazonaws.com", SourceAccount=ACCOUNT,
        SourceArn=f"arn:aws:events:us-east-1:{ACCOUNT}:rule/{note('Lambda permission source')}")
    return statement


def _topic(aws: Callable[..., Any], note: Notes, name: str) -> str:
    # GetTopicAttributes in the emulator returns neither DataProtectionPolicy nor ArchivePolicy, which the
    # collector reads: those places are not planted. No collector reads a topic's tags or access policy.
    sns = aws("sns")
    topic = sns.create_topic(Name=name, Attributes={"DisplayName": note("SNS display name", (ACCESS_KEY, STRIPE))},
                             Tags=_tags(note, "SNS tag", read=False))["TopicArn"]
    unread = {"StringLike": {"aws:UserAgent": note("SNS policy condition", read=False)}}
    sns.set_topic_attributes(TopicArn=topic, AttributeName="Policy", AttributeValue=_policy(_statement(
        ACCESS_KEY, Action="sns:Publish", Resource=topic, Condition=unread)))
    return topic


def _log_group(aws: Callable[..., Any], note: Notes, name: str) -> None:
    # No collector reads a log group's tags (its other properties are identifiers and numbers): planted for
    # the day one does.
    aws("logs").create_log_group(logGroupName=name, tags={"note": note("log group tag", read=False),
                                                                  "db_password": PASSWORD})


def _network(aws: Callable[..., Any], note: Notes, name: str) -> dict[str, str]:
    """A VPC and a load balancer in it, with an HTTPS listener (sign-in with OIDC, then a fixed response) and a
    redirecting one. No collector reads a listener's tags."""
    ec2, elb = aws("ec2"), aws("elbv2")
    vpc = ec2.create_vpc(CidrBlock="10.40.0.0/16", TagSpecifications=[
        {"ResourceType": "vpc", "Tags": _tags(note, "VPC tag")}])["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.40.{i}.0/24", AvailabilityZone=f"us-east-1{zone}")
               ["Subnet"]["SubnetId"] for i, zone in enumerate("ab")]
    balancer = elb.create_load_balancer(Name=name, Subnets=subnets)["LoadBalancers"][0]["LoadBalancerArn"]
    certificate = aws("acm").request_certificate(DomainName="pay.example.com")["CertificateArn"]
    sign_in = {"Type": "authenticate-oidc", "Order": 1, "AuthenticateOidcConfig": {
        "Issuer": "https://idp.example.com", "AuthorizationEndpoint": "https://idp.example.com/authorize",
        "TokenEndpoint": "https://idp.example.com/token", "UserInfoEndpoint": "https://idp.example.com/userinfo",
        "ClientId": "payments", "ClientSecret": PASSWORD}}
    respond = {"Type": "fixed-response", "Order": 2, "FixedResponseConfig": {
        "StatusCode": "503", "ContentType": "text/plain", "MessageBody": note("listener message body", EVERY_KIND)}}
    listener = elb.create_listener(LoadBalancerArn=balancer, Protocol="HTTPS", Port=443,
                                   Certificates=[{"CertificateArn": certificate}], DefaultActions=[sign_in, respond],
                                   Tags=_tags(note, "listener tag", read=False))["Listeners"][0]["ListenerArn"]
    redirect = {"Protocol": "HTTPS", "Port": "443", "StatusCode": "HTTP_301",  # Path and Query: 128 characters
                "Path": f"/{note.mark('listener-redirect-path')}/{ACCESS_KEY}",
                "Query": f"{note.mark('listener-redirect-query')}=1&password={PASSWORD}&token={STRIPE}"}
    redirecting = elb.create_listener(LoadBalancerArn=balancer, Protocol="HTTP", Port=80, DefaultActions=[
        {"Type": "redirect", "RedirectConfig": redirect}])["Listeners"][0]["ListenerArn"]
    return {"vpc": vpc, "balancer": balancer, "certificate": certificate, "listener": listener,
            "redirect": redirecting}


def _container_cluster(aws: Callable[..., Any], note: Notes, name: str) -> str:
    tags = [{"key": tag["Key"], "value": tag["Value"]} for tag in _tags(note, "ECS cluster tag")]
    logs = {"s3BucketName": f"{name}-exec-logs", "s3KeyPrefix": note("ECS exec log prefix")}
    return aws("ecs").create_cluster(clusterName=name, tags=tags, configuration={"executeCommandConfiguration": {
        "logging": "OVERRIDE", "logConfiguration": logs}})["cluster"]["clusterName"]


def plant(aws: Callable[..., Any], suffix: str) -> Planted:
    """Every resource type a collector reads, deployed with secrets in its free-form values."""
    note = Notes()
    name = f"secrets-{suffix}"
    role = _role(aws, note, name)
    _bucket(aws, note, name, role["Arn"])
    cluster, instance = _databases(aws, note, name)
    key = _key(aws, note)
    function = _function(aws, note, name, role["Arn"])
    rule = _rule(aws, note, name, function["FunctionArn"])
    permission = _permission(aws, note, name)
    topic = _topic(aws, note, name)
    _log_group(aws, note, f"/payments/{name}")
    network = _network(aws, note, name)
    outputs = {
        "BucketName": name, "BucketPolicyId": name, "ClusterArn": cluster["DBClusterArn"],
        "InstanceId": instance["DBInstanceIdentifier"], "KeyArn": key["Arn"], "RoleName": name,
        "FunctionArn": function["FunctionArn"], "RuleArn": rule, "PermissionId": permission, "TopicArn": topic,
        "LogGroupName": f"/payments/{name}", "VpcId": network["vpc"], "ListenerArn": network["listener"],
        "RedirectListenerArn": network["redirect"], "EcsClusterName": _container_cluster(aws, note, name),
    }
    return Planted(outputs, template(name, network), note.places)


def _declared_policy(resource: Any, action: str) -> dict:
    return _document(_statement("Declared", Action=action, Resource=resource))


def _declared_tags() -> list[dict]:
    return [{"Key": "note", "Value": "declared"}, {"Key": "db_password", "Value": {"Ref": "DbPassword"}}]


def template(name: str, network: dict[str, str]) -> dict:
    """The template of the deployment, as it was written: the same resources with other values (some built
    from the NoEcho parameter), so that every planted place differs from it."""
    function_arn = {"Fn::GetAtt": ["Function", "Arn"]}
    resources = {
        "Bucket": {"Type": "AWS::S3::Bucket", "Properties": {
            "BucketName": name, "Tags": _declared_tags(),
            "LifecycleConfiguration": {"Rules": [
                {"Id": "declared", "Status": "Enabled", "Prefix": "declared/", "ExpirationInDays": 400}]},
            "ReplicationConfiguration": {"Role": {"Fn::GetAtt": ["Role", "Arn"]}, "Rules": [{
                "Id": "declared", "Priority": 1, "Status": "Enabled", "Filter": {"Prefix": "declared/"},
                "DeleteMarkerReplication": {"Status": "Disabled"},
                "Destination": {"Bucket": f"arn:aws:s3:::{name}-replica"}}]}}},
        "BucketPolicy": {"Type": "AWS::S3::BucketPolicy", "Properties": {
            "Bucket": {"Ref": "Bucket"}, "PolicyDocument": _declared_policy(f"arn:aws:s3:::{name}/*", "s3:GetObject")}},
        "Cluster": {"Type": "AWS::RDS::DBCluster", "Properties": {
            "DBClusterIdentifier": name, "Engine": "aurora-mysql", "Tags": _declared_tags()}},
        "Instance": {"Type": "AWS::RDS::DBInstance", "Properties": {
            "DBInstanceIdentifier": f"{name}-1", "DBClusterIdentifier": {"Ref": "Cluster"}, "Engine": "aurora-mysql",
            "DBInstanceClass": "db.r6g.large", "Tags": _declared_tags()}},
        "Key": {"Type": "AWS::KMS::Key", "Properties": {
            "Description": {"Fn::Sub": "declared: postgres://admin:${DbPassword}@db.internal/payments"},
            "KeyPolicy": _declared_policy("*", "kms:*")}},
        "Role": {"Type": "AWS::IAM::Role", "Properties": {
            "RoleName": name, "Description": "declared", "Tags": _declared_tags(),
            "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{
                "Sid": "Declared", "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                "Action": "sts:AssumeRole"}]},
            "Policies": [{"PolicyName": "read-objects", "PolicyDocument": _declared_policy("*", "s3:GetObject")}]}},
        "Function": {"Type": "AWS::Lambda::Function", "Properties": {
            "FunctionName": name, "Runtime": "python3.12", "Handler": "index.handler",
            "Role": {"Fn::GetAtt": ["Role", "Arn"]}, "Code": {"ZipFile": "def handler(event, context): pass"},
            "Description": "declared",
            "Environment": {"Variables": {
                "DB_PASSWORD": {"Ref": "DbPassword"}, "STRIPE_API_KEY": TEMPLATE_STRIPE,
                "DATABASE_URL": {"Fn::Sub": "postgres://app:${DbPassword}@db.internal:5432/payments"},
                "LAMBDA_ENVIRONMENT_NOTE": "declared"}}}},
        "Rule": {"Type": "AWS::Events::Rule", "Properties": {
            "Name": name, "Description": "declared", "State": "ENABLED",
            "EventPattern": {"source": ["declared"], "detail": {"note": ["declared"]}},
            "Targets": [
                {"Id": "input", "Arn": function_arn, "Input": {"Fn::Sub": '{"password": "${DbPassword}"}'}},
                {"Id": "transformed", "Arn": function_arn, "InputTransformer": {
                    "InputPathsMap": {"amount": "$.detail.amount"}, "InputTemplate": '{"amount": <amount>}'}}]}},
        "Permission": {"Type": "AWS::Lambda::Permission", "Properties": {
            "FunctionName": {"Ref": "Function"}, "Action": "lambda:InvokeFunction",
            "Principal": "events.amazonaws.com", "SourceArn": {"Fn::GetAtt": ["Rule", "Arn"]}}},
        "Topic": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": name, "DisplayName": "declared"}},
        "LogGroup": {"Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupName": f"/payments/{name}"}},
        "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.40.0.0/16", "Tags": _declared_tags()}},
        "Listener": {"Type": "AWS::ElasticLoadBalancingV2::Listener", "Properties": {
            "LoadBalancerArn": network["balancer"], "Protocol": "HTTPS", "Port": 443,
            "Certificates": [{"CertificateArn": network["certificate"]}], "DefaultActions": [{
                "Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "503", "MessageBody": "declared"}}]}},
        "RedirectListener": {"Type": "AWS::ElasticLoadBalancingV2::Listener", "Properties": {
            "LoadBalancerArn": network["balancer"], "Protocol": "HTTP", "Port": 80, "DefaultActions": [{
                "Type": "redirect", "RedirectConfig": {"Protocol": "HTTPS", "StatusCode": "HTTP_301",
                                                       "Path": "/declared", "Query": "declared=1"}}]}},
        "EcsCluster": {"Type": "AWS::ECS::Cluster", "Properties": {
            "ClusterName": name, "Tags": _declared_tags(), "Configuration": {"ExecuteCommandConfiguration": {
                "Logging": "OVERRIDE", "LogConfiguration": {"S3KeyPrefix": "declared"}}}}},
    }
    outputs = {"BucketName": {"Ref": "Bucket"}, "BucketPolicyId": {"Ref": "BucketPolicy"},
               "ClusterArn": {"Fn::GetAtt": ["Cluster", "DBClusterArn"]}, "InstanceId": {"Ref": "Instance"},
               "KeyArn": {"Fn::GetAtt": ["Key", "Arn"]}, "RoleName": {"Ref": "Role"}, "FunctionArn": function_arn,
               "RuleArn": {"Fn::GetAtt": ["Rule", "Arn"]}, "PermissionId": {"Ref": "Permission"},
               "TopicArn": {"Ref": "Topic"}, "LogGroupName": {"Ref": "LogGroup"}, "VpcId": {"Ref": "Vpc"},
               "ListenerArn": {"Ref": "Listener"}, "RedirectListenerArn": {"Ref": "RedirectListener"},
               "EcsClusterName": {"Ref": "EcsCluster"}}
    return {"Parameters": {"DbPassword": {"Type": "String", "NoEcho": True}}, "Resources": resources,
            "Outputs": {output: {"Value": value} for output, value in outputs.items()}}
