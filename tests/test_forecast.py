"""The forecast command: exact columns, the as-of cut, the model/statistical split."""
import numpy as np
import pandas as pd

from model import forecast
from model.cli import main
from model.observations import hubei_observations


def test_as_of_cut_excludes_later_data():
    obs = hubei_observations()
    fake = obs[(obs.indicator == "internet_penetration") & (obs.year == 2016)].copy()
    fake["value"], fake["year"] = 99.0, 2016       # an absurd late observation ...
    frame = pd.concat([obs[~((obs.indicator == "internet_penetration") & (obs.year == 2016))], fake])
    early = forecast.annual_series("internet_penetration", frame, as_of=2015)
    assert early.index.max() == 2015 and 99.0 not in early.values
    cut, _ = forecast.statistical(early)
    late, _ = forecast.statistical(forecast.annual_series("internet_penetration", frame, as_of=2016))
    assert cut["median"].max() < 60                      # ... cannot reach a forecast made before it
    assert late.set_index("year").loc[2016, "median"] == 99.0
    for series in forecast.hubei_series(frame, as_of=2013).values():
        assert series.index.max() <= 2013


def test_gdp_series_uses_one_vintage_and_lower_bounds_are_not_levels():
    gdp = forecast.annual_series("gdp")
    assert gdp.loc[2017] == 37624.2 and gdp.index.min() == 2006
    assert 2014 not in forecast.annual_series("ecommerce_volume").index    # 2014 is only "over 8000"


def test_forecast_csv_has_exact_columns_and_says_where_numbers_come_from(tmp_path, capsys):
    out = tmp_path / "fc.csv"
    assert main(["forecast", "plan", "--as-of", "2017", "--out", str(out), "--runs", "8"]) == 0
    table = pd.read_csv(out)
    assert list(table.columns) == ["indicator", "year", "median", "lo80", "hi80", "lo95", "hi95"]
    assert set(table.year) == set(range(2016, 2022))
    assert {"broadband_subscribers", "ecommerce_volume", "gdp", "internet_penetration",
            "digital_finance_index", "smart_factories"} <= set(table.indicator)
    assert table.groupby("indicator").size().eq(6).all()
    v = table[["lo95", "lo80", "median", "hi80", "hi95"]].to_numpy()
    assert np.all(np.diff(v, axis=1) >= -1e-9)
    sources = pd.read_csv(tmp_path / "fc.sources.csv").set_index("indicator")
    assert sources.loc["ecommerce_volume", "source"] == "model"
    assert sources.loc["internet_penetration", "source"] == "statistical"
    assert "stands in" in capsys.readouterr().err


def test_early_as_of_moves_observed_series_off_the_model(tmp_path):
    table, sources = forecast.forecast_table("plan", as_of=2015, runs=4)
    src = sources.set_index("indicator")
    assert src.loc["gdp", "source"] == "model" and src.loc["ecommerce_volume", "source"] == "model"
    assert "not honoured" in src.loc["ecommerce_volume", "note"]       # only one level point by 2015
    gdp = table[table.indicator == "gdp"].set_index("year")
    assert gdp.loc[2016, "hi95"] > gdp.loc[2016, "lo95"]       # 2016 is now a forecast, not history
    assert src.loc["internet_penetration", "last_observed"] == 2015


def test_bad_out_suffix_is_refused(tmp_path):
    assert main(["forecast", "plan", "--out", str(tmp_path / "fc.txt"), "--runs", "2"]) == 2
    assert not list(tmp_path.iterdir())


def test_gdp_driver_median_follows_the_damped_ets_path_and_fans_out():
    from model import parameters
    from model.macro import Macro, gdp_growth_model
    from model.streams import streams
    ids = np.arange(2000)
    drawn = parameters.draw(streams(1, ids, "uncertainty"), overrides={"macro_data_until": 2014})
    years = np.arange(2010, 2018)
    gdp = Macro(years, drawn, streams(1, ids, "macro")).gdp[:, years > 2014]
    path = gdp_growth_model(2014)["path"][:3]
    np.testing.assert_allclose(np.median(gdp, axis=0), path, rtol=0.01)
    spread = np.log(np.quantile(gdp, 0.9, axis=0) / np.quantile(gdp, 0.1, axis=0))
    assert np.all(np.diff(spread) > 0)                          # wider with the horizon
