#!/usr/bin/env bash
# Gate a CloudFormation change set before it is executed (CodeBuild in CodePipeline, or any CI job).
# Exits 0 when the deployment may proceed, 1 when it must not (the reasons are printed), 2 on bad input.
#
# Required: STACK_NAME, CHANGE_SET_NAME. Optional: CHECKER_ENV (default: the change set's Environment
# parameter), CHECKER_FAIL_ON (default: checker.yaml's fail-on, else low), CHECKER_WAIVERS, CHECKER_BASELINE,
# CHECKER_TEMPLATE_NAME (the template's file name: a baseline written from the file matches, and checker.yaml's
# values for that file render the other environments), CHECKER_SOFT_FAIL=true.
# Writes checker-gate.json, checker-gate.xml (JUnit) and checker-gate.html in the working directory.
set -euo pipefail
: "${STACK_NAME:?set STACK_NAME}" "${CHANGE_SET_NAME:?set CHANGE_SET_NAME}"

args=(gate --stack-name "$STACK_NAME" --change-set-name "$CHANGE_SET_NAME"
      --quiet --json checker-gate.json --junit checker-gate.xml --html checker-gate.html)
if [ -n "${CHECKER_FAIL_ON:-}" ]; then args+=(--fail-on "$CHECKER_FAIL_ON"); fi  # else checker.yaml's, else low
if [ -n "${CHECKER_ENV:-}" ]; then args+=(--env "$CHECKER_ENV"); fi
if [ -n "${CHECKER_WAIVERS:-}" ]; then args+=(--waivers "$CHECKER_WAIVERS"); fi
if [ -n "${CHECKER_BASELINE:-}" ]; then args+=(--baseline "$CHECKER_BASELINE"); fi
if [ -n "${CHECKER_TEMPLATE_NAME:-}" ]; then args+=(--template-name "$CHECKER_TEMPLATE_NAME"); fi
if [ "${CHECKER_SOFT_FAIL:-false}" = "true" ]; then args+=(--soft-fail); fi
exec checker "${args[@]}"
