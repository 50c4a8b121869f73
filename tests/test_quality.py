"""The shipped model's quality bars on held-out podvodka pairs (slow: ~1,000 prompts x 4 variants).

    make test PYTEST_ARGS="-m slow"
"""

import pytest

from promptkit.evaluation.baselines import NearestPromptModifiers, PopularModifiers, baseline_training_records
from promptkit.evaluation.expansion import evaluate_expander, load_cases
from promptkit.expansion.expander import ExpandSettings, get_expander
from tests.conftest import require_shared_data

pytestmark = [pytest.mark.slow, pytest.mark.shared_data]


def test_shipped_model_meets_the_bars_and_beats_both_baselines():
    data = require_shared_data()
    pairs = str(data / "podvodka-pairs" / "pairs.jsonl")
    cases = load_cases(pairs, heldout_percent=10)
    settings = ExpandSettings(n=4)
    model = evaluate_expander(get_expander("embedded"), cases, 0, settings)
    assert model.keep_prompt >= 0.99
    assert model.within_budget == 1.0
    assert model.mean_added >= 4
    assert model.repeat_modifier <= 0.02
    assert model.distinct_2 >= 0.5
    assert model.blocklisted == 0
    training = baseline_training_records([pairs, str(data / "diffusiondb-imagereward" / "train_prompts_sfw.txt")], 10)
    popular = evaluate_expander(PopularModifiers(training, k=round(model.mean_added)), cases, 0, settings)
    nearest = evaluate_expander(NearestPromptModifiers(training), cases, 0, settings)
    assert model.precision > popular.precision
    assert model.precision > nearest.precision
    # The baselines learnt from the pairs alone (the ranker's data) are stronger here; still beaten.
    pairs_only = baseline_training_records([pairs], 10)
    for baseline in (PopularModifiers(pairs_only, k=round(model.mean_added)), NearestPromptModifiers(pairs_only)):
        assert model.precision > evaluate_expander(baseline, cases, 0, settings).precision
