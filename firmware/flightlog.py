"""Flight recorder: what the board saw and did, kept on its own flash so the
recovery team can answer "what happened?".

Promises
- One fixed-size binary record per logged sample, written with
  struct.pack_into into one preallocated block buffer: `record()` and
  `event()` allocate nothing, including when a full block is written (the
  CRC is computed into a preallocated array, see crc32_into; the block
  is written whole with file.write of the bytearray, which does not
  allocate). Opening the next segment file (once per SEGMENT_BLOCKS blocks)
  allocates one file object (~100 B plus the file system's cache); `open()`,
  `flush()` on a partial block, `stats()` and `clear()` allocate freely.
  (As everywhere in MicroPython without pystack, a call whose frame exceeds
  11 words takes the frame from the heap and frees it on return: no garbage
  is left, gc.mem_alloc() is unchanged, the GC never has to run for it.)
- Rate follows the phase (PERIOD_MS): full detail from DESCENT to one minute
  after landing, 1 Hz on the stand, one record a minute in the beacon phase,
  so weeks of beacon fit while the descent stays.
- The descent is never overwritten. The log is SEGMENTS files of
  SEGMENT_BLOCKS blocks; when one is full the oldest segment that holds no
  DESCENT..LANDED record is recycled. If every other segment holds descent
  data the recorder stops and counts what it drops rather than overwrite it.
- A flash or file-system error never raises: the block goes to another
  segment; if none can be opened the recorder pauses for WRITE_RETRY_MS and
  counts what it drops.
- A power cut loses at most the block being filled. Every block carries a
  sequence number and a CRC-32; `open()` finds the end of the valid log and
  continues it with a new session number and the next sequence numbers.

Write policy (flash wear and time)
    A block is written when its last slot is used: one file.write of
    BLOCK_BYTES, then file.flush(), which on LittleFS commits the file
    (lfs_file_sync): the block is durable when flush() returns. LittleFS
    copies the file's partial last erase block before appending after a
    sync, so a block write costs about two erase blocks plus a metadata
    commit: with 4 KB blocks at the descent rate (about 0.8 KB/s) that is
    one write every ~5 s, ~500 erases over a 20-minute descent spread over
    the file system by LittleFS's wear levelling. The flight loop stalls for
    the duration of the write (tens of ms on RP2040 flash: erase time).
    `flush()` writes the partial block (padded to a full block: the on-flash
    format is fixed-size blocks); call it on landing and before a shutdown.

On-flash format (version 1), all little-endian:
    DIR/segNNN.fl   segment files, each a whole number of blocks
    block (BLOCK_BYTES, a power of two, 256..32768):
        0   'F' 'L'        magic
        2   u8  FORMAT
        3   u8  log2(BLOCK_BYTES)
        4   u32 seq        +1 per block written; continues across boots
        8   u16 session    +1 per open() (boot)
        10  u8  nrec       records used in this block
        11  u8  keep_mask  bit p: a record of retention class p (a phase) is here
        12  nrec records of RECORD_BYTES, then zeros
        -4  u32 CRC-32 (zlib's) of bytes [0, BLOCK_BYTES - 4)
    record (32 bytes), first byte a tag:
        'S' sample  tag phase pyro_bits flags(1: an axis clipped) t_ms:u32
                    press_dpa alt_cm speed_cms accel_cms2 (i32 each)
                    ax_cg ay_cg az_cg (i16, 10 mg units) vbatt_mv:u16
        'G' fix     tag mode sats flags(1 alt_ok, 2 speed_ok, 4 course_ok,
                    8 time_ok) rx_ms:u32 lat_deg:i16 lon_deg:i16 lat_e7r:i32
                    lon_e7r:i32 alt_cm:i32 speed_cms:u16 course_cdeg:u16
                    hdop_c:u16 0:u16
        'E' event   tag code phase 0 t_ms:u32 a:i32 b:i32 (16 zero bytes)
        'H' header  tag FORMAT session:u16 start_ms:u32 config_hash:u32
                    utc_date:u32 (yyyymmdd, 0 unknown) utc_time:u32
                    (hhmmssmmm) utc_tick_ms:u32 (tick at that UTC)
                    segment:u16 reset_cause:u16 up_s:u32 (whole seconds
                    since start_ms; the tick start_ms + up_s*1000 is the
                    anchor from which the decoder counts this segment's
                    ticks, so time survives recycled segments and the
                    2**30 ms tick wrap)
        'N' names   tag board_name:15s fw_version:16s (NUL padded)
    'H' and 'N' open the first block of every segment and of every session.
"""

