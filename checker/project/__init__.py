"""The project's settings: checker.yaml (config), which environments each template deploys to (plan),
which files are templates (files, globs), and the options shared by the command line and the config."""
