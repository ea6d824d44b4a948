"""What `scan --live` says on the console: drift summarised per environment, or that there is none."""
from __future__ import annotations

from checker.cli import main
from tests.live import payment_env


def test_drift_found_by_scan_live_is_summarised_on_the_console(endpoint, drifted, capsys):
    main(drifted.scan_args(endpoint))
    lines = capsys.readouterr().out.splitlines()
    [summary] = [line for line in lines if line.startswith("drift in prod: ")]
    assert "rule(s) pass on the template but fail live" in summary
    assert f"{len(payment_env.DRIFT)} propert(ies) differ from the template" in summary
    listed = lines[lines.index(summary) + 1:]
    assert "  DataKey Properties.EnableKeyRotation: template true, live false" in listed


def test_scan_live_says_when_there_is_no_drift(endpoint, payment, capsys):
    main(payment.scan_args(endpoint))
    assert "drift in prod: none, the deployment matches the template" in capsys.readouterr().out.splitlines()