import os
import struct
from array import array
from micropython import const

from clock import add_ms

FORMAT = const(1)
MAGIC_F = const(0x46)  # 'F'
MAGIC_L = const(0x4C)  # 'L'
BLOCK_HEAD_BYTES = const(12)
BLOCK_CRC_BYTES = const(4)
BLOCK_SPARE_BYTES = const(16)  # head + CRC, rounded up to whole records
RECORD_BYTES = const(32)

TAG_SAMPLE = const(0x53)  # 'S'
TAG_FIX = const(0x47)  # 'G'
TAG_EVENT = const(0x45)  # 'E'
TAG_HEADER = const(0x48)  # 'H'
TAG_NAMES = const(0x4E)  # 'N'

# Phase numbers, shared with the flight sequencer.
SAFE = const(0)
ARMED = const(1)
DESCENT = const(2)
DROGUE = const(3)
MAIN = const(4)
LANDED = const(5)
BEACON = const(6)
PHASES = const(7)
PHASE_NAMES = ("SAFE", "ARMED", "DESCENT", "DROGUE", "MAIN", "LANDED", "BEACON")

# Event codes (a, b meaning). Codes 16..255 are free for the application.
EV_PHASE = const(1)  # a = new phase, b = previous phase
EV_FIRE = const(2)  # a = channel (0 drogue, 1 main), b = application-defined
EV_FAULT = const(3)  # a = fault code, b = detail
EV_BOOT = const(4)  # written by open(): a = session, b = reset cause
EV_UTC = const(5)  # written by record(): t = fix tick, a = yyyymmdd, b = hhmmssmmm
EV_LOG = const(6)  # a = LOG_* below, b = segment index or errno
LOG_RECYCLED = const(1)  # segment b reused: its older stand/beacon records are gone
LOG_WRITE_ERROR = const(2)  # a block write failed with errno b; moved to another segment
LOG_CLEARED = const(3)

# Minimum time between two logged samples, per phase (ms). A phase change is
# always logged. DESCENT (entry to drogue) is the fast, eventful part; under
# chutes 10 Hz resolves the deploy transients the barometer can see.
PERIOD_MS = (1000, 1000, 40, 100, 100, 100, 60000)
LANDED_DETAIL_MS = const(60000)  # landing (and splashdown) detail kept this long
# After LANDED_DETAIL_MS the landed phase is logged and retained like the
# beacon phase, so a board that never leaves LANDED cannot fill the log.
LANDED_LATE_PERIOD_MS = const(60000)
PROTECT_MASK = const(0x3C)  # retention classes DESCENT..LANDED are never recycled
SEG_PROTECTED = const(1)  # a segment holds descent records
WRITE_RETRY_MS = const(10000)  # after a flash error, wait this long before writing again

BLOCK_BYTES = const(4096)  # = the LittleFS block size on rp2 and esp32 flash
SEGMENT_BLOCKS = const(16)  # 64 KB segment files
SEGMENTS_MIN = const(3)  # current + one protected + one to recycle
SEGMENTS_MAX = const(32)
LOG_SHARE_PCT = const(75)  # share of the file system's free space the log takes

_F_HEAD = "<BBBBIHBB"
_F_SAMPLE = "<BBBBIiiiihhhH"
_F_FIX = "<BBBBIhhiiiHHHH"
_F_EVENT = "<BBBBIiiIIII"
_F_HEADER = "<BBHIIIIIHHI"
_F_NAMES = "<B15s16s"
_F_CRC = "<HH"

