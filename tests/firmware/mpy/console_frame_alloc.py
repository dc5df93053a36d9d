"""What the console's frame path allocates: prints "bytes samples".

argv: the stream's file, 1 for bulk reads (0: byte by byte). After a first
poll sets up the stream's buffers, 2000 polls of 64 bytes run with the
recorder quiet; the heap growth over them and the samples decoded in all.
"""

import gc
import sys

import console_rig

con, rec = console_rig.make(open(sys.argv[1], "rb"), sys.argv[2] == "1")
rec.quiet = True
con.poll(0, 200)  # first reads: the stream's buffers are set up
n = 0
a = 0
gc.collect()
a = gc.mem_alloc()
while n < 2000:
    con.poll(0, 64)
    n += 1
print(gc.mem_alloc() - a, rec.samples)
