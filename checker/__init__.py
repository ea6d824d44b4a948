"""Policy-as-code compliance for CloudFormation: one rule set for templates and for deployed stacks."""
__version__ = "0.1.0"
