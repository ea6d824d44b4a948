#!/usr/bin/env bash
# The steps of action.yml: install the checker, scan, write SARIF, append the Markdown summary to
# $GITHUB_STEP_SUMMARY, on a pull request post the verified fixes as suggested changes, and record
# outputs in $GITHUB_OUTPUT. Exits with the checker's exit code.
#
# Inputs (environment): CHECKER_PATHS, CHECKER_ENVIRONMENTS, CHECKER_CONFIG, CHECKER_FAIL_ON,
# CHECKER_WAIVERS, CHECKER_BASELINE, CHECKER_SOFT_FAIL, CHECKER_SARIF, CHECKER_SUGGEST,
# CHECKER_GITHUB_TOKEN. The checker is installed from the action's own checkout ($GITHUB_ACTION_PATH),
# or from CHECKER_SOURCE when set.
set -euo pipefail

source_dir="${CHECKER_SOURCE:-${GITHUB_ACTION_PATH:-$(cd "$(dirname "$0")/.." && pwd)}}"
python -m pip install --quiet --disable-pip-version-check "$source_dir"

work="${RUNNER_TEMP:-${TMPDIR:-/tmp}}/checker-$$"
mkdir -p "$work"
sarif="${CHECKER_SARIF:-checker.sarif}"

read -r -a paths <<< "${CHECKER_PATHS:-templates}"
args=(scan "${paths[@]}" --quiet --sarif "$sarif" --markdown "$work/summary.md" --json "$work/results.json")
if [ -n "${CHECKER_FAIL_ON:-}" ]; then args+=(--fail-on "$CHECKER_FAIL_ON"); fi  # else checker.yaml's, else low
read -r -a environments <<< "${CHECKER_ENVIRONMENTS:-}"
for name in ${environments[@]+"${environments[@]}"}; do args+=(--env "$name"); done
if [ -n "${CHECKER_CONFIG:-}" ]; then args+=(--config "$CHECKER_CONFIG"); fi
if [ -n "${CHECKER_WAIVERS:-}" ]; then args+=(--waivers "$CHECKER_WAIVERS"); fi
if [ -n "${CHECKER_BASELINE:-}" ]; then args+=(--baseline "$CHECKER_BASELINE"); fi
if [ "${CHECKER_SOFT_FAIL:-false}" = "true" ]; then args+=(--soft-fail); fi
suggest=false
if [ "${CHECKER_SUGGEST:-true}" = "true" ] && [ "${GITHUB_EVENT_NAME:-}" = "pull_request" ] \
    && [ -n "${CHECKER_GITHUB_TOKEN:-}" ]; then
  suggest=true
  args+=(--suggestions "$work/suggestions.json")
fi

status=0
checker "${args[@]}" || status=$?

if [ "$suggest" = "true" ] && [ -s "$work/suggestions.json" ]; then
  GITHUB_TOKEN="$CHECKER_GITHUB_TOKEN" python "$source_dir/ci/post-suggestions.py" "$work/suggestions.json" || true
fi
if [ -s "$work/summary.md" ] && [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
  cat "$work/summary.md" >> "$GITHUB_STEP_SUMMARY"
fi
if [ -n "${GITHUB_OUTPUT:-}" ]; then
  echo "exit-code=$status" >> "$GITHUB_OUTPUT"
  if [ -s "$sarif" ]; then echo "sarif=$sarif" >> "$GITHUB_OUTPUT"; fi
fi
exit "$status"
