"""Policy-as-code compliance for CloudFormation: one rule set for templates and for deployed stacks."""
__version__ = "0.1.0"
HOMEPAGE = "https://github.com/cfn-policy-checker/cfn-policy-checker"  # also [project.urls] in pyproject.toml