# CRC-32 of a block (zlib's polynomial, initial value and final XOR, so the
# host checks blocks with zlib.crc32), written into an array('H', 2) as two
# 16-bit halves, low first. binascii.crc32 would return the CRC as an int,
# which three times in four is >= 2**30: a heap-allocated big int on a 32-bit
# port, once per block. The native (viper) version costs ~20 us per 4 KB on
# the unix port, a few hundred us on an RP2040; it is compiled on the board
# at import (exec of the source below) so the module itself compiles with
# mpy-cross for any target. Where the native emitter is missing, a
# pure-Python loop keeps the register in two 16-bit halves (~3 ms per 4 KB on
# the unix port, ~60-100 ms on an RP2040).
_CRC_TABLE = array("I", bytes(1024))
_CRC_LO = array("H", bytes(512))
_CRC_HI = array("H", bytes(512))

_NATIVE_CRC_SRC = """
@micropython.viper
def fill(t: ptr32):
    for i in range(256):
        c = uint(i)
        for _ in range(8):
            if c & 1:
                c = (c >> 1) ^ uint(0xEDB88320)
            else:
                c = c >> 1
        t[i] = c


@micropython.viper
def crc32(buf: ptr8, n: int, t: ptr32, out: ptr16):
    # the register may be 64 bits wide (unix port): mask after the shift
    c = uint(0) - uint(1)
    for i in range(n):
        c = uint(t[(c ^ uint(buf[i])) & 0xFF]) ^ ((c >> 8) & 0xFFFFFF)
    out[0] = (c & 0xFFFF) ^ 0xFFFF
    out[1] = ((c >> 16) & 0xFFFF) ^ 0xFFFF
"""


def _native_crc():
    try:
        import micropython

        ns = {"micropython": micropython}
        exec(_NATIVE_CRC_SRC, ns)
        ns["fill"](_CRC_TABLE)
        return ns["crc32"]
    except Exception:  # no native emitter on this port (or CPython)
        return None


_crc32_native = _native_crc()


def crc32_into_native(buf, n, out):
    """CRC-32 of buf[0:n] into out[0] (low half) and out[1] (high half)."""
    _crc32_native(buf, n, _CRC_TABLE, out)


def _fill_crc_tables():
    for i in range(256):
        lo = i
        hi = 0
        for _ in range(8):
            if lo & 1:
                lo = ((lo >> 1) | ((hi & 1) << 15)) ^ 0x8320
                hi = (hi >> 1) ^ 0xEDB8
            else:
                lo = (lo >> 1) | ((hi & 1) << 15)
                hi = hi >> 1
        _CRC_LO[i] = lo
        _CRC_HI[i] = hi


_fill_crc_tables()


def crc32_into_py(buf, n, out):
    """CRC-32 of buf[0:n] into out[0] (low half) and out[1] (high half)."""
    lo = 0xFFFF
    hi = 0xFFFF
    tlo = _CRC_LO
    thi = _CRC_HI
    for i in range(n):
        k = (lo ^ buf[i]) & 0xFF
        lo = ((lo >> 8) | ((hi & 0xFF) << 8)) ^ tlo[k]
        hi = (hi >> 8) ^ thi[k]
    out[0] = lo ^ 0xFFFF
    out[1] = hi ^ 0xFFFF


if _crc32_native is None:
    crc32_into = crc32_into_py
    CRC_IMPL = "python"
else:
    crc32_into = crc32_into_native
    CRC_IMPL = "native"


def _clamp16(v):
    if v > 32767:
        return 32767
    if v < -32768:
        return -32768
    return v


def _clamp_u16(v):
    if v > 65535:
        return 65535
    if v < 0:
        return 0
    return v


def _ascii(text, size):
    b = text.encode() if isinstance(text, str) else bytes(text)
    return b[:size]


