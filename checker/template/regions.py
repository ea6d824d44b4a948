"""AWS Regions, as listed in botocore's bundled endpoint data (read as data: botocore is not imported).

The Region lists are kept in the per-user cache under the endpoints file's content hash, so a scan does
not parse that 1 MB file each time; a botocore upgrade changes the file and so the entry.
"""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from checker.errors import did_you_mean

COMMERCIAL_PARTITION = "aws"


@lru_cache(maxsize=1)
def partitions() -> dict[str, tuple[str, ...]]:
    """Partition name -> its Regions, from botocore's endpoints.json."""
    import importlib.util  # imported on use, as the cache: a scan without a Region needs neither

    from checker.cache import cached_json

    spec = importlib.util.find_spec("botocore")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("botocore is not installed: it holds the list of AWS Regions")
    text = (Path(next(iter(spec.submodule_search_locations))) / "data" / "endpoints.json").read_bytes()

    def read() -> dict[str, list[str]]:
        return {p["partition"]: list(p.get("regions", {})) for p in json.loads(text)["partitions"]}

    return {name: tuple(regions) for name, regions in cached_json("regions", [text], read).items()}


def commercial_regions() -> tuple[str, ...]:
    """The Regions of the standard (commercial) partition."""
    return partitions()[COMMERCIAL_PARTITION]


def region_problem(region: str) -> str | None:
    """Why `region` is not an AWS Region (with the nearest names), or None when it is one."""
    known = [name for regions in partitions().values() for name in regions]
    if region in known:
        return None
    return f"unknown AWS Region {region!r}{did_you_mean(region, known)}"
