"""Calibration: recovering known parameters, censored terms, the parameter file, bad data files."""
import json

import numpy as np
import pandas as pd
import pytest

from calibration import fit as fitting
from calibration.__main__ import main
from calibration.observations import fit_observations, load_extra, noise
from model import parameters
from model.engine import simulate

HEADER = "indicator,name_zh,unit,year,value,region,kind,reliability,source,source_title,note\n"


@pytest.fixture(autouse=True)
def priors_only(monkeypatch):
    """Every test starts from the prior table and leaves it so."""
    monkeypatch.setenv(parameters.PARAMS_ENV, "none")
    parameters.table.cache_clear()
    yield
    parameters.table.cache_clear()


def _target(name, low, high, series):
    return pd.DataFrame([{"parameter": name, "low": low, "high": high, "series": series, "note": ""}])


def test_recovers_a_known_parameter_from_the_models_own_data():
    # data: the ensemble's geometric mean at a known value (same seed as the fit: the other uncertain
    # parameters are the same draws, so only the fitted one can explain a difference)
    truth = 0.22
    ds = simulate("plan", runs=8, seed=7, params={"bass_q_firms_ecommerce": truth}, end_year=2017)
    share = np.exp(np.log(ds.ecommerce_firm_share).mean("run"))
    obs = pd.DataFrame({"output": "ecommerce_firm_share", "year": range(2011, 2018),
                        "value": share.sel(year=slice(2011, 2017)).values, "kind": "level",
                        "reliability": "A", "source": "synthetic"})
    out = fitting.fit(tg=_target("bass_q_firms_ecommerce", 0.05, 0.3, "ecommerce_firm_share"), obs=obs,
                      runs=8, maxfev=25, quick=True)
    est = out["parameters"]["bass_q_firms_ecommerce"]
    assert abs(est["value"] - truth) < 0.02 and est["identified"]
    assert est["sd"] < 0.05
    assert out["objective"] <= out["objective_start"]


def test_censored_term_pulls_only_when_the_bound_is_above():
    sd = noise()
    obs = pd.DataFrame({"value": [1000.0], "kind": ["lower_bound"], "reliability": ["B"]})
    sims = np.log(np.array([[400.0, 500.0, 600.0]]))
    above = fitting.nll_terms(sims, obs, sd)[0]
    higher = fitting.nll_terms(sims + 0.5, obs, sd)[0]
    assert above > 3 and higher < above                       # a bound above the simulation pulls it up
    below = fitting.nll_terms(np.log(np.array([[4000.0, 5000.0, 6000.0]])), obs, sd)[0]
    assert below < 1e-6                                       # one below costs nothing
    level = fitting.nll_terms(np.log(np.array([[4000.0, 5000.0, 6000.0]])), obs.assign(kind="level"), sd)[0]
    assert level > 20                                         # ... unlike a level at the same value


def test_censored_observation_in_a_fit():
    tg = _target("online_spending_growth", 0.05, 0.15, "ecommerce_volume")
    base = simulate("plan", runs=4, seed=7, end_year=2017).ecommerce_volume.sel(year=2017).median().item()

    def run(bound):
        obs = pd.DataFrame({"output": ["ecommerce_volume"], "year": [2017], "value": [bound],
                            "kind": ["lower_bound"], "reliability": ["B"], "source": ["test"]})
        return fitting.fit(tg=tg, obs=obs, runs=4, maxfev=15, quick=True)["parameters"]["online_spending_growth"]

    pulled = run(base * 1.6)
    assert pulled["value"] > 0.11                             # pushed towards the top of its range
    free = run(base * 0.3)
    assert not free["identified"]                             # a bound far below says nothing


def test_fitted_file_is_read_and_recorded(tmp_path, monkeypatch):
    path = tmp_path / "params-20260101T000000.json"
    path.write_text(json.dumps({"parameters": {
        "bass_q_households": {"value": 0.4, "sd": 0.02, "low": 0.25, "high": 0.55, "identified": True,
                              "series": ["broadband_subscribers"]},
        "ceiling_rural": {"value": 0.6, "sd": 0.5, "low": 0.4, "high": 0.65, "identified": False},
        "gone_parameter": {"value": 1, "sd": 0, "low": 0, "high": 2, "identified": True}}}))
    monkeypatch.setenv(parameters.PARAMS_ENV, str(path))
    parameters.table.cache_clear()
    with pytest.warns(UserWarning, match="gone_parameter"):
        table = parameters.table()
    p = table["bass_q_households"]
    assert p.status == "calibrated" and p.value == 0.4 and (p.low, p.high) == pytest.approx((0.36, 0.44))
    assert table["ceiling_rural"].status != "calibrated"           # not identified: prior kept
    ds = simulate("baseline", runs=3, seed=1, end_year=2016)
    assert ds.attrs["params_file"] == path.name
    drawn = ds.parameter_value.sel(parameter="bass_q_households").values
    assert ((drawn >= 0.36) & (drawn <= 0.44)).all()


