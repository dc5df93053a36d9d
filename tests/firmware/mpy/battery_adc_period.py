"""An ADC battery reader's rate limit and its ADC error, on a virtual clock.

Reads once per 1000 ms period: prints whether a read 999 ms later keeps the
first value, whether one at 1000 ms takes the new (lower) ADC value, then
vbatt_mv and the error count after the ADC fails.
"""

import battery
import clock
import fake_bus
import sample

clk = clock.VirtualClock(0)
s = sample.Sample()
adc = fake_bus.FakeADC(value_u16=50000)
b = battery.AdcBattery(adc, clk, 3000, 3300, period_ms=1000)
b.read(s)
first = s.vbatt_mv
adc.value_u16 = 40000
clk.advance_ms(999)
b.read(s)
print(s.vbatt_mv == first)
clk.advance_ms(1)
b.read(s)
print(s.vbatt_mv < first)
adc.fail = True
clk.advance_ms(1000)
b.read(s)
print(s.vbatt_mv, b.errors)
