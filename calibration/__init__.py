"""Calibration, backtests and the calibration report (imports model/, never the reverse)."""
