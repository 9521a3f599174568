"""The metrics against numbers worked out by hand."""

from __future__ import annotations

import math

import pytest

from relevance.evaluation import METRICS, mean_scores, metric_scores


def test_metrics_match_a_hand_computed_case() -> None:
    qrels = {
        # q1: a is the item sought (3), b a related one (1), z judged not relevant (0).
        "q1": {"a": 3, "b": 1, "z": 0},
        # q2: c is relevant but retrieved at rank 7.
        "q2": {"c": 2},
        # q3: d is relevant and the search returned nothing.
        "q3": {"d": 1},
    }
    runs = {
        "q1": ["z", "a", "x", "b"],
        "q2": ["u", "v", "w", "x", "y", "t", "c"],
        "q3": [],
    }
    scores = metric_scores(qrels=qrels, runs=runs)

    # q1: DCG@10 = 3/log2(2+1) + 1/log2(4+1) (a at rank 2, b at rank 4; gain = grade)
    #            = 1.892789 + 0.430677 = 2.323466
    #     IDCG   = 3/log2(1+1) + 1/log2(2+1) = 3 + 0.630930 = 3.630930
    #     nDCG@10 = 2.323466 / 3.630930 = 0.639907
    dcg = 3 / math.log2(3) + 1 / math.log2(5)
    ideal = 3 / math.log2(2) + 1 / math.log2(3)
    assert scores["q1"]["nDCG@10"] == pytest.approx(dcg / ideal) == pytest.approx(0.639907, 1e-5)
    assert scores["q1"]["MRR@10"] == pytest.approx(1 / 2)  # first relevant at rank 2
    assert scores["q1"]["hit@1"] == 0.0  # rank 1 is z, judged 0
    assert scores["q1"]["hit@5"] == 1.0
    assert scores["q1"]["recall@100"] == 1.0  # a and b both retrieved
    # q2: c at rank 7: nDCG@10 = (2/log2(8)) / (2/log2(2)) = (2/3)/2 = 1/3; RR = 1/7.
    assert scores["q2"]["nDCG@10"] == pytest.approx(1 / 3)
    assert scores["q2"]["MRR@10"] == pytest.approx(1 / 7)
    assert scores["q2"]["hit@1"] == scores["q2"]["hit@5"] == 0.0
    assert scores["q2"]["recall@100"] == 1.0
    # q3: nothing retrieved: every metric 0 (and still counted in the mean).
    assert scores["q3"] == dict.fromkeys(METRICS, 0.0)

    overall = mean_scores(list(scores.values()))
    assert overall["nDCG@10"] == pytest.approx((0.639907 + 1 / 3 + 0) / 3, 1e-5)
    assert overall["MRR@10"] == pytest.approx((1 / 2 + 1 / 7) / 3)
    assert overall["hit@5"] == pytest.approx(1 / 3)
    assert overall["recall@100"] == pytest.approx(2 / 3)


def test_the_ranking_is_taken_as_given_not_reordered_by_id() -> None:
    # trec_eval sorts by score and breaks ties by document id; ranks must survive that.
    scores = metric_scores(qrels={"q": {"a": 1}}, runs={"q": ["b", "a"]})
    assert scores["q"]["MRR@10"] == 0.5 and scores["q"]["hit@1"] == 0.0


def test_recall_at_100_counts_only_the_first_100() -> None:
    ranking = [f"x{i}" for i in range(100)] + ["a"]
    scores = metric_scores(qrels={"q": {"a": 2, "b": 1}}, runs={"q": ranking})
    assert scores["q"]["recall@100"] == 0.0
    scores = metric_scores(qrels={"q": {"a": 2, "b": 1}}, runs={"q": ranking[1:]})
    assert scores["q"]["recall@100"] == 0.5  # a at rank 100, b never
