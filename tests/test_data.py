"""The vendored data, the catalogue and the parameter table."""
import numpy as np
import pytest

from model import catalogue, parameters
from model.observations import ObservationError, hubei_observations, prefecture_rows, read_observations
from model.prefectures import prefectures

HEADER = "indicator,name_zh,unit,year,value,region,kind,reliability,source,source_title,note\n"
GOOD = "gdp,地区生产总值,亿元,2015,30661.6,湖北省,level,A,https://example.org,t,n\n"


def test_vendored_files_load():
    assert len(hubei_observations()) == 331
    assert len(prefecture_rows()) == 218


@pytest.mark.parametrize("row, problem", [
    ("gdp,地区生产总值,亿元,2015,abc,湖北省,level,A,s,t,n\n", "'abc' is not a number"),
    ("gdp,地区生产总值,亿元,20x5,1,湖北省,level,A,s,t,n\n", "not a 4-digit year"),
    ("gdp,地区生产总值,亿元,2015,1,湖北省,guess,A,s,t,n\n", "kind 'guess'"),
    ("gdp,地区生产总值,亿元,2015,1,湖北省,level,Z,s,t,n\n", "reliability 'Z'"),
    ("gdp,地区生产总值,亿元,2015,1,湖北省,level,A,,t,n\n", "source is empty"),
    ("GDP,地区生产总值,亿元,2015,1,湖北省,level,A,s,t,n\n", "snake_case"),
    ("gdp,地区生产总值,亿元,2015,1,湖北省,level\n", "expected 11 fields"),
    ("gdp,地区生产总值,亿元,2015,inf,湖北省,level,A,s,t,n\n", "not finite"),
])
def test_malformed_csv_names_file_and_line(tmp_path, row, problem):
    path = tmp_path / "obs.csv"
    path.write_text(HEADER + GOOD + row, encoding="utf-8")
    with pytest.raises(ObservationError) as exc:
        read_observations(path)
    assert f"{path}:3:" in str(exc.value) and problem in str(exc.value)


def test_bad_header_and_empty_file(tmp_path):
    path = tmp_path / "obs.csv"
    path.write_text("a,b,c\n1,2,3\n", encoding="utf-8")
    with pytest.raises(ObservationError, match=r"obs.csv:1: header must be"):
        read_observations(path)
    path.write_text("", encoding="utf-8")
    with pytest.raises(ObservationError, match="empty"):
        read_observations(path)


def test_catalogue_links_targets_areas_and_levers():
    targets, areas = catalogue.targets(), catalogue.areas()
    assert len(targets) == 29 and len(areas) == 16
    assert set(targets.area) <= set(areas.index)
    assert (areas["max"].astype(float) > areas["min"].astype(float)).all()
    assert sorted(catalogue.modelled_targets()) == sorted(targets.index)          # all 29
    lever_only = {"culture_creative", "eco_environment", "emerging_industries",
                  "innovation_entrepreneurship", "information_security"}
    assert set(catalogue.wired_areas()) == set(areas.index) - lever_only
    for area in lever_only:          # their notes say why there is no indicator
        assert "lever only" in areas.loc[area, "note_en"].lower() and "仅有投入杠杆" in areas.loc[area, "note_zh"]


def test_every_output_is_described_and_every_indicator_produced():
    from model.engine import MODULES
    from model.results import diagnostics
    outputs = {name.removesuffix("_by_region"): module.name for module in MODULES for name in module.outputs}
    ind = catalogue.indicators()
    for name, module in outputs.items():
        assert name in ind.index or name in diagnostics(), f"{name} has no catalogue row"
        if name in ind.index:
            assert ind.loc[name, "module"] == module, f"{name}: indicators.csv says {ind.loc[name, 'module']}"
    assert set(ind.index) <= set(outputs), f"not produced: {set(ind.index) - set(outputs)}"
    regional = {n.removesuffix("_by_region") for m in MODULES for n in m.outputs if n.endswith("_by_region")}
    assert set(ind.index[ind.regional]) == regional & set(ind.index)


