"""Demand forecasting: daily series from sales, one model interface (statsforecast models and
Prophet), Syntetos–Boylan classes, rolling-origin backtests choosing by RMSSE, storage, and the
batch training job on the ``ml`` queue."""
