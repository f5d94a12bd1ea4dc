"""Scenario files: presets are valid, every kind of bad file is named precisely."""
import pytest

from model.scenario import LEVER_YEARS, ScenarioError, load, loads, presets

HEAD = 'id = "t"\nname_zh = "测试"\nname_en = "Test"\n'
YEARS = "".join(f"{y} = 1.0\n" for y in LEVER_YEARS)


def test_presets_are_valid_and_ordered_by_spending():
    found = presets()
    assert set(found) == {"baseline", "plan", "austerity", "accelerated"}
    totals = {k: v.total() for k, v in found.items()}
    assert totals["baseline"] == 0 < totals["austerity"] < totals["plan"] < totals["accelerated"]


def test_round_trip_through_toml():
    plan = presets()["plan"]
    again = loads(plan.to_toml())
    assert again == plan and again.digest() == plan.digest()


@pytest.mark.parametrize("body, key, problem", [
    ("[levers.rocket]\n" + YEARS, "levers.rocket", "unknown lever"),
    ("[levers.ecommerce]\n" + YEARS.replace("2017 = 1.0", "2017 = -2.0"), "levers.ecommerce.2017", ">= 0"),
    ("[levers.ecommerce]\n" + YEARS.replace("2017 = 1.0", '2017 = "lots"'), "levers.ecommerce.2017", "number"),
    ("[levers.ecommerce]\n" + YEARS.replace("2017 = 1.0", "2017 = true"), "levers.ecommerce.2017", "number"),
    ("[levers.ecommerce]\n2016 = 1.0\n2017 = 1.0\n", "levers.ecommerce", "missing year(s) 2018, 2019, 2020"),
    ("[levers.ecommerce]\n" + YEARS + "2021 = 1.0\n", "levers.ecommerce", "outside 2016-2020"),
    ("[levers.ecommerce]\n" + YEARS.replace("2017 = 1.0", "2017 = 99.0"), "levers.ecommerce.2017", "upper bound"),
    ("levers = [1, 2]\n", "levers", "table of areas"),
    ("[levers]\necommerce = 3\n", "levers.ecommerce", "table of years"),
    ("[uncertainties]\nwarp_speed = 1\n", "uncertainties.warp_speed", "unknown parameter"),
    ("[uncertainties]\nbass_q_households = 9\n", "uncertainties.bass_q_households", "outside the stated range"),
    ("colour = 3\n", "colour", "Extra inputs"),
])
def test_bad_scenario_names_file_key_and_problem(tmp_path, body, key, problem):
    path = tmp_path / "bad.toml"
    path.write_text(HEAD + body, encoding="utf-8")
    with pytest.raises(ScenarioError) as exc:
        load(path)
    message = str(exc.value)
    assert str(path) in message and key in message and problem in message


def test_not_toml_and_missing_fields(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text("this is = = not toml", encoding="utf-8")
    with pytest.raises(ScenarioError, match="not valid TOML"):
        load(path)
    path.write_text('name_zh = "x"\n', encoding="utf-8")
    with pytest.raises(ScenarioError, match="id: Field required"):
        load(path)
    with pytest.raises(ScenarioError, match="cannot read"):
        load(tmp_path / "absent.toml")


def test_austerity_and_accelerated_scale_the_plan_in_every_area_and_year():
    plan = presets()["plan"]
    years = [str(y) for y in range(2016, 2021)]
    for preset, factor in (("austerity", 0.5), ("accelerated", 2.0)):
        other = presets()[preset]
        assert set(other.levers) == set(plan.levers)
        for area in plan.levers:
            for y in years:
                assert other.levers[area][y] == pytest.approx(factor * plan.levers[area][y]), (preset, area, y)