def test_bad_data_file_rejected_with_line_numbers_and_nothing_fitted(tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER
                   + "broadband_subscribers,互联网宽带接入用户,万户,2014,900,湖北省,level,A,my survey,t,\n"
                   + "broadband_subscribers,互联网宽带接入用户,万户,20x4,900,湖北省,level,A,my survey,t,\n"
                   + "broadband_subscribers,互联网宽带接入用户,万户,2013,lots,湖北省,level,D,my survey,t,\n",
                   encoding="utf-8")
    out = tmp_path / "p.json"
    assert main(["fit", "--quick", "--data", str(bad), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"{bad}:3" in err and f"{bad}:4" in err and "nothing was fitted" in err
    assert "reliability 'D'" in err
    assert not out.exists()


def test_extra_observations_join_the_likelihood(tmp_path):
    good = tmp_path / "good.csv"
    good.write_text(HEADER + "broadband_subscribers,互联网宽带接入用户,万户,2014,900,湖北省,level,B,my survey,t,\n",
                    encoding="utf-8")
    extra = load_extra(good)
    obs = fit_observations(extra)
    row = obs[(obs.output == "broadband_subscribers") & (obs.year == 2014)]
    assert len(row) == 1 and "good.csv:2" in row.source.iloc[0]
    assert len(obs) == len(fit_observations()) + 1
    useless = tmp_path / "useless.csv"
    useless.write_text(HEADER + "tea_output,茶叶产量,吨,2014,9,湖北省,level,B,s,t,\n", encoding="utf-8")
    with pytest.raises(ValueError, match="no Hubei"):
        load_extra(useless)


def test_fit_uses_plan_spending_and_conflicting_sources_stay_separate():
    obs = fit_observations()
    assert (obs.kind == "lower_bound").sum() >= 1                 # ecommerce volume 2014 "over 8000"
    assert set(obs.output) == {"broadband_subscribers", "ecommerce_firm_share", "ecommerce_volume",
                               "villages_broadband_share", "digital_finance_index", "mobile_broadband_penetration",
                               "express_parcels"}
    assert fitting.SCENARIO == "plan" and fitting.END_YEAR == 2017


def test_ratio_series_use_one_denominator_and_national_rows_are_excluded():
    obs = fit_observations()
    mobile = obs[obs.output == "mobile_broadband_penetration"]
    assert mobile.year.tolist() == [2015, 2016, 2017]             # one population row per year, not three
    assert abs(mobile.value.iloc[0] - 3255.41 / 5850 * 100) < 0.2
    parcels = obs[obs.output == "express_parcels"]
    assert parcels.year.tolist() == [2016]                        # the 全国 rows (2007-2011, 2017) are not Hubei


def test_panel_priors_borrow_strength_and_enter_the_objective():
    from calibration import panel
    est = panel.estimates().set_index("quantity")
    assert (est.provinces == 31).all() and (est.n == 62).all()
    assert (est.national_se > 0).all() and (est.hubei_effect_se > est.national_se).all()   # Hubei alone is weak
    pri = panel.priors()
    assert set(pri) == {"finance_growth_rate", "bass_q_mobile"}
    tg = _target("bass_q_mobile", 0.15, 0.35, "mobile_broadband_penetration")
    f = fitting.Objective(tg, fit_observations().iloc[:0], runs=2, seed=1, priors=pri)
    mean, sd = pri["bass_q_mobile"]
    assert abs(f.penalty(np.array([0.0])) - 0.5 * ((0.15 - mean) / sd) ** 2) < 1e-9
    assert f.penalty(np.array([1.0])) < f.penalty(np.array([0.0]))       # pulls towards the panel mean


def test_hessian_cross_terms_only_between_parameters_sharing_a_series():
    tg = pd.concat([_target("a", 0, 1, "x;y"), _target("b", 0, 1, "y"), _target("c", 0, 1, "z")])
    pairs = fitting.shared_series(tg)
    assert pairs[0, 1] and not pairs[0, 2] and not pairs[1, 2]
    H = fitting.hessian(lambda u: float(u[0] * u[1] + u[0] * u[2] + u @ u), np.full(3, 0.5), 0.04, True, pairs)
    assert abs(H[0, 1] - 1) < 1e-6 and H[0, 2] == 0 and abs(H[0, 0] - 2) < 1e-6


def test_calibration_page_renders_in_both_languages():
    from streamlit.testing.v1 import AppTest
    from pathlib import Path
    page = Path(__file__).resolve().parent.parent / "pages" / "calibration.py"
    at = AppTest.from_file(str(page), default_timeout=120)
    at.run()
    assert not at.exception and at.title[0].value == "模型校准与预测检验"
    assert len(at.dataframe) >= 3
    at.radio(key="lang").set_value("en").run()
    assert not at.exception and at.title[0].value == "Calibration and forecast checks"


def test_panel_command_prints_estimates_without_writing(capsys):
    from calibration import panel
    before = panel.PRIORS.read_text(encoding="utf-8")
    assert main(["panel", "--dry-run"]) == 0
    assert "bass_q_mobile" in capsys.readouterr().out
    assert panel.PRIORS.read_text(encoding="utf-8") == before
