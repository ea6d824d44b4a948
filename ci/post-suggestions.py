"""Post checker's fixes on a GitHub pull request as one review of "suggested changes".

    python ci/post-suggestions.py SUGGESTIONS.json

SUGGESTIONS.json is what `checker scan --suggestions` writes. The pull request and its head commit come
from the event file ($GITHUB_EVENT_PATH); $GITHUB_TOKEN needs `pull-requests: write`. Suggestions
already on the pull request (same file, line and text) are not posted again. When GitHub refuses the
review because some lines are outside the pull request's diff, the others are posted one by one.
Standard library only; a failure to post is reported and never fails the job (the scan decides that).
"""
from __future__ import annotations

import json
import os
import sys
import urllib.error
import urllib.request
from typing import Any


def call(method: str, url: str, token: str, body: Any = None) -> Any:
    request = urllib.request.Request(
        url, data=None if body is None else json.dumps(body).encode(), method=method,
        headers={"Authorization": f"Bearer {token}", "Accept": "application/vnd.github+json",
                 "X-GitHub-Api-Version": "2022-11-28", "Content-Type": "application/json",
                 "User-Agent": "checker-action"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read() or b"null")


def posted_before(pulls: str, token: str) -> set[tuple[str, int, str]]:
    seen: set[tuple[str, int, str]] = set()
    page = 1
    while True:
        batch = call("GET", f"{pulls}/comments?per_page=100&page={page}", token) or []
        seen |= {(c.get("path"), c.get("line"), c.get("body")) for c in batch}
        if len(batch) < 100:
            return seen
        page += 1


def post(comments: list[dict], pulls: str, commit: str, token: str) -> str:
    seen = posted_before(pulls, token)
    new = [c for c in comments if (c["path"], c["line"], c["body"]) not in seen]
    if not new:
        return "checker: the suggested changes are already on the pull request"
    summary = (f"checker suggests {len(new)} change(s) that fix the compliance failures of this pull request; "
               "each was verified by scanning the patched templates again in every environment.")
    try:
        call("POST", f"{pulls}/reviews", token, {"commit_id": commit, "event": "COMMENT", "body": summary,
                                                 "comments": new})
        return f"checker: posted {len(new)} suggested change(s)"
    except urllib.error.HTTPError as exc:
        if exc.code != 422:
            raise
    posted = 0
    for comment in new:  # some lines are outside the diff: GitHub refused the whole review
        try:
            call("POST", f"{pulls}/comments", token, {"commit_id": commit, **comment})
            posted += 1
        except urllib.error.HTTPError as exc:
            if exc.code != 422:
                raise
    return (f"checker: posted {posted} of {len(new)} suggested change(s); the others are on lines "
            "this pull request does not change")


def main(path: str) -> int:
    with open(path, encoding="utf-8") as handle:
        comments = json.load(handle)
    with open(os.environ["GITHUB_EVENT_PATH"], encoding="utf-8") as handle:
        pull_request = json.load(handle).get("pull_request") or {}
    if not comments or not pull_request.get("number"):
        print("checker: no suggested changes to post")
        return 0
    api = os.environ.get("GITHUB_API_URL", "https://api.github.com").rstrip("/")
    pulls = f"{api}/repos/{os.environ['GITHUB_REPOSITORY']}/pulls/{pull_request['number']}"
    try:
        print(post(comments, pulls, pull_request["head"]["sha"], os.environ["GITHUB_TOKEN"]))
    except (urllib.error.URLError, OSError, ValueError) as exc:
        print(f"checker: could not post the suggested changes: {exc}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
