"""compare's verdicts, by name: a module of their own, so what only says a verdict (the observer
effect a run reports at its end) need not import compare's machinery."""

SLOWER, FASTER, NO_CHANGE, CANT_TELL, MISSING = "slower", "faster", "no change", "can't tell", "missing"
