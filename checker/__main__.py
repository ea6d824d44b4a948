import signal
import sys

from checker.cli import main

code = main()
signal.signal(signal.SIGINT, signal.SIG_IGN)  # the command is over: a late Ctrl-C must not turn 130 into -2
sys.exit(code)