def test_history_reads_ratios_and_bounds():
    villages = catalogue.history("villages_broadband_share")
    assert villages.year.tolist() == [2015]            # April 2016 count, read as end-2015
    assert villages.value.iloc[0] == pytest.approx(100 * 24293 / 25295)
    ecom = catalogue.history("ecommerce_volume")
    assert ecom.set_index("year").kind[2014] == "lower_bound"
    assert catalogue.history("smart_factories").empty


def test_every_parameter_is_sourced_or_labelled():
    for p in parameters.table().values():
        assert p.status in parameters.STATUSES
        assert p.status == "assumption" or p.source, f"{p.name} needs a source"
        assert p.note, f"{p.name} needs a note"
        if p.dist != "fixed":
            assert p.low <= p.value <= p.high


def test_parameter_draws_respect_ranges_and_pins():
    gens = [np.random.default_rng(i) for i in range(200)]
    drawn = parameters.draw(gens, pins={"bass_q_households": 0.4})
    for name in parameters.uncertain():
        p = parameters.table()[name]
        if name != "bass_q_households":
            assert drawn[name].min() >= p.low and drawn[name].max() <= p.high
    assert (drawn["bass_q_households"] == 0.4).all()
    unpinned = parameters.draw([np.random.default_rng(i) for i in range(200)])
    assert np.array_equal(unpinned["bass_p_households"], drawn["bass_p_households"])   # pins shift nothing


def test_prefecture_structure_fills_gaps_by_rule():
    pref = prefectures()
    assert len(pref) == 17
    assert pref.villages.sum() == 25295
    assert pref.population.sum() == pytest.approx(5851.5, abs=1)
    urban = (pref.urbanisation * pref.population).sum() / pref.population.sum()
    assert urban == pytest.approx(56.85, abs=0.01)
    assert set(pref.villages_rule) == {"stated", "share of remainder by townships"}
    assert (pref.mountain_share.between(0, 100)).all()


def test_parameter_docs_are_current():
    from pathlib import Path

    from model.cli import PARAMETERS_HEADER
    doc = Path(__file__).resolve().parent.parent / "docs" / "PARAMETERS.md"
    assert doc.read_text(encoding="utf-8").strip() == (PARAMETERS_HEADER + parameters.markdown_table()).strip(), \
        "regenerate with: uv run python -m model params > docs/PARAMETERS.md"


def test_every_wired_lever_belongs_to_exactly_one_module():
    from model.engine import MODULES
    levers = catalogue.areas().module
    owners = {}
    for module in MODULES:
        for area in module.levers:
            assert area not in owners, f"{area} is spent by {owners[area]} and {module.name}"
            owners[area] = module.name
    assert owners == {a: m for a, m in levers.items() if m}


def test_triangular_draws_are_scipys_triangular_distribution():
    """The closed-form inverse CDF gives exactly scipy.stats.triang's values (it replaced it for speed)."""
    from scipy import stats

    u = np.random.default_rng(0).random(20_000)
    u[:3] = [0.0, 0.5, np.nextafter(1.0, 0.0)]
    triangular = [p for p in parameters.table().values() if p.dist == "triangular"]
    assert triangular
    for p in triangular:
        c = (p.value - p.low) / (p.high - p.low)
        expected = stats.triang.ppf(u, c, loc=p.low, scale=p.high - p.low)
        np.testing.assert_array_equal(p.quantile(u), expected, err_msg=p.name)


def test_batch_draws_are_each_parameters_quantile():
    """``draw`` maps all parameters at once; each value is exactly ``Parameter.quantile`` of its uniform."""
    from model.streams import per_run, streams

    table = parameters.table()
    drawn = parameters.draw(streams(5, np.arange(7), "uncertainty"))
    u = per_run(streams(5, np.arange(7), "uncertainty"), "random", (len(table),))
    assert list(drawn) == list(table)
    assert {p.dist for p in table.values()} == parameters.DISTS
    for i, (name, p) in enumerate(table.items()):
        np.testing.assert_array_equal(drawn[name], p.quantile(u[:, i]))
