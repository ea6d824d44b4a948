"""Organisation scans: every stack of many accounts and Regions, checked live on a Dask cluster.

Modules, driver to worker: options (command line), targets (accounts, Regions, stacks), assign (the
configuration's environments and templates for stacks), work (what crosses to the workers), schedule
(the Dask driver), worker (the tasks), limits (call rates per account), stream (JSON Lines, resume), run
(the library call `scan_org`). The paged HTML report is checker.report.pages; the command, checker.cli.org.
Dask and boto3 are imported only when an organisation scan runs.
"""
