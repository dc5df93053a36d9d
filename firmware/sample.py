"""One set of sensor readings, preallocated once and refilled in place every
loop iteration (no allocation per sample).

Units are fixed-point integers chosen so every value and every intermediate a
consumer needs stays below 2**30 (a small int on rp2/esp32):
pressure in decipascal (110 000 Pa -> 1 100 000), acceleration in milli-g per
axis in the *board* frame (the flight code rotates it by the configured
mounting), battery in millivolts.
"""


class Sample:
    def __init__(self):
        self.t_ms = 0  # clock tick of the reading (see clock.diff_ms)
        self.press_dpa = 0  # static pressure, 0.1 Pa; meaningful only if baro_ok
        self.baro_ok = False  # driver read it without a bus error
        self.ax_mg = 0  # board-frame acceleration, milli-g (gravity included)
        self.ay_mg = 0
        self.az_mg = 0
        self.accel_ok = False
        self.vbatt_mv = 0  # 0 when the board cannot measure it
        self.arm_input = False  # state of the arm switch / key, if the board has one

    def copy_from(self, other):
        self.t_ms = other.t_ms
        self.press_dpa = other.press_dpa
        self.baro_ok = other.baro_ok
        self.ax_mg = other.ax_mg
        self.ay_mg = other.ay_mg
        self.az_mg = other.az_mg
        self.accel_ok = other.accel_ok
        self.vbatt_mv = other.vbatt_mv
        self.arm_input = other.arm_input
