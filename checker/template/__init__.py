"""Stage 1, the template: read a CloudFormation template and render it for one environment.

load (files, with each key's line; yaml_events builds YAML with short-form tags), sam (the Serverless
transform), nested (child stacks), intrinsics (the functions, with values only known at deployment kept
as `Unknown`, see values), render (the CloudFormation-shaped document a rule reads), worlds (which
Conditions can hold together), names and partitions (the names and ARNs AWS gives), mask (secrets).
"""
