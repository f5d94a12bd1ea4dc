"""The Streamlit app, driven headless with AppTest (small ensembles via HUBEI_APP_RUNS).

Assertions read the catalogue, never lists of indicator ids, so targets and levers added to
the data files are covered without changing these tests.
"""
import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from model import catalogue, scoreboard
from model.results import MODEL_VERSION
from model.scenario import presets
from ui import levers
from ui.text import LANGUAGES, Text, labels

APP = str(Path(__file__).resolve().parent.parent / "app.py")
SMALL = "20"


def start(monkeypatch, runs: str | None = SMALL, **query) -> AppTest:
    if runs is None:
        monkeypatch.delenv("HUBEI_APP_RUNS", raising=False)
    else:
        monkeypatch.setenv("HUBEI_APP_RUNS", runs)
    at = AppTest.from_file(APP, default_timeout=180)
    at.query_params.update(query)
    return at.run()


def cells(table) -> list[dict]:
    """Rows of an st.table with the Markdown escapes removed."""
    frame = table.value.map(lambda v: re.sub(r"\\(.)", r"\1", str(v)))
    return frame.to_dict("records")


def first_number(text: str) -> float:
    return float(re.search(r"\d[\d,]*(?:\.\d+)?", text).group().replace(",", ""))


def board_row(at: AppTest, name: str) -> dict:
    column = Text("zh")("col_target") if "目标" in at.table[0].value.columns else Text("en")("col_target")
    rows = [r for r in cells(at.table[0]) if r[column] == name]
    assert len(rows) == 1, f"{name!r} not in the scoreboard"
    return rows[0]


