"""The Streamlit app, driven headless with AppTest (small ensembles via HUBEI_APP_RUNS)."""
import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from model import catalogue
from ui import levers
from ui.text import LANGUAGES, Text, labels

APP = str(Path(__file__).resolve().parent.parent / "app.py")
SMALL = "20"


def start(monkeypatch, runs: str | None = SMALL, **query) -> AppTest:
    if runs is None:
        monkeypatch.delenv("HUBEI_APP_RUNS", raising=False)
    else:
        monkeypatch.setenv("HUBEI_APP_RUNS", runs)
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params.update(query)
    return at.run()


def cells(table) -> list[dict]:
    """Rows of an st.table with the Markdown escapes removed."""
    frame = table.value.map(lambda v: re.sub(r"\\(.)", r"\1", str(v)))
    return frame.to_dict("records")


def first_number(text: str) -> float:
    return float(re.search(r"\d[\d,]*(?:\.\d+)?", text).group().replace(",", ""))


def board_row(at: AppTest, name: str) -> dict:
    rows = [r for r in cells(at.table[0]) if r[at.table[0].value.columns[0]] == name]
    assert len(rows) == 1, f"{name!r} not in the scoreboard"
    return rows[0]


def no_errors(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def test_app_starts_in_chinese_with_plan_defaults(monkeypatch):
    at = start(monkeypatch)
    no_errors(at)
    assert at.title[0].value.startswith("湖北省")
    values = {s.key: s.value for s in at.sidebar.slider}
    assert values == {f"lever_{lv.area}": lv.plan for lv in levers.levers()}
    assert values["lever_advanced_manufacturing"] == 5.0 and values["lever_infrastructure"] == 1.4
    assert at.sidebar.metric[0].value == "37.0"
    board = cells(at.table[0])
    assert [r["目标"] for r in board] == [catalogue.targets().loc[t, "name_zh"]
                                        for t in catalogue.targets().index if t in catalogue.modelled_targets()]
    for row in board:
        assert re.fullmatch(r"● \d+%", row["当前方案：达成概率"])
        assert row["信号"] in {"很可能达成", "不确定", "不太可能"}
        assert row["校准状态"] in {zh for zh, _ in catalogue.CALIBRATION_LABELS.values()}
    assert board_row(at, "电子商务交易额")["目标值"] == "≥ 20000亿元"
    assert board_row(at, "行政村通宽带比例")["目标值"] == "> 98%"
    assert any("假设" in w.value for w in at.sidebar.warning)


def test_sliders_change_the_scoreboard_but_not_the_baseline(monkeypatch):
    at = start(monkeypatch)
    before = board_row(at, "电子商务交易额")
    villages_before = board_row(at, "行政村通宽带比例")
    at.slider(key="lever_ecommerce").set_value(10.0).run()
    no_errors(at)
    after = board_row(at, "电子商务交易额")
    assert first_number(after["当前方案：中位数 [80%区间]"]) > 1.1 * first_number(before["当前方案：中位数 [80%区间]"])
    assert after["基准情景：中位数"] == before["基准情景：中位数"]
    assert at.sidebar.metric[0].value == "82.0"

    at.slider(key="lever_infrastructure").set_value(0.0).run()
    no_errors(at)
    villages = board_row(at, "行政村通宽带比例")
    assert first_number(villages["当前方案：达成概率"]) < first_number(villages_before["当前方案：达成概率"])
    assert villages["基准情景：达成概率"] == villages_before["基准情景：达成概率"]


def test_language_switch_to_english_keeps_the_levers(monkeypatch):
    at = start(monkeypatch)
    at.slider(key="lever_advanced_manufacturing").set_value(20.0).run()
    at.radio(key="lang").set_value("en").run()
    no_errors(at)
    assert at.title[0].value.startswith("Hubei “Internet+”")
    assert at.slider(key="lever_advanced_manufacturing").value == 20.0
    assert at.slider(key="lever_ecommerce").label == "e-commerce (100 mn yuan/yr)"
    columns = list(at.table[0].value.columns)
    assert columns[:3] == ["Target", "Year", "Goal"] and "Current: P(met)" in columns
    row = board_row(at, "e-commerce transaction volume")
    assert row["Goal"] == "≥ 20,000 (100 mn yuan)"
    assert row["Light"] in {"likely", "uncertain", "unlikely"}
    assert row["Calibration"] == "partly informed by data"
    pending = cells(at.table[1])
    assert {r["Status"] for r in pending} == {"not modelled yet"}
    assert not any(re.search(r"[\u4e00-\u9fff]", c.value) for c in at.caption if "sha256" not in c.value)


def test_all_26_unmodelled_targets_are_listed_by_area(monkeypatch):
    at = start(monkeypatch)
    pending = cells(at.table[1])
    targets = catalogue.targets()
    rest = targets[~targets.index.isin(catalogue.modelled_targets())]
    assert len(rest) == 26 and len(pending) == 26
    assert sorted(r["目标"] for r in pending) == sorted(rest.name_zh)
    assert {r["状态"] for r in pending} == {"尚未建模"}
    assert any("尚未建模的目标（26项）" in m.value for m in at.markdown)
    named = [r["行动领域"] for r in pending if r["行动领域"]]
    assert len(named) == len(set(named)) == rest.area.nunique()     # each area heads one group


def test_default_ensemble_is_50_runs_and_bad_settings_do_not_crash(monkeypatch):
    at = start(monkeypatch, runs="many", lever_ecommerce="999", lang="xx")
    no_errors(at)
    assert any("HUBEI_APP_RUNS" in w.value for w in at.sidebar.warning)
    assert at.selectbox(key="runs").value == 50
    assert at.slider(key="lever_ecommerce").value == 1.0           # out-of-range URL value ignored
    assert at.title[0].value.startswith("湖北省")
    assert any(c.value.startswith("运行 50 次") for c in at.caption)


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