class FlightLog:
    """The board's flight recorder (one instance, for the whole flight)."""

    def __init__(
        self,
        dir_path,
        clock,
        board_name="sim",
        fw_version="0.1.0",
        config_hash=0,
        block_bytes=BLOCK_BYTES,
        segment_blocks=SEGMENT_BLOCKS,
        segments=0,
    ):
        """`segments=0` sizes the log at open() to LOG_SHARE_PCT of the free space."""
        shift = 8
        while (1 << shift) < block_bytes:
            shift += 1
        if (1 << shift) != block_bytes or shift > 15:
            raise ValueError("block_bytes must be a power of two, 256..32768")
        if segment_blocks < 1:
            raise ValueError("segment_blocks must be >= 1")
        self._dir = dir_path.rstrip("/") or "/"
        self._clock = clock
        self._board = _ascii(board_name, 15)
        self._fw = _ascii(fw_version, 16)
        self._config_hash = config_hash
        self._bb = block_bytes
        self._bshift = shift
        self._slots = (block_bytes - BLOCK_SPARE_BYTES) // RECORD_BYTES
        self._seg_blocks = segment_blocks
        self._nseg_wanted = segments
        self._blk = bytearray(block_bytes)
        self._crc = array("H", (0, 0))
        self._f = None
        self._nseg = 0
        self._paths = ()
        self._reset_state()

    def _reset_state(self):
        self._nrec = 0
        self._mask = 0
        self._blk_samples = 0
        self._need_header = True
        self._seq = 0
        self._session = 0
        self._seg = -1
        self._seg_used = 0
        self._start_ms = 0
        self._up_tick = 0
        self._up_s = 0
        self._reset_cause = 0
        self._phase = -1  # no sample yet: the first one is always logged
        self._phase_ms = 0
        self._last_ms = 0
        self._fix_ms = -1
        self._fix_mode = -1
        self._utc_date = 0
        self._utc_time = 0
        self._utc_tick = 0
        self._full = False
        self._failed = False
        self._failed_ms = 0
        # counters, this session
        self._blocks_written = 0
        self._samples_logged = 0
        self._samples_saved = 0
        self._samples_skipped = 0
        self._dropped = 0
        self._events = 0
        self._bad_input = 0
        self._write_errors = 0
        self._recycled = 0
        self._found_blocks = 0

    # ---------------------------------------------------------------- boot
    def open(self, reset_cause=0):
        """Find the end of the log on flash and continue it (new session).

        Reads every block header and CRC-checks the last block of each
        segment (a cut can only damage the block being written). Returns
        True when the recorder is writing."""
        if self._f is not None:
            self.close()
        self._reset_state()
        self._reset_cause = reset_cause & 0xFFFF
        self._start_ms = self._clock.now_ms()
        self._up_tick = self._start_ms
        self._up_s = 0
        self._make_dirs()
        self._size_segments()
        nseg = self._nseg
        self._seg_first = array("i", [-1] * nseg)  # seq of a segment's first block
        self._seg_keep = bytearray(nseg)  # 1 = holds descent data: never recycled
        self._tried = bytearray(nseg)
        best_seq = -1
        best_seg = -1
        best_clean_blocks = -1
        best_session = -1
        for i in range(nseg):
            last_seq, session, clean_blocks = self._scan_segment(i)
            if last_seq > best_seq:
                best_seq = last_seq
                best_seg = i
                best_clean_blocks = clean_blocks
                best_session = session
        self._seq = best_seq + 1
        self._session = (best_session + 1) & 0xFFFF
        recycled = -1
        if 0 <= best_clean_blocks < self._seg_blocks:
            recycled = self._continue_segment(best_seg, best_clean_blocks)
        else:
            recycled = self._rotate()
        self.event(EV_BOOT, self._session, self._reset_cause)
        if recycled >= 0:
            self.event(EV_LOG, LOG_RECYCLED, recycled)
        return self._f is not None

    def _make_dirs(self):
        path = "/" if self._dir.startswith("/") else ""
        for part in self._dir.split("/"):
            if not part:
                continue
            path = path + part if not path or path.endswith("/") else path + "/" + part
            try:
                os.mkdir(path)
            except OSError:
                pass  # exists (or the file system will say so at the first write)

    def _size_segments(self):
        if self._nseg_wanted:
            nseg = self._nseg_wanted
        else:
            existing = 0
            try:
                for name in os.listdir(self._dir):
                    if name.startswith("seg") and name.endswith(".fl"):
                        existing += 1
            except OSError:
                pass
            try:
                st = os.statvfs(self._dir)
                frsize = st[1] or st[0]
                per_seg = (self._seg_blocks * self._bb) // frsize + 1  # + CTZ/metadata
                nseg = existing + (st[4] // per_seg) * LOG_SHARE_PCT // 100
            except (OSError, ZeroDivisionError):
                nseg = existing
            nseg = max(SEGMENTS_MIN, min(SEGMENTS_MAX, nseg))
        self._nseg = nseg
        self._paths = tuple("%s/seg%03d.fl" % (self._dir, i) for i in range(nseg))

    def _check_head(self, buf):
        """True if buf starts with a block head of this log's geometry."""
        return (
            buf[0] == MAGIC_F
            and buf[1] == MAGIC_L
            and buf[2] == FORMAT
            and buf[3] == self._bshift
            and buf[10] <= self._slots
        )

    def _block_valid(self):
        blk = self._blk
        if not self._check_head(blk):
            return False
        n = self._bb - BLOCK_CRC_BYTES
        crc32_into(blk, n, self._crc)
        return blk[n] | (blk[n + 1] << 8) == self._crc[0] and (
            blk[n + 2] | (blk[n + 3] << 8) == self._crc[1]
        )

    def _scan_segment(self, i):
        """Fill seg tables for segment i; return (last valid seq, its session,
        blocks if the file can be appended to else -1)."""
        try:
            size = os.stat(self._paths[i])[6]
        except OSError:
            return -1, -1, -1
        bb = self._bb
        nblk = size // bb
        head = bytearray(BLOCK_HEAD_BYTES)
        first = -1
        keep = 0
        last_seq = -1
        session = -1
        clean = size == nblk * bb
        try:
            with open(self._paths[i], "rb") as f:
                for b in range(nblk):
                    f.seek(b * bb)
                    if f.readinto(head) == BLOCK_HEAD_BYTES and self._check_head(head):
                        if first < 0:
                            first = struct.unpack_from("<I", head, 4)[0]
                        keep |= head[11]
                # The last blocks are the ones a cut may have torn: the last
                # CRC-valid block gives the segment's end.
                b = nblk - 1
                while b >= 0:
                    f.seek(b * bb)
                    if f.readinto(self._blk) == bb and self._block_valid():
                        last_seq, session = struct.unpack_from("<IH", self._blk, 4)
                        break
                    clean = False
                    b -= 1
        except OSError:
            return -1, -1, -1
        self._found_blocks += nblk
        self._seg_first[i] = first
        self._seg_keep[i] = SEG_PROTECTED if keep & PROTECT_MASK else 0
        return last_seq, session, (nblk if clean else -1)

    def _continue_segment(self, i, blocks):
        try:
            self._f = open(self._paths[i], "ab")
        except OSError:
            self._write_errors += 1
            return self._rotate()
        self._seg = i
        self._seg_used = blocks
        if self._seg_first[i] < 0:
            self._seg_first[i] = self._seq
        self._need_header = True
        return -1

    def _close_file(self):
        """Close the open segment, if any. A failing close is let go: the
        file is given up either way."""
        if self._f is not None:
            try:
                self._f.close()
            except OSError:
                pass
            self._f = None

    def _rotate(self):
        """Close the current segment and start the oldest recyclable one.

        Returns the index of a recycled segment (older records dropped) or -1.
        The caller logs that (it knows whether the block buffer is free)."""
        self._close_file()
        tried = self._tried
        for i in range(self._nseg):
            tried[i] = 0
        while True:
            pick = -1
            pick_first = 0
            for i in range(self._nseg):
                if i == self._seg or self._seg_keep[i] or tried[i]:
                    continue
                first = self._seg_first[i]
                if pick < 0 or first < pick_first:
                    pick = i
                    pick_first = first
            if pick < 0:
                break
            try:
                self._f = open(self._paths[pick], "wb")
            except OSError:
                self._write_errors += 1
                tried[pick] = 1
                continue
            self._seg = pick
            self._seg_used = 0
            self._seg_first[pick] = self._seq
            self._need_header = True
            if pick_first >= 0:
                self._recycled += 1
                return pick
            return -1
        if self._any(tried):
            self._failing()  # the file system refused: try again later
        else:
            self._full = True  # every other segment holds the descent: keep it
        return -1

    def _any(self, flags):
        for i in range(self._nseg):
            if flags[i]:
                return True
        return False

    def _failing(self):
        """Stop writing for WRITE_RETRY_MS (the flash or file system failed)."""
        self._failed = True
        self._failed_ms = self._clock.now_ms()

    def _retry(self, now):
        """Called while not writing: after a failure, try a segment again."""
        if self._failed and self._clock.diff_ms(now, self._failed_ms) >= WRITE_RETRY_MS:
            self._failed = False
            self._nrec = 0  # whatever was buffered when it failed is gone
            self._mask = 0
            self._blk_samples = 0
            recycled = self._rotate()
            if recycled >= 0:
                self._event_at(EV_LOG, LOG_RECYCLED, recycled, now)
        return self._f is not None

    # ---------------------------------------------------------- hot path
    def _uptime(self, now):
        """Advance the whole seconds since open() (never wraps in practice:
        2**30 s is 34 years), anchored on a tick exactly up_s s after start."""
        d = self._clock.diff_ms(now, self._up_tick)
        if d >= 1000:
            k = d // 1000
            self._up_s += k
            self._up_tick = add_ms(self._up_tick, k * 1000)

    def _slot(self):
        """Offset of the next free record slot (the head records go first)."""
        if self._need_header:
            self._need_header = False
            self._put_header()
        return BLOCK_HEAD_BYTES + self._nrec * RECORD_BYTES

    def _commit(self, keep):
        self._nrec += 1
        bit = 1 << keep
        self._mask |= bit
        if bit & PROTECT_MASK:
            self._seg_keep[self._seg] = SEG_PROTECTED
        if self._nrec >= self._slots:
            self._write_block()

    def _put_header(self):
        self._uptime(self._clock.now_ms())
        blk = self._blk
        off = BLOCK_HEAD_BYTES + self._nrec * RECORD_BYTES
        struct.pack_into(
            _F_HEADER,
            blk,
            off,
            TAG_HEADER,
            FORMAT,
            self._session,
            self._start_ms,
            self._config_hash,
            self._utc_date,
            self._utc_time,
            self._utc_tick,
            self._seg,
            self._reset_cause,
            self._up_s,
        )
        struct.pack_into(_F_NAMES, blk, off + RECORD_BYTES, TAG_NAMES, self._board, self._fw)
        self._nrec += 2
        self._mask |= 1 << (self._phase if 0 <= self._phase < PHASES else SAFE)

    def record(
        self,
        phase,
        press_dpa,
        alt_cm,
        speed_cms,
        accel_cms2,
        ax_mg,
        ay_mg,
        az_mg,
        vbatt_mv,
        pyro_bits,
        fix,
    ):
        """Log one sample if the phase's rate says so (call once per sample).

        `fix` (fix.Fix or None) is logged with the sample when it changed
        since the last logged one. Returns True if the sample was logged."""
        now = self._clock.now_ms()
        if self._f is None and not self._retry(now):
            self._dropped += 1
            return False
        if phase < 0 or phase >= PHASES:
            self._bad_input += 1
            keep = SAFE
            period = PERIOD_MS[SAFE]
        else:
            keep = phase
            period = PERIOD_MS[phase]
        if phase != self._phase:
            self._phase = phase
            self._phase_ms = now
        else:
            if phase == LANDED and self._clock.diff_ms(now, self._phase_ms) >= LANDED_DETAIL_MS:
                keep = BEACON
                period = LANDED_LATE_PERIOD_MS
            if self._clock.diff_ms(now, self._last_ms) < period:
                self._samples_skipped += 1
                return False
        self._last_ms = now
        if self._clock.diff_ms(now, self._up_tick) >= 1000:
            self._uptime(now)
        # every sample of the descent comes here: the rounding, the clipping
        # check and _slot are written out (calls cost more than the arithmetic)
        try:
            if self._need_header:
                self._need_header = False
                self._put_header()
            off = BLOCK_HEAD_BYTES + self._nrec * RECORD_BYTES
            flags = 0
            ax = (ax_mg + 5) // 10  # mg -> 10 mg, rounded
            ay = (ay_mg + 5) // 10
            az = (az_mg + 5) // 10
            if not (-32768 <= ax <= 32767 and -32768 <= ay <= 32767 and -32768 <= az <= 32767):
                flags = 1  # clipped: the log says so
                ax = _clamp16(ax)
                ay = _clamp16(ay)
                az = _clamp16(az)
            struct.pack_into(
                _F_SAMPLE,
                self._blk,
                off,
                TAG_SAMPLE,
                phase & 0xFF,
                pyro_bits & 0xFF,
                flags,
                now,
                press_dpa,
                alt_cm,
                speed_cms,
                accel_cms2,
                ax,
                ay,
                az,
                vbatt_mv if 0 <= vbatt_mv <= 65535 else _clamp_u16(vbatt_mv),
            )
        except (TypeError, ValueError, OverflowError):
            self._bad_input += 1
            return False
        self._blk_samples += 1
        self._samples_logged += 1
        self._commit(keep)
        if fix is not None and self._f is not None:
            self._log_fix(fix, keep)
        return True

    def _log_fix(self, fix, keep):
        """Log the fix if it changed since the last one logged."""
        try:
            if fix.rx_ms == self._fix_ms and fix.mode == self._fix_mode:
                return
            off = self._slot()
            flags = 0
            if fix.alt_ok:
                flags |= 1
            if fix.speed_ok:
                flags |= 2
            if fix.course_ok:
                flags |= 4
            if fix.time_ok:
                flags |= 8
            struct.pack_into(
                _F_FIX,
                self._blk,
                off,
                TAG_FIX,
                fix.mode & 0xFF,
                fix.sats & 0xFF,
                flags,
                fix.rx_ms,
                fix.lat_deg,
                fix.lon_deg,
                fix.lat_e7r,
                fix.lon_e7r,
                fix.alt_cm,
                _clamp_u16(fix.speed_cms),
                _clamp_u16(fix.course_cdeg),
                _clamp_u16(fix.hdop_c),
                0,
            )
        except (TypeError, ValueError, OverflowError, AttributeError):
            self._bad_input += 1
            return
        self._fix_ms = fix.rx_ms
        self._fix_mode = fix.mode
        self._commit(keep)
        if self._utc_date == 0 and fix.year and fix.time_ok:
            # Ties the board's ticks to UTC once per session; later segment
            # headers carry it too. (The fields were read once above, so
            # they are ints here; the products stay below 2**30.)
            date = (fix.year * 100 + fix.month) * 100 + fix.day
            self._utc_time = ((fix.hour * 100 + fix.minute) * 100 + fix.second) * 1000 + fix.ms
            self._utc_date = date
            self._utc_tick = fix.rx_ms
            self._event_at(EV_UTC, date, self._utc_time, fix.rx_ms)

    def event(self, code, a=0, b=0):
        """Log an event now (never decimated): EV_* code and two int args."""
        return self._event_at(code, a, b, self._clock.now_ms())

    def _event_at(self, code, a, b, t_ms):
        if self._f is None and not self._retry(t_ms):
            self._dropped += 1
            return False
        phase = self._phase
        keep = phase if 0 <= phase < PHASES else SAFE
        try:
            off = self._slot()
            struct.pack_into(
                _F_EVENT,
                self._blk,
                off,
                TAG_EVENT,
                code & 0xFF,
                phase & 0xFF,
                0,
                t_ms,
                a,
                b,
                0,
                0,
                0,
                0,
            )
        except (TypeError, ValueError, OverflowError):
            self._bad_input += 1
            return False
        self._events += 1
        self._commit(keep)
        return True

    def _write_block(self):
        blk = self._blk
        n = self._nrec
        bb = self._bb
        end = bb - BLOCK_CRC_BYTES
        i = BLOCK_HEAD_BYTES + n * RECORD_BYTES
        while i < end:  # only a partial block (flush) has unused slots
            blk[i] = 0
            i += 1
        struct.pack_into(
            _F_HEAD,
            blk,
            0,
            MAGIC_F,
            MAGIC_L,
            FORMAT,
            self._bshift,
            self._seq,
            self._session,
            n,
            self._mask,
        )
        crc32_into(blk, end, self._crc)
        struct.pack_into(_F_CRC, blk, end, self._crc[0], self._crc[1])
        try:
            self._f.write(blk)
            self._f.flush()
        except OSError as exc:
            self._write_failed(exc, n)
            return
        self._after_write(n)

    def _write_failed(self, exc, n):
        """The segment may now end in a torn block: never append to it again;
        write the same block to another segment and say so in the log."""
        self._write_errors += 1
        self._seg_used = self._seg_blocks
        recycled = self._rotate()
        if self._f is not None:
            try:
                self._f.write(self._blk)
                self._f.flush()
            except OSError:
                self._write_errors += 1
                self._close_file()
        if self._f is None:
            self._dropped += self._nrec  # that block is lost
            self._nrec = 0
            self._mask = 0
            self._blk_samples = 0
            if not self._full:
                self._failing()
            return
        self._after_write(n)
        errno = exc.errno if isinstance(exc.errno, int) else 0
        self._event_at(EV_LOG, LOG_WRITE_ERROR, errno, self._clock.now_ms())
        if recycled >= 0:
            self._event_at(EV_LOG, LOG_RECYCLED, recycled, self._clock.now_ms())

    def _after_write(self, n):
        self._seq += 1
        self._seg_used += 1
        self._blocks_written += 1
        self._samples_saved += self._blk_samples
        self._blk_samples = 0
        self._nrec = 0
        self._mask = 0
        if self._seg_used >= self._seg_blocks:
            recycled = self._rotate()
            if recycled >= 0:
                self._event_at(EV_LOG, LOG_RECYCLED, recycled, self._clock.now_ms())

    # ------------------------------------------------------ housekeeping
    def flush(self):
        """Write the partial block now (padded: one block of flash)."""
        if self._f is not None and self._nrec > 0:
            self._write_block()

    def close(self):
        self.flush()
        self._close_file()

    def clear(self):
        """Delete the whole log and start a fresh one (same session).

        Refused (returns False) while the last sample said ARMED..MAIN."""
        if ARMED <= self._phase <= MAIN:
            return False
        self._close_file()
        for p in self._paths:
            try:
                os.remove(p)
            except OSError:
                pass
        for i in range(self._nseg):
            self._seg_first[i] = -1
            self._seg_keep[i] = 0
        self._nrec = 0
        self._mask = 0
        self._blk_samples = 0
        self._full = False
        self._failed = False
        self._seg = -1
        self._utc_date = 0
        self._fix_ms = -1
        self._fix_mode = -1
        self._rotate()
        self.event(EV_LOG, LOG_CLEARED, 0)
        return self._f is not None

    def stats(self):
        """Counters and fill state (allocates: not for the flight loop)."""
        protected = 0
        used = 0
        for i in range(self._nseg):
            if self._seg_keep[i] == SEG_PROTECTED:
                protected += 1
            if self._seg_first[i] >= 0:
                used += 1
        return {
            "session": self._session,
            "seq": self._seq,
            "segment": self._seg,
            "segments": self._nseg,
            "segments_used": used,
            "segments_protected": protected,
            "segment_blocks": self._seg_blocks,
            "segment_blocks_used": self._seg_used,
            "block_bytes": self._bb,
            "blocks_found": self._found_blocks,
            "blocks_written": self._blocks_written,
            "records_buffered": self._nrec,
            "samples_logged": self._samples_logged,
            "samples_saved": self._samples_saved,
            "samples_skipped": self._samples_skipped,
            "records_dropped": self._dropped,
            "events": self._events,
            "bad_input": self._bad_input,
            "write_errors": self._write_errors,
            "segments_recycled": self._recycled,
            "full": self._full,
            "failing": self._failed,
            "writing": self._f is not None,
            "phase": self._phase,
            "crc": CRC_IMPL,
        }
