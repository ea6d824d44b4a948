"""Stage 4, the decision: which results may pass. waivers (excused failures, with expiry), baseline (known
failures accepted), gate (what blocks a deployment: severity threshold, unchecked results, refusals)."""
