"""Stage 3, live: read a deployment back from AWS as the same document a template renders to.

discover (which resources a stack has), collectors (one per resource type, translating API responses
to CloudFormation properties), runner (the calls: threads, retries, rate limits), scan (the deployment's
document, evaluated by the engine), drift (template and deployment compared), changeset (a change set
read for the gate), permissions (the read-only IAM policy a live scan needs). boto3 is imported here only.
"""

DEFAULT_WORKERS = 32  # benchmarks/live_faults.py: at 50 ms a request, 32 workers read about 2x faster than 8
