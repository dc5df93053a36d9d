"""The port a firmware test runs on is the one it says: the 32-bit runs
really meet a board's word size (small ints end at 2**30, viper wraps at 32
bits), so a test that passes there proves the code stays inside them."""

from mpy import SCRIPTS, current_port, run_mpy


def test_the_interpreter_has_the_word_size_of_its_port():
    maxsize, allocated, wrapped = run_mpy(file=SCRIPTS / "word_size.py").split()
    if current_port() == "unix32":
        assert int(maxsize) == 2**31 - 1
        assert allocated == "True"
        assert int(wrapped) == -(2**31)
    else:
        assert int(maxsize) == 2**63 - 1
        assert allocated == "False"
        assert int(wrapped) == 2**31
