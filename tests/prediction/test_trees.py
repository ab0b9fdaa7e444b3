"""The tree ensemble evaluator: scores, path attribution, and clear errors for a malformed model file."""

from __future__ import annotations

import copy
import json
import math

import pytest

from fivetran_recovery.prediction.trees import FORMAT, ModelError, load_model, parse_model

# two stumps-and-a-bit over features a, b: tree 0 splits a at 1.0, then b at 0.5 on the right
DOCUMENT = {
    "format": FORMAT, "features": ["a", "b"], "base": -2.0, "fitted_on": "by hand",
    "trees": [
        {"feature": [0, -1, 1, -1, -1], "threshold": [1.0, 0.0, 0.5, 0.0, 0.0], "left": [1, -1, 3, -1, -1],
         "right": [2, -1, 4, -1, -1], "value": [0.1, -0.5, 0.7, 0.4, 1.0]},
        {"feature": [1, -1, -1], "threshold": [2.0, 0.0, 0.0], "left": [1, -1, -1], "right": [2, -1, -1],
         "value": [0.0, -0.2, 0.3]},
    ],
}


def test_given_values_when_scored_then_the_leaves_reached_sum_with_the_base():
    model = parse_model(DOCUMENT)
    assert model.log_odds({"a": 0.5, "b": 9}) == pytest.approx(-2.0 - 0.5 + 0.3)
    assert model.log_odds({"a": 1.0, "b": 0.0}) == pytest.approx(-2.0 - 0.5 - 0.2)  # <= goes left
    assert model.log_odds({"a": 3, "b": 1}) == pytest.approx(-2.0 + 1.0 - 0.2)


def test_given_values_when_explained_then_bias_plus_contributions_is_the_score():
    model = parse_model(DOCUMENT)
    total, bias, contributions = model.explain({"a": 3, "b": 1})
    assert bias == pytest.approx(-2.0 + 0.1 + 0.0)
    assert contributions["a"] == pytest.approx(0.7 - 0.1)
    assert contributions["b"] == pytest.approx((1.0 - 0.7) + (-0.2 - 0.0))
    assert total == pytest.approx(bias + sum(contributions.values())) == pytest.approx(model.log_odds({"a": 3, "b": 1}))


@pytest.mark.parametrize(("change", "message"), [
    (lambda d: d.update(format="something/else"), "not a tree model"),
    (lambda d: d.update(features=["a", "a"]), "distinct names"),
    (lambda d: d.update(base=math.inf), "`base` is not a finite number"),
    (lambda d: d.update(trees=[]), "`trees` must be a non-empty list"),
    (lambda d: d["trees"][0]["value"].pop(), "differ in length"),
    (lambda d: d["trees"][0]["feature"].__setitem__(0, 7), "feature 7 is not one of the 2 features"),
    (lambda d: d["trees"][0]["left"].__setitem__(2, 0), "out of order or out of range"),
    (lambda d: d["trees"][1]["threshold"].__setitem__(0, "2"), "threshold is not a finite number"),
    (lambda d: d["trees"][1]["value"].__setitem__(2, None), "value is not a finite number"),
])
def test_given_a_malformed_model_when_parsed_then_a_clear_error(change, message):
    document = copy.deepcopy(DOCUMENT)
    change(document)
    with pytest.raises(ModelError, match=message):
        parse_model(document, "model.json")


def test_given_an_unreadable_file_when_loaded_then_the_error_names_it(tmp_path):
    broken = tmp_path / "model.json"
    broken.write_text('{"format": ')
    with pytest.raises(ModelError, match=r"model\.json: cannot read the model"):
        load_model(broken)
    with pytest.raises(ModelError, match="cannot read the model"):
        load_model(tmp_path / "absent.json")
    good = tmp_path / "good.json"
    good.write_text(json.dumps(DOCUMENT))
    assert load_model(good).fitted_on == "by hand"


def test_given_a_value_missing_or_not_finite_when_scored_then_a_clear_error():
    model = parse_model(DOCUMENT)
    with pytest.raises(ModelError, match="features nobody computed: b"):
        model.log_odds({"a": 1})
    with pytest.raises(ModelError, match="not a finite number"):
        model.log_odds({"a": math.nan, "b": 1})
