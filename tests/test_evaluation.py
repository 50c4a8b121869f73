import json

import pytest
from typer.testing import CliRunner

from promptkit.cli.app import app
from promptkit.core.datasets import PromptRecord
from promptkit.evaluation.baselines import NearestPromptModifiers, PopularModifiers
from promptkit.evaluation.expansion import EvalCase, evaluate_expander, load_cases
from promptkit.expansion.expander import ExpandSettings
from promptkit.expansion.result import Expansion


class FixedExpander:
    """Returns the given modifier lists, in turn, as the variants of every prompt."""

    name = "fixed"

    def __init__(self, variants):
        self.variants = variants

    def expand(self, prompt, seed=None, settings=None):
        out = []
        for i, added in enumerate(self.variants):
            expanded = prompt + ", " + ", ".join(added) if added else prompt
            out.append(Expansion(prompt=prompt, expanded=expanded, added=tuple(added), seed=seed, model="fixed", clip_tokens=0, index=i))
        return out


def test_metrics_on_known_outputs():
    cases = [EvalCase("a cat", ("8k", "oil painting", "sharp focus", "watercolor"))]
    expander = FixedExpander([["8k", "oil painting", "nude"], ["8k", "8 K", "blue"]])
    row = evaluate_expander(expander, cases, 0, ExpandSettings(n=2))
    assert row.expansions == 2 and row.keep_prompt == 1.0 and row.within_budget == 1.0
    assert row.mean_added == 3.0
    assert row.repeat_modifier == 0.5  # "8k" and "8 K" are the same modifier
    assert row.blocklisted == 0.5
    assert row.precision == pytest.approx(3 / 5)  # {8k, oil painting} + {8k} of {8k, oil painting, nude} + {8k, blue}
    assert row.recall == pytest.approx(3 / 8)
    # bigrams of "8k , oil painting , nude" (5) and "8k , 8k , blue" (4): "8k ," thrice, 7 distinct of 9
    assert row.distinct_2 == pytest.approx(7 / 9)


def test_metrics_without_references_have_no_precision():
    row = evaluate_expander(FixedExpander([["8k"]]), [EvalCase("a cat", None)], 0, ExpandSettings(n=1))
    assert row.precision is None and row.recall is None


def test_popular_baseline_appends_the_most_frequent_modifiers():
    training = [PromptRecord("a, 8k, detailed"), PromptRecord("b, 8 k, art"), PromptRecord("c, 8K, detailed, blue")]
    result = PopularModifiers(training, k=2).expand("a dog, detailed", seed=0, settings=ExpandSettings(n=2))
    assert [r.added for r in result] == [("8k",), ("8k",)]  # "detailed" is already in the prompt


def test_nearest_baseline_copies_the_nearest_prompts_modifiers():
    training = [PromptRecord("a red fox in the snow, winter, 8k"), PromptRecord("portrait of a knight, armor, by mucha"),
                PromptRecord("the knight's castle, dusk", short="a castle")]
    baseline = NearestPromptModifiers(training)
    assert baseline.expand("a knight portrait")[0].added == ("armor", "by mucha")
    assert baseline.expand("fox")[0].added == ("winter", "8k")
    assert baseline.expand("castle")[0].added == ("dusk",)
    assert baseline.expand("zzz")[0].added == ()


def test_load_cases_pairs_and_heldout(tmp_path):
    path = tmp_path / "pairs.jsonl"
    rows = [{"short": f"thing {i}", "prompt": f"thing {i} long, Detail {i}, 8 k"} for i in range(200)]
    path.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    cases = load_cases(str(path))
    assert cases[0] == EvalCase("thing 0", ("8k", "detail 0"), "thing 0 long, Detail 0, 8 k")
    held = load_cases(str(path), heldout_percent=10)
    assert 5 < len(held) < 45
    sample = load_cases(str(path), limit=20)  # a spread sample, not the first rows
    assert len(sample) == 20 and [c.short for c in sample] != [f"thing {i}" for i in range(20)]


def test_load_cases_skips_repeats_and_pairs_that_add_nothing(tmp_path):
    path = tmp_path / "pairs.jsonl"
    rows = [{"short": "a cat", "prompt": "a cat, 8k"}, {"short": "a cat", "prompt": "a cat, 4k"},
            {"short": "a dog", "prompt": "a dog"}, {"short": "a fox", "prompt": "a fox, watercolor"}]
    path.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    assert [c.short for c in load_cases(str(path))] == ["a cat", "a fox"]


def test_eval_cli_prints_table_and_json(tiny_model, corpus_file, tmp_path):
    shorts = tmp_path / "shorts.txt"
    shorts.write_text("a red fox\na castle in the clouds\n", encoding="utf-8")
    runner = CliRunner()
    result = runner.invoke(app, ["eval", str(shorts), "--model", str(tiny_model), "--n", "2", "--baseline-data", str(corpus_file), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    names = [r["expander"] for r in report["rows"]]
    assert names == [str(tiny_model), f"{tiny_model} (raw model output)", "baseline:popular", "baseline:nearest"]
    assert report["rows"][0]["keep_prompt"] == 1.0 and report["rows"][0]["mean_added"] >= 4  # selected: at least 4
    raw = runner.invoke(app, ["eval", str(shorts), "--model", str(tiny_model), "--n", "2", "--modifiers", "0", "--json"])
    assert [r["expander"] for r in json.loads(raw.stdout)["rows"]] == [str(tiny_model)]
    table = runner.invoke(app, ["eval", str(shorts), "--model", str(tiny_model), "--n", "2"])
    assert table.exit_code == 0 and "keep" in table.stdout and "lift" not in table.stdout


def test_eval_with_neighbours_reports_what_a_user_sees(tiny_model, corpus_file, tmp_path, minilm):
    shorts = tmp_path / "shorts.txt"
    shorts.write_text("a red fox\na castle in the clouds\n", encoding="utf-8")
    args = ["eval", str(shorts), "--model", str(tiny_model), "--n", "3", "--neighbours", str(corpus_file)]
    result = CliRunner().invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    row = json.loads(result.stdout)["rows"][0]
    assert row["lift_mean"] > 0 and 0 <= row["generic"] <= 1 and row["conflict"] == 0 and row["redundant"] == 0
    assert row["identical"] == 0 and row["within_77"] == 1.0 and row["clip_mean"] <= 77
    table = CliRunner().invoke(app, args)
    assert table.exit_code == 0 and "lift" in table.stdout and "Jaccard" in table.stdout