def no_errors(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def modelled_names(lang: str = "zh") -> list[str]:
    t = catalogue.targets()
    return [t.loc[i, f"name_{lang}"] for i in t.index if i in catalogue.modelled_targets()]


def test_app_starts_in_chinese_with_a_slider_per_area_at_plan_values(monkeypatch):
    at = start(monkeypatch)
    no_errors(at)
    assert at.title[0].value.startswith("湖北省")
    values = {s.key: s.value for s in at.slider if s.key.startswith("lever_")}
    assert values == {lv.key: lv.plan for lv in levers.levers()}
    assert len(values) == len(catalogue.areas())                        # every area, wired or not
    labels_by_key = {s.key: s.label for s in at.slider}
    for lever in levers.levers():
        assert ("仅杠杆，无指标" in labels_by_key[lever.key]) == (not lever.wired)
    assert at.sidebar.metric[0].value == Text("zh").number(levers.total(levers.defaults()), 1)
    board = cells(at.table[0])
    assert sorted(r["目标"] for r in board) == sorted(modelled_names())
    assert len(board) == len(catalogue.targets())                       # every target is modelled now
    targets = catalogue.targets().set_index("name_zh")
    areas = [targets.loc[r["目标"], "area"] for r in board]
    assert areas == sorted(areas, key=list(catalogue.areas().index).index)   # grouped by action area
    named = [r["行动领域"] for r in board if r["行动领域"]]
    assert named == [Text("zh").area(a) for a in dict.fromkeys(areas)]       # each group named once, first row
    for row in board:
        assert re.fullmatch(r"● \d+%", row["当前方案：达成概率"])
        assert row["信号"] in {"很可能达成", "不确定", "不太可能"}
        assert row["校准状态"] in {zh for zh, _ in catalogue.CALIBRATION_LABELS.values()}
        assert set(filter(None, re.split("；", row["标记"]))) <= {"无需新增资金即可达成", "杠杆上限内无法达成"}
    assert any("假设" in w.value for w in at.sidebar.warning)
    assert at.query_params["v"] in (MODEL_VERSION, [MODEL_VERSION])                      # links carry the model version


def test_sliders_change_the_scoreboard_but_not_the_baseline(monkeypatch):
    at = start(monkeypatch)
    name = catalogue.targets().loc["ecommerce_volume", "name_zh"]
    before = board_row(at, name)
    at.slider(key="lever_ecommerce").set_value(10.0).run()
    no_errors(at)
    after = board_row(at, name)
    assert first_number(after["当前方案：中位数 [80%区间]"]) > 1.1 * first_number(before["当前方案：中位数 [80%区间]"])
    assert after["基准情景：中位数"] == before["基准情景：中位数"]
    plan = levers.defaults()
    assert at.sidebar.metric[0].value == Text("zh").number(levers.total(plan | {"ecommerce": 10.0}), 1)
    assert after["当前方案：每单位增量成本"].endswith("亿元/亿元")          # money per unit gained


def test_infrastructure_slider_moves_the_village_target(monkeypatch):
    at = start(monkeypatch)
    name = catalogue.targets().loc["villages_broadband_share", "name_zh"]
    before = board_row(at, name)
    at.slider(key="lever_infrastructure").set_value(0.0).run()
    no_errors(at)
    villages = board_row(at, name)
    assert first_number(villages["当前方案：达成概率"]) < first_number(before["当前方案：达成概率"])
    assert villages["基准情景：达成概率"] == before["基准情景：达成概率"]


def test_a_lever_only_area_still_counts_in_the_total(monkeypatch):
    unwired = [lv for lv in levers.levers() if not lv.wired]
    if not unwired:
        pytest.skip("every area drives a mechanism now")
    at = start(monkeypatch)
    lever = unwired[0]
    at.slider(key=lever.key).set_value(lever.high).run()
    no_errors(at)
    total = levers.total(levers.defaults() | {lever.area: lever.high})
    assert at.sidebar.metric[0].value == Text("zh").number(total, 1)


def test_language_switch_to_english_keeps_the_levers(monkeypatch):
    at = start(monkeypatch)
    at.slider(key="lever_advanced_manufacturing").set_value(20.0).run()
    at.radio(key="lang").set_value("en").run()
    no_errors(at)
    assert at.title[0].value.startswith("Hubei “Internet+”")
    assert at.slider(key="lever_advanced_manufacturing").value == 20.0
    assert at.slider(key="lever_ecommerce").label == "e-commerce (100 mn yuan/yr)"
    columns = list(at.table[0].value.columns)
    assert columns[:5] == ["Action area", "Target", "Year", "Goal", "Calibration"] and "Current: P(met)" in columns
    assert sorted(r["Target"] for r in cells(at.table[0])) == sorted(modelled_names("en"))
    row = board_row(at, "e-commerce transaction volume")
    assert row["Goal"] == "≥ 20,000 (100 mn yuan)"
    assert row["Light"] in {"likely", "uncertain", "unlikely"}
    assert row["Calibration"] == "partly informed by data"
    unwired = cells(at.table[1])
    assert sorted(r["Action area"] for r in unwired) == sorted(Text("en").area(lv.area) for lv in levers.levers()
                                                              if not lv.wired)
    assert all(r["Why"] and not re.search(r"[\u4e00-\u9fff]", r["Why"]) for r in unwired)
    assert not any(re.search(r"[\u4e00-\u9fff]", c.value) for c in at.caption if "sha256" not in c.value)


def test_lever_only_areas_are_listed_with_the_reason(monkeypatch):
    at = start(monkeypatch)
    unwired = cells(at.table[1])
    areas = catalogue.areas()
    rest = areas[~areas.module.astype(bool)]
    assert sorted(r["行动领域"] for r in unwired) == sorted(rest.name_zh)
    for row in unwired:
        note = rest.set_index("name_zh").loc[row["行动领域"], "note_zh"]
        assert row["原因"] and row["原因"] in note and "原因" not in row["原因"]
        assert row["类别"] in {"重点行动", "重点工程"}
    assert any(m.value.startswith("**仅有资金杠杆") for m in at.markdown)


def test_query_parameters_restore_a_shared_scenario(monkeypatch):
    at = start(monkeypatch, lever_ecommerce="4.5", lever_infrastructure="0", v=MODEL_VERSION)
    no_errors(at)
    assert at.slider(key="lever_ecommerce").value == 4.5
    assert at.slider(key="lever_infrastructure").value == 0.0
    assert not at.warning or all("链接" not in w.value for w in at.warning)


def test_invalid_url_parameters_are_reported_not_fatal(monkeypatch):
    at = start(monkeypatch, lever_ecommerce="abc", lever_infrastructure="999", nonsense="1", lang="xx", v="0.0.1")
    no_errors(at)
    warnings = " ".join(w.value for w in at.warning)
    assert "lever_ecommerce='abc'" in warnings and "lever_infrastructure='999'" in warnings
    assert "nonsense" in warnings and "lang='xx'" in warnings and "0.0.1" in warnings
    assert at.slider(key="lever_ecommerce").value == levers.by_key()["lever_ecommerce"].plan
    assert at.title[0].value.startswith("湖北省")


def test_language_in_a_link_as_code_or_label(monkeypatch):
    for value in ("en", "English"):
        at = start(monkeypatch, lang=value)
        no_errors(at)
        assert at.title[0].value.startswith("Hubei") and not [w for w in at.warning if "lang" in w.value]


def test_bad_run_setting_falls_back_to_50(monkeypatch):
    at = start(monkeypatch, runs="many")
    no_errors(at)
    assert any("HUBEI_APP_RUNS" in w.value for w in at.sidebar.warning)
    assert at.selectbox(key="runs").value == 50
    assert any(c.value.startswith("运行 50 次") for c in at.caption)


def test_preset_loads_into_the_sliders_and_compares(monkeypatch):
    at = start(monkeypatch)
    at.selectbox(key="load_pick_zh").set_value("preset:austerity").run()
    at.button(key="load_button").click().run()
    no_errors(at)
    expected = levers.from_scenario(presets()["austerity"])
    assert {lv.area: at.slider(key=lv.key).value for lv in levers.levers()} == expected
    at.multiselect(key="compare_zh").set_value(["preset:plan", "preset:accelerated"]).run()
    no_errors(at)
    columns = list(at.table[0].value.columns)
    for sid in ("plan", "accelerated"):
        assert f"{presets()[sid].name_zh}：达成概率" in columns


def test_save_current_settings_as_a_named_scenario(monkeypatch):
    at = start(monkeypatch)
    at.slider(key="lever_ecommerce").set_value(7.0).run()
    at.text_input(key="save_name").input("我的方案").run()
    at.button(key="save_button").click().run()
    no_errors(at)
    assert any("已保存" in s.value for s in at.success)
    at.multiselect(key="compare_zh").set_value(["saved:1"]).run()
    no_errors(at)
    row = board_row(at, catalogue.targets().loc["ecommerce_volume", "name_zh"])
    assert row["我的方案：中位数"] == row["当前方案：中位数 [80%区间]"].split(" [")[0]   # same levers, same seed


def test_invalid_upload_gives_a_message_and_a_valid_one_can_be_compared(monkeypatch):
    at = start(monkeypatch)
    bad = b'id = "x"\nname_zh = "x"\nname_en = "x"\n[levers.ecommerce]\n2016 = -1\n'
    at.file_uploader(key="upload").set_value(("bad.toml", bad, "application/toml")).run()
    assert not at.exception
    errors = " ".join(e.value for e in at.error)
    assert "bad.toml" in errors and "levers.ecommerce" in errors
    assert at.table                                                   # the page is still there
    at.file_uploader(key="upload").set_value(("bin.toml", b"\xff\xfe\x00", "application/toml")).run()
    assert not at.exception and any("UTF-8" in e.value for e in at.error)
    good = presets()["accelerated"].to_toml().encode()
    at.file_uploader(key="upload").set_value(("fast.toml", good, "application/toml")).run()
    no_errors(at)
    label = next(o for o in at.multiselect(key="compare_zh").options if presets()["accelerated"].name_zh in o)
    assert label


def test_compared_names_follow_a_language_switch(monkeypatch):
    at = start(monkeypatch)
    at.multiselect(key="compare_zh").set_value(["preset:accelerated"]).run()
    at.radio(key="lang").set_value("en").run()
    no_errors(at)
    box = at.multiselect(key="compare_en")
    assert box.value == ["preset:accelerated"]
    name = presets()["accelerated"].name_en
    assert f"{name}: P(met)" in at.table[0].value.columns
    assert f"{name}: still met in 2020" in at.table[0].value.columns
    row = board_row(at, catalogue.targets().loc["smart_factories", "name_en"])
    assert re.fullmatch(r"\d+%", row[f"{name}: still met in 2020"])            # a 2018 target, per scenario
    at.multiselect(key="compare_en").set_value([]).run()
    at.radio(key="lang").set_value("zh").run()
    assert at.multiselect(key="compare_zh").value == []


def test_pinned_assumptions_travel_in_the_link(monkeypatch):
    at = start(monkeypatch)
    at.multiselect(key="pins").set_value(["online_spending_growth"]).run()
    at.slider(key="pin_online_spending_growth").set_value(0.05).run()
    no_errors(at)
    assert at.query_params["pin_online_spending_growth"] in ("0.05", ["0.05"])
    shared = start(monkeypatch, pin_online_spending_growth="0.05", v=MODEL_VERSION)
    no_errors(shared)
    assert shared.multiselect(key="pins").value == ["online_spending_growth"]
    assert shared.slider(key="pin_online_spending_growth").value == 0.05
    name = catalogue.targets().loc["ecommerce_volume", "name_zh"]
    assert board_row(shared, name)["当前方案：中位数 [80%区间]"] == board_row(at, name)["当前方案：中位数 [80%区间]"]
    assert not shared.warning or all("链接" not in w.value for w in shared.warning)
    bad = start(monkeypatch, pin_online_spending_growth="9", pin_no_such_thing="1")
    no_errors(bad)
    warnings = " ".join(w.value for w in bad.warning)
    assert "pin_online_spending_growth='9'" in warnings and "pin_no_such_thing" in warnings
    assert bad.multiselect(key="pins").value == []


def test_assumption_pin_changes_the_current_scenario_only(monkeypatch):
    at = start(monkeypatch)
    name = catalogue.targets().loc["ecommerce_volume", "name_zh"]
    before = board_row(at, name)
    at.multiselect(key="pins").set_value(["online_spending_growth"]).run()
    at.slider(key="pin_online_spending_growth").set_value(0.05).run()
    no_errors(at)
    after = board_row(at, name)
    assert first_number(after["当前方案：中位数 [80%区间]"]) < first_number(before["当前方案：中位数 [80%区间]"])
    assert after["基准情景：中位数"] == before["基准情景：中位数"]


def test_exports_prepare_pdf_csv_and_netcdf(monkeypatch):
    at = start(monkeypatch)
    for key in ("prepare_csv", "prepare_netcdf", "prepare_pdf"):
        at.button(key=key).click().run()
        no_errors(at)
    assert at.session_state["pdf"].startswith(b"%PDF")
    assert at.session_state["netcdf"][:4] in (b"\x89HDF", b"CDF\x01", b"CDF\x02")
    csv = at.session_state["csv"].decode("utf-8-sig")
    assert csv.splitlines()[0].startswith("scenario,indicator,year,lo95")
    at.slider(key="lever_ecommerce").set_value(3.0).run()
    assert "pdf" not in at.session_state                             # stale files are dropped


def test_a_failing_model_or_bad_data_file_gives_a_message_not_a_crash(monkeypatch):
    import model

    def broken_model(*args, **kwargs):
        raise ValueError("parameters.csv:7: value 'x' is not a number")

    def broken_levers():
        raise ValueError("levers.csv: bad max")

    monkeypatch.setattr(model, "simulate", broken_model)
    at = start(monkeypatch, runs="11")                  # a run count no other test has cached
    assert not at.exception
    assert "parameters.csv:7" in at.error[0].value and "模拟失败" in at.error[0].value
    assert at.sidebar.slider                            # the levers stay usable

    monkeypatch.setattr(levers, "levers", broken_levers)
    at = start(monkeypatch)
    assert not at.exception
    assert "levers.csv: bad max" in at.error[0].value


def test_labels_cover_both_languages_and_format_numbers():
    data = labels()
    assert set(data["zh"]) == set(data["en"]) and set(LANGUAGES) == {"zh", "en"}
    zh, en = Text("zh"), Text("en")
    assert zh.quantity(27764.3, "亿元") == "27764亿元" and en.quantity(27764.3, "亿元") == "27,764 (100 mn yuan)"
    assert zh.quantity(1131.9, "万户") == "1132万户" and zh.quantity(98.94, "%", 1) == "98.9%"
    assert zh.goal(">=", 100, "家") == "≥ 100家" and en.goal(">=", 100, "家", "smart_factories") == "≥ 100 factories"
    assert zh.goal("<=", 10, "rank") == "≤ 第10名" and en.goal("<=", 10, "rank") == "≤ rank 10"
    assert zh.probability(float("nan")) == "—" and Text("xx").lang == "zh"
    assert scoreboard.LIKELY == 0.8 and scoreboard.UNLIKELY == 0.2


@pytest.fixture(scope="module")
def ensembles():
    import model
    return model.simulate(presets()["baseline"], runs=10, seed=3), model.simulate(presets()["plan"], runs=10, seed=3)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_indicator_has_a_chart_with_its_calibration_and_every_regional_one_a_map(ensembles, lang):
    from ui import charts
    base, plan = ensembles
    text, ind = Text(lang), catalogue.indicators()
    for indicator, row in ind.iterrows():
        fig = charts.indicator_chart(indicator, base, plan, text)
        assert text.calibration(row.calibration) in fig.layout.title.text, indicator
        if row.target:
            assert any(str(t.name).startswith(text("target")) for t in fig.data), indicator
    regional = ind.index[ind.regional]
    assert len(regional) >= 10
    for indicator in regional:
        assert f"{indicator}_by_region" in plan, indicator
        tiles = charts.tile_chart(indicator, base, plan, 2018, text)
        assert len(tiles.data[0].x) == 17, indicator
        labels = list(charts.regional_chart(indicator, base, plan, 2020, text).data[1].y)
        assert len(labels) == 17 and all(bool(re.search(r"[\u4e00-\u9fff]", s)) == text.zh for s in labels)


def test_briefing_with_every_target_fits_one_page(ensembles):
    from ui import briefing
    base, plan = ensembles
    targets, values = scoreboard.compare_many(base, {"current": plan}, plan)
    assert len(targets) == len(catalogue.targets())
    assert targets.met_without_money.any() or targets.out_of_reach.any()  # the flags are computed on the real model
    for lang in ("zh", "en"):
        text = Text(lang)
        names = {"baseline": text("baseline_name"), "current": text("current_name")}
        page = briefing.pdf(targets, values, {"baseline": base, "current": plan}, names, text, "footer")
        assert page.startswith(b"%PDF") and page.count(b"/Type /Page\n") + page.count(b"/Type /Page ") <= 2
    assert len(briefing.key_indicators(targets, values)) == 4
