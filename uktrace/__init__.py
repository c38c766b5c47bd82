"""uktrace: the engine (launching, timelines, statistics, recording) and the command line.

Never imports Textual: everything but drawing runs and is tested headless.
"""

__version__ = "0.1.0"

from . import native

native.install()
