"""The bytes of file argv[1] fed to a fresh GNSS reader, then flushed: an `F`
line per published cycle and the reader's counters (tests/support/gnss_reader_rig.py)."""

import sys

from gnss_reader_rig import counts, feed_file, r

feed_file(sys.argv[1])
r.flush()
counts()
